// tessera — crypto/detail/openssl.hpp: RAII owners for OpenSSL handles. No raw handle leaves
// detail/: public types hold these.
#ifndef TESSERA_CRYPTO_DETAIL_OPENSSL_HPP
#define TESSERA_CRYPTO_DETAIL_OPENSSL_HPP

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <memory>

namespace tessera::crypto::detail {

template <auto Free>
struct openssl_deleter {
  template <class T>
  void operator()(T* p) const noexcept { Free(p); }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<&EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_deleter<&EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_deleter<&EVP_MD_CTX_free>>;
using md_ptr = std::unique_ptr<EVP_MD, openssl_deleter<&EVP_MD_free>>;
using mac_ptr = std::unique_ptr<EVP_MAC, openssl_deleter<&EVP_MAC_free>>;
using mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, openssl_deleter<&EVP_MAC_CTX_free>>;
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, openssl_deleter<&EVP_CIPHER_CTX_free>>;
using cipher_ptr = std::unique_ptr<EVP_CIPHER, openssl_deleter<&EVP_CIPHER_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<&BIO_free_all>>;
using bn_ptr = std::unique_ptr<BIGNUM, openssl_deleter<&BN_free>>;
using bn_ctx_ptr = std::unique_ptr<BN_CTX, openssl_deleter<&BN_CTX_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, openssl_deleter<&ECDSA_SIG_free>>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, openssl_deleter<&OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, openssl_deleter<&OSSL_PARAM_free>>;

/// Drops whatever OpenSSL queued on this thread's error stack, so a failure handled as an
/// error_code does not leak into an unrelated later call's diagnostics.
inline void clear_openssl_errors() noexcept { ERR_clear_error(); }

}  // namespace tessera::crypto::detail

#endif
