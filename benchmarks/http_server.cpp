// tessera — benchmarks/http_server.cpp: requests per second of the Beast server on loopback,
// serving a trivial handler, next to two peers measured in the same run:
//
//   BM_http/raw_ceiling       a minimal Asio server that answers every "\r\n\r\n" with canned
//                             bytes: no HTTP parsing, no routing — the socket/syscall ceiling
//                             of this machine for the same load generator;
//   BM_http/tessera_plain     tessera::transport::plain_server, keep-alive;
//   BM_http/tessera_tls       tessera::transport::tls_server, keep-alive (handshake once);
//   BM_http/in_memory         the same router called by the in-memory transport: the cost of
//                             routing and building a response, without any I/O.
//
// Arguments: server I/O threads, connections, pipeline depth (requests written back to back
// before reading their responses). The load generator is one Asio thread in this process, on
// the same 2-core machine as the server: the numbers are a floor for the server, not its peak.
// Each benchmark iteration is a batch of requests; items_per_second is requests/s.
#include <tessera/transport/in_memory.hpp>
#include <tessera/transport/server.hpp>

#include <benchmark/benchmark.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>  // operator<< for messages

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using namespace tessera::transport;

namespace {

constexpr std::string_view request_text = "GET /hello HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench\r\n\r\n";

router hello_routes() {
  router r;
  r.get("/hello", [](const request& req) { return make_response(req, http::status::ok, "hello, world\n"); });
  return r;
}

server_options bench_options(unsigned threads) {
  server_options o;
  o.threads = threads;
  o.access_log = nullptr;  // a log line per request measures the sink, not the server
  // Every load connection comes from 127.0.0.1: the per-address cap (docs/security.md row 38)
  // would close all but its default 64.
  o.limits.max_connections_per_address = o.limits.max_connections;
  return o;
}

// --- a self-signed certificate for the TLS rows -------------------------------------------------
struct pem_identity {
  std::string cert, key;
  static const pem_identity& get() {
    static const pem_identity id = make();
    return id;
  }
  static pem_identity make() {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509* c = X509_new();
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
    X509_gmtime_adj(X509_getm_notBefore(c), -60);
    X509_gmtime_adj(X509_getm_notAfter(c), 3600);
    X509_set_pubkey(c, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("bench"), -1, -1, 0);
    X509_set_issuer_name(c, X509_get_subject_name(c));
    X509_sign(c, key, EVP_sha256());
    auto to_string = [](auto write) {
      BIO* b = BIO_new(BIO_s_mem());
      write(b);
      char* d;
      long n = BIO_get_mem_data(b, &d);
      std::string s(d, static_cast<std::size_t>(n));
      BIO_free(b);
      return s;
    };
    pem_identity id{to_string([&](BIO* b) { PEM_write_bio_X509(b, c); }),
                    to_string([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); })};
    X509_free(c);
    EVP_PKEY_free(key);
    return id;
  }
};

// --- the load generator ------------------------------------------------------------------------
// `connections` keep-alive connections on one io_context thread; each writes `depth` requests,
// reads exactly `depth` responses (all responses are the same size, measured by a probe), and
// repeats until the batch is done.
template <class Stream>
class load_generator {
 public:
  load_generator(std::uint16_t port, int connections, int depth, ssl::context* tls)
      : depth_(depth) {
    for (int i = 0; i < depth; ++i) batch_request_ += request_text;
    for (int i = 0; i < connections; ++i) {
      auto c = std::make_unique<conn>(make_stream(tls));
      net::connect(lowest(c->stream), std::vector<tcp::endpoint>{{net::ip::make_address("127.0.0.1"), port}});
      lowest(c->stream).set_option(tcp::no_delay(true));
      if constexpr (!std::is_same_v<Stream, tcp::socket>) c->stream.handshake(ssl::stream_base::client);
      conns_.push_back(std::move(c));
    }
    response_size_ = probe(*conns_.front());
  }

  /// Runs `total` requests (rounded up to whole pipelines); returns false on any I/O error.
  bool run(std::int64_t total) {
    remaining_ = total;
    failed_ = false;
    for (auto& c : conns_) start(*c);
    ioc_.restart();
    ioc_.run();
    return !failed_;
  }

 private:
  struct conn {
    explicit conn(Stream s) : stream(std::move(s)) {}
    Stream stream;
    std::string in;
  };

  Stream make_stream(ssl::context* tls) {
    if constexpr (std::is_same_v<Stream, tcp::socket>) return Stream{ioc_};
    else return Stream{ioc_, *tls};
  }
  static tcp::socket& lowest(tcp::socket& s) { return s; }
  static tcp::socket& lowest(ssl::stream<tcp::socket>& s) { return s.next_layer(); }

  // The size of one whole response; throws unless it is a 200 within 4 KiB (the run reads
  // fixed-size batches, so anything else would measure garbage or hang).
  std::size_t probe(conn& c) {
    net::write(c.stream, net::buffer(request_text));
    std::string buf(4096, '\0');
    std::size_t have = 0;
    while (have < buf.size()) {
      have += c.stream.read_some(net::buffer(buf.data() + have, buf.size() - have));
      http::response_parser<http::string_body> p;
      p.eager(true);
      boost::system::error_code ec;
      auto used = p.put(net::buffer(buf.data(), have), ec);
      if (ec && ec != http::error::need_more) throw std::runtime_error("probe: malformed response: " + ec.message());
      if (p.is_done()) {
        if (p.get().result() != http::status::ok) throw std::runtime_error("probe: the trivial handler did not answer 200");
        return used;
      }
    }
    throw std::runtime_error("probe: response larger than 4 KiB");
  }

  void start(conn& c) {
    if (remaining_ <= 0) return;
    remaining_ -= depth_;
    net::async_write(c.stream, net::buffer(batch_request_), [this, &c](boost::system::error_code ec, std::size_t) {
      if (ec) return fail();
      c.in.resize(response_size_ * static_cast<std::size_t>(depth_));
      net::async_read(c.stream, net::buffer(c.in), [this, &c](boost::system::error_code ec, std::size_t) {
        if (ec) return fail();
        start(c);
      });
    });
  }
  void fail() { failed_ = true; }

  net::io_context ioc_{1};
  int depth_;
  std::string batch_request_;
  std::vector<std::unique_ptr<conn>> conns_;
  std::size_t response_size_ = 0;
  std::int64_t remaining_ = 0;
  bool failed_ = false;
};

constexpr std::int64_t batch = 2000;

template <class Stream>
void drive(benchmark::State& state, std::uint16_t port, ssl::context* tls) {
  load_generator<Stream> load(port, static_cast<int>(state.range(1)), static_cast<int>(state.range(2)), tls);
  for (auto _ : state) {
    if (!load.run(batch)) {
      state.SkipWithError("I/O error");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch);
}

// --- rows ----------------------------------------------------------------------------------------
void BM_http_tessera_plain(benchmark::State& state) {
  plain_server server{hello_routes(), bench_options(static_cast<unsigned>(state.range(0)))};
  auto port = server.listen("127.0.0.1", 0).port();
  server.start();
  drive<tcp::socket>(state, port, nullptr);
  server.stop();
}

void BM_http_tessera_tls(benchmark::State& state) {
  const auto& id = pem_identity::get();
  tls_server server{hello_routes(), bench_options(static_cast<unsigned>(state.range(0))),
                    {.certificate_chain_pem = id.cert, .private_key_pem = id.key}};
  auto port = server.listen("127.0.0.1", 0).port();
  server.start();
  ssl::context client{ssl::context::tls_client};
  client.set_verify_mode(ssl::verify_none);  // benchmark only: the tests cover verification
  drive<ssl::stream<tcp::socket>>(state, port, &client);
  server.stop();
}

// The ceiling: one canned response per "\r\n\r\n" seen, on `threads` threads.
class raw_server {
 public:
  explicit raw_server(unsigned threads) : acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    auto res = make_response(request{http::verb::get, "/hello", 11}, http::status::ok, "hello, world\n");
    std::ostringstream os;
    os << res;
    canned_ = os.str();
    accept();
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }
  ~raw_server() {
    ioc_.stop();
    for (auto& t : threads_) t.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  struct session : std::enable_shared_from_this<session> {
    session(tcp::socket s, const std::string& canned) : socket(std::move(s)), canned(canned) {}
    tcp::socket socket;
    const std::string& canned;
    std::array<char, 16384> buf{};
    std::string out;
    int state = 0;  // progress through "\r\n\r\n"
    void read() {
      socket.async_read_some(net::buffer(buf), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        if (ec) return;
        self->out.clear();
        static constexpr char end[] = "\r\n\r\n";
        for (std::size_t i = 0; i < n; ++i) {
          self->state = self->buf[i] == end[self->state] ? self->state + 1 : (self->buf[i] == '\r' ? 1 : 0);
          if (self->state == 4) {
            self->out += self->canned;
            self->state = 0;
          }
        }
        if (self->out.empty()) return self->read();
        net::async_write(self->socket, net::buffer(self->out), [self](boost::system::error_code ec, std::size_t) {
          if (!ec) self->read();
        });
      });
    }
  };
  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      s.set_option(tcp::no_delay(true));
      std::make_shared<session>(std::move(s), canned_)->read();
      accept();
    });
  }
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::string canned_;
  std::vector<std::thread> threads_;
};

void BM_http_raw_ceiling(benchmark::State& state) {
  raw_server server{static_cast<unsigned>(state.range(0))};
  drive<tcp::socket>(state, server.port(), nullptr);
}

void BM_http_in_memory(benchmark::State& state) {
  auto routes = hello_routes();
  in_memory wire{routes};
  for (auto _ : state) {
    auto res = wire.get("/hello");
    benchmark::DoNotOptimize(res);
  }
  state.SetItemsProcessed(state.iterations());
}

void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"threads", "conns", "depth"});
  for (int threads : {1, 2})
    for (int depth : {1, 16}) b->Args({threads, 16, depth});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

BENCHMARK(BM_http_raw_ceiling)->Name("BM_http/raw_ceiling")->Apply(args);
BENCHMARK(BM_http_tessera_plain)->Name("BM_http/tessera_plain")->Apply(args);
BENCHMARK(BM_http_tessera_tls)->Name("BM_http/tessera_tls")->Apply(args);
BENCHMARK(BM_http_in_memory)->Name("BM_http/in_memory");

BENCHMARK_MAIN();
