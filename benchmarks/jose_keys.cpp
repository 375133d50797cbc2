// tessera benchmarks — jose_keys.cpp: the process's keys, generated once.
#include "jose_fixture.hpp"

#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <memory>

namespace bench {
namespace {

std::string pem_of(EVP_PKEY* k, bool priv) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  int ok = priv ? PEM_write_bio_PKCS8PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr)
                : PEM_write_bio_PUBKEY(bio.get(), k);
  if (ok != 1) std::abort();
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

key_material make_keys(alg a) {
  key_material m;
  switch (a) {
    case alg::HS256:
      m.secret.resize(32);
      if (RAND_bytes(reinterpret_cast<unsigned char*>(m.secret.data()), 32) != 1) std::abort();
      return m;
    case alg::RS256: m.pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}); break;
    case alg::ES256: m.pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case alg::EdDSA: m.pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
  }
  if (!m.pkey) std::abort();
  m.private_pem = pem_of(m.pkey, true);
  m.public_pem = pem_of(m.pkey, false);
  return m;
}

}  // namespace

const key_material& keys(alg a) {
  // One static per algorithm: a run that needs only one key (the profiler) makes only that one.
  switch (a) {
    case alg::HS256: { static const key_material k = make_keys(alg::HS256); return k; }
    case alg::RS256: { static const key_material k = make_keys(alg::RS256); return k; }
    case alg::ES256: { static const key_material k = make_keys(alg::ES256); return k; }
    case alg::EdDSA: break;
  }
  static const key_material k = make_keys(alg::EdDSA);
  return k;
}

}  // namespace bench
