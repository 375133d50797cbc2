// Helpers for the transport tests: a test PKI made at run time with the OpenSSL API, a raw
// socket client that sends exactly the bytes a test wants, curl as a second client, and a
// thread-safe access-log capture.
#ifndef TESSERA_TESTS_TRANSPORT_SUPPORT_HPP
#define TESSERA_TESTS_TRANSPORT_SUPPORT_HPP

#include <tessera/transport/message.hpp>
#include <tessera/transport/server.hpp>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace test {

namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

//------------------------------------------------------------------------------------------
// Test PKI
struct key_deleter { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct cert_deleter { void operator()(X509* p) const { X509_free(p); } };
using key_ptr = std::unique_ptr<EVP_PKEY, key_deleter>;
using cert_ptr = std::unique_ptr<X509, cert_deleter>;

inline key_ptr make_key() {
  key_ptr k{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  if (!k) throw std::runtime_error("keygen failed");
  return k;
}

inline void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) throw std::runtime_error("extension failed");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

struct issued {
  key_ptr key;
  cert_ptr cert;
};

/// A certificate for `cn`; self-signed when `issuer` is null. Validity is [now+from, now+to].
inline issued make_cert(const std::string& cn, const issued* issuer, bool ca, const std::string& san,
                        long from = -3600, long to = 86400, long serial = 1) {
  issued out{make_key(), cert_ptr{X509_new()}};
  X509* c = out.cert.get();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
  X509_gmtime_adj(X509_getm_notBefore(c), from);
  X509_gmtime_adj(X509_getm_notAfter(c), to);
  X509_set_pubkey(c, out.key.get());
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer ? issuer->cert.get() : c;
  X509_set_issuer_name(c, X509_get_subject_name(issuer_cert));
  add_ext(c, issuer_cert, NID_subject_key_identifier, "hash");
  if (ca) {
    add_ext(c, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(c, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(c, issuer_cert, NID_key_usage, "critical,digitalSignature");
    add_ext(c, issuer_cert, NID_ext_key_usage, "serverAuth");
    add_ext(c, issuer_cert, NID_subject_alt_name, san.c_str());
  }
  if (issuer) add_ext(c, issuer_cert, NID_authority_key_identifier, "keyid");
  EVP_PKEY* signer = issuer ? issuer->key.get() : out.key.get();
  if (!X509_sign(c, signer, EVP_sha256())) throw std::runtime_error("sign failed");
  return out;
}

inline std::string cert_pem(X509* c) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, c);
  char* data;
  long n = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return s;
}

inline std::string key_pem(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data;
  long n = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return s;
}

inline std::string cert_pem_of_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// Files of the test PKI, made once per process in a private temp directory.
struct pki {
  std::filesystem::path dir;
  std::string ca_file;               // the test CA
  std::string good_cert, good_key;   // localhost + 127.0.0.1, by the test CA
  std::string wrong_cert, wrong_key; // wrong.example, by the test CA
  std::string expired_cert, expired_key;
  std::string stranger_cert, stranger_key;  // localhost + 127.0.0.1, by an unknown CA

  static const pki& get() {
    static pki instance;
    return instance;
  }
  ~pki() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

 private:
  pki() {
    dir = std::filesystem::temp_directory_path() / ("tessera-transport-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& text) {
      auto p = (dir / name).string();
      std::ofstream(p, std::ios::binary) << text;
      return p;
    };
    const std::string san = "DNS:localhost,IP:127.0.0.1";
    auto ca = make_cert("tessera test CA", nullptr, true, "", -3600, 86400 * 2, 1);
    auto other_ca = make_cert("unknown CA", nullptr, true, "", -3600, 86400 * 2, 2);
    auto good = make_cert("localhost", &ca, false, san, -3600, 86400, 3);
    auto wrong = make_cert("wrong.example", &ca, false, "DNS:wrong.example", -3600, 86400, 4);
    auto expired = make_cert("localhost", &ca, false, san, -86400 * 2, -86400, 5);
    auto stranger = make_cert("localhost", &other_ca, false, san, -3600, 86400, 6);
    ca_file = write("ca.pem", cert_pem(ca.cert.get()));
    good_cert = write("good.pem", cert_pem(good.cert.get()));
    good_key = write("good.key", key_pem(good.key.get()));
    wrong_cert = write("wrong.pem", cert_pem(wrong.cert.get()));
    wrong_key = write("wrong.key", key_pem(wrong.key.get()));
    expired_cert = write("expired.pem", cert_pem(expired.cert.get()));
    expired_key = write("expired.key", key_pem(expired.key.get()));
    stranger_cert = write("stranger.pem", cert_pem(stranger.cert.get()));
    stranger_key = write("stranger.key", key_pem(stranger.key.get()));
  }
};

//------------------------------------------------------------------------------------------
// Raw client: exact bytes out, Beast-parsed responses in, every wait bounded.
class raw_connection {
 public:
  /// Connects to 127.0.0.1:`port`; from `source` (another loopback address such as
  /// "127.0.0.2", which Linux routes on lo without configuration) when given.
  explicit raw_connection(std::uint16_t port, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (source) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      if (::inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
          ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0)
        return;  // not connected
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~raw_connection() { ::close(fd_); }
  raw_connection(const raw_connection&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// One response, or nothing if the peer closed or `timeout` passed first.
  std::optional<bhttp::response<bhttp::string_body>> read_response(std::chrono::milliseconds timeout = 5000ms) {
    bhttp::response_parser<bhttp::string_body> p;
    p.eager(true);
    p.body_limit(16 * 1024 * 1024);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!pending_.empty()) {
        boost::system::error_code ec;
        auto used = p.put(boost::asio::buffer(pending_), ec);
        pending_.erase(0, used);
        if (ec && ec != bhttp::error::need_more) return std::nullopt;
        if (p.is_done()) return p.release();
        if (!ec && used > 0) continue;
      }
      auto got = receive(deadline);
      if (got < 0) return std::nullopt;  // timeout or error
      if (got == 0) {
        if (!p.got_some()) return std::nullopt;
        boost::system::error_code ec;
        p.put_eof(ec);
        if (!ec && p.is_done()) return p.release();
        return std::nullopt;
      }
    }
  }

  /// True if the peer closes (EOF or reset) within `timeout`; bytes that arrive are kept.
  bool closed_by_peer(std::chrono::milliseconds timeout = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto got = receive(deadline);
      if (got == 0) return true;
      if (got == -2) return true;  // reset
      if (got == -1) return false; // timeout
    }
  }

  const std::string& pending() const { return pending_; }

 private:
  // >0 bytes appended; 0 EOF; -1 timeout; -2 error/reset.
  long receive(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return -1;
    pollfd pfd{fd_, POLLIN, 0};
    int r = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (r == 0) return -1;
    char buf[16384];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return -2;
    pending_.append(buf, static_cast<std::size_t>(n));
    return n;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

//------------------------------------------------------------------------------------------
// curl as a second, independent client.
struct curl_result {
  int exit_code = -1;
  std::string out;
};

/// Runs `/usr/bin/curl -sS <args>` (args are test-controlled, never user input).
inline curl_result run_curl(const std::string& args) {
  curl_result r;
  std::string cmd = "/usr/bin/curl -sS --max-time 20 " + args + " 2>/dev/null";
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  int status = ::pclose(f);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

//------------------------------------------------------------------------------------------
// Access-log capture.
struct log_capture {
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();

  std::function<void(std::string_view)> sink() const {
    return [m = mutex, l = lines](std::string_view line) {
      std::lock_guard lk(*m);
      l->emplace_back(line);
    };
  }
  std::vector<std::string> snapshot() const {
    std::lock_guard lk(*mutex);
    return *lines;
  }
};

//------------------------------------------------------------------------------------------
/// A server on 127.0.0.1 and an ephemeral port, started on construction and stopped (always)
/// on destruction. Two I/O threads; access log captured, not printed.
template <class Transport>
struct running_server {
  log_capture log;
  tessera::transport::basic_server<Transport> server;
  std::uint16_t port = 0;

  explicit running_server(tessera::transport::router routes, tessera::transport::server_options options = with_threads(),
                          const typename Transport::options& topts = {})
      : server(std::move(routes), capture(std::move(options), log), topts) {
    port = server.listen("127.0.0.1", 0).port();
    server.start();
  }
  ~running_server() { server.stop(); }

  std::string url(std::string_view path, std::string_view host = "127.0.0.1") const {
    return std::string(Transport::is_tls ? "https://" : "http://") + std::string(host) + ":" + std::to_string(port) +
           std::string(path);
  }

  static tessera::transport::server_options with_threads(unsigned n = 2) {
    tessera::transport::server_options o;
    o.threads = n;
    return o;
  }

 private:
  static tessera::transport::server_options capture(tessera::transport::server_options o, const log_capture& l) {
    if (o.access_log) o.access_log = l.sink();
    return o;
  }
};

/// Polls `pred` every few milliseconds until it holds or `timeout` passes.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

}  // namespace test

#endif
