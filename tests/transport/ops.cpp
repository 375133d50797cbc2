// ops/: the metrics registry and its exposition, the JSON log line, the program logger, the
// JSON access log and request ids — everything of them that needs no socket.
#include <tessera/ops/http_metrics.hpp>
#include <tessera/ops/json_line.hpp>
#include <tessera/ops/logger.hpp>
#include <tessera/ops/metrics.hpp>
#include <tessera/ops/process_metrics.hpp>
#include <tessera/transport/access_log.hpp>
#include <tessera/transport/request_id.hpp>

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace tessera;
using namespace std::chrono_literals;

namespace {

/// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, std::string_view prefix) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + at, end - at);
    if (line.starts_with(prefix)) out.emplace_back(line);
    at = end + 1;
  }
  return out;
}

boost::json::object parse_object(const std::string& line) {
  std::error_code ec;
  auto v = boost::json::parse(line, ec);
  INFO(line);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

}  // namespace

//------------------------------------------------------------------------------------------
// The registry and the exposition format

TEST_CASE("metrics: a counter family is written as HELP, TYPE and one line per series") {
  ops::registry r;
  auto& f = r.counters("tessera_things_total", "Things done.", {"kind", "outcome"});
  f.with({"a", "ok"}).inc(3);
  f.with({"b", "failed"}).inc();
  f.with({"a", "ok"}).inc();  // the same series again
  r.counters("tessera_plain_total", "No labels.").with({}).inc(7);
  CHECK(r.expose() ==
        "# HELP tessera_things_total Things done.\n"
        "# TYPE tessera_things_total counter\n"
        "tessera_things_total{kind=\"a\",outcome=\"ok\"} 4\n"
        "tessera_things_total{kind=\"b\",outcome=\"failed\"} 1\n"
        "# HELP tessera_plain_total No labels.\n"
        "# TYPE tessera_plain_total counter\n"
        "tessera_plain_total 7\n");
  CHECK(ops::exposition_content_type == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("metrics: label values escape backslash, quote and newline; help escapes backslash and newline") {
  CHECK(ops::escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  ops::registry r;
  r.counters("x_total", "line one\nback\\slash \"quoted\"", {"v"}).with({"C:\\dir\n\"q\""}).inc();
  CHECK(r.expose() ==
        "# HELP x_total line one\\nback\\\\slash \"quoted\"\n"
        "# TYPE x_total counter\n"
        "x_total{v=\"C:\\\\dir\\n\\\"q\\\"\"} 1\n");
}

TEST_CASE("metrics: a histogram counts a value equal to a bound in that bucket, cumulatively, with +Inf equal to _count") {
  const double bounds[] = {0.125, 0.5, 1};  // exact in binary: sums compare exactly
  ops::histogram h(bounds);
  CHECK(h.bucket_of(0) == 0);
  CHECK(h.bucket_of(0.125) == 0);  // le is inclusive
  CHECK(h.bucket_of(std::nextafter(0.125, 1.0)) == 1);
  CHECK(h.bucket_of(0.5) == 1);
  CHECK(h.bucket_of(1) == 2);
  CHECK(h.bucket_of(1.5) == 3);
  CHECK(h.bucket_of(std::numeric_limits<double>::infinity()) == 3);
  CHECK(h.bucket_of(std::numeric_limits<double>::quiet_NaN()) == 3);
  CHECK(h.bucket_of(-1) == 0);

  ops::registry r;
  auto& f = r.histograms("op_seconds", "Time.", {"op"}, bounds);
  auto& a = f.with({"a"});
  for (double v : {0.125, 0.0625, 0.25, 1.0, 2.5}) a.observe(v);
  f.with({"b"});  // a series with no observations: zeros
  CHECK(r.expose() ==
        "# HELP op_seconds Time.\n"
        "# TYPE op_seconds histogram\n"
        "op_seconds_bucket{op=\"a\",le=\"0.125\"} 2\n"
        "op_seconds_bucket{op=\"a\",le=\"0.5\"} 3\n"
        "op_seconds_bucket{op=\"a\",le=\"1\"} 4\n"
        "op_seconds_bucket{op=\"a\",le=\"+Inf\"} 5\n"
        "op_seconds_sum{op=\"a\"} 3.9375\n"
        "op_seconds_count{op=\"a\"} 5\n"
        "op_seconds_bucket{op=\"b\",le=\"0.125\"} 0\n"
        "op_seconds_bucket{op=\"b\",le=\"0.5\"} 0\n"
        "op_seconds_bucket{op=\"b\",le=\"1\"} 0\n"
        "op_seconds_bucket{op=\"b\",le=\"+Inf\"} 0\n"
        "op_seconds_sum{op=\"b\"} 0\n"
        "op_seconds_count{op=\"b\"} 0\n");

  auto& plain = r.histograms("plain_seconds", "No labels.", {}, bounds).with({});
  plain.observe(0.2);
  auto text = r.expose();
  CHECK(text.find("plain_seconds_bucket{le=\"0.125\"} 0\n") != std::string::npos);
  CHECK(text.find("plain_seconds_bucket{le=\"0.5\"} 1\n") != std::string::npos);
  CHECK(text.find("plain_seconds_count 1\n") != std::string::npos);
}

TEST_CASE("metrics: the default latency buckets run from 100 microseconds to 10 seconds, increasing") {
  const auto b = std::span<const double>(ops::latency_buckets);
  CHECK(b.front() == 0.0001);
  CHECK(b.back() == 10);
  CHECK(std::is_sorted(b.begin(), b.end()));
  ops::histogram h(b);
  CHECK(h.bucket_of(0.00008) == 0);
  CHECK(h.bucket_of(0.0003) == 2);
  CHECK(h.bucket_of(60) == b.size());
}

TEST_CASE("metrics: a family holds at most max_series series and counts the rest under 'other'") {
  ops::registry r;
  auto& f = r.counters("capped_total", "Capped.", {"k"}, 3);
  for (int i = 0; i < 10; ++i) f.with({std::to_string(i)}).inc();
  CHECK(f.size() == 4);  // three, and the shared overflow series
  f.with({"1"}).inc();   // a series made before the cap still answers
  const auto text = r.expose();
  CHECK(text.find("capped_total{k=\"0\"} 1\n") != std::string::npos);
  CHECK(text.find("capped_total{k=\"1\"} 2\n") != std::string::npos);
  CHECK(text.find("capped_total{k=\"2\"} 1\n") != std::string::npos);
  CHECK(text.find("capped_total{k=\"other\"} 7\n") != std::string::npos);
  CHECK(text.find("k=\"9\"") == std::string::npos);
}

TEST_CASE("metrics: counters and histograms updated from many threads at once keep exact totals") {
  ops::registry r;
  auto& c = r.counters("hits_total", "Hits.").with({});
  const double bounds[] = {0.5, 1.5};  // 0, 1 and 2 fall in one bucket each
  auto& h = r.histograms("values", "Values.", {}, bounds).with({});
  constexpr int threads = 8, per_thread = 50000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        c.inc();
        h.observe(static_cast<double>((t + i) % 3));  // 0, 1, 2: one bucket each, sum exact in doubles
      }
    });
  // Scrapes meanwhile: each must be whole (+Inf == _count) even mid-update.
  for (int i = 0; i < 20; ++i) {
    auto snap = h.read();
    CHECK(snap.cumulative.back() == snap.count);
  }
  for (auto& th : pool) th.join();
  CHECK(c.value() == std::uint64_t{threads} * per_thread);
  const auto snap = h.read();
  CHECK(snap.count == std::uint64_t{threads} * per_thread);
  std::uint64_t ones = 0, twos = 0;
  for (int t = 0; t < threads; ++t)
    for (int i = 0; i < per_thread; ++i) {
      ones += (t + i) % 3 == 1;
      twos += (t + i) % 3 == 2;
    }
  CHECK(snap.cumulative[1] - snap.cumulative[0] == ones);
  CHECK(snap.cumulative[2] - snap.cumulative[1] == twos);
  CHECK(snap.sum == static_cast<double>(ones + 2 * twos));
}

TEST_CASE("metrics: gauges and the process metrics") {
  ops::registry r;
  r.gauges("temperature", "Degrees.", {"room"}).with({"a"}).set(21.5);
  auto& sizes = r.gauges("sizes", "Numbers as the format writes them.", {"k"});
  sizes.with({"small"}).set(0.00001);
  sizes.with({"tiny"}).set(1e-9);
  sizes.with({"huge"}).set(1e20);
  sizes.with({"negative"}).set(-2.5);
  sizes.with({"inf"}).set(std::numeric_limits<double>::infinity());
  sizes.with({"nan"}).set(std::numeric_limits<double>::quiet_NaN());
  ops::add_process_metrics(r);
  const auto text = r.expose();
  CHECK(text.find("# TYPE temperature gauge\ntemperature{room=\"a\"} 21.5\n") != std::string::npos);
  CHECK(text.find("sizes{k=\"small\"} 0.00001\n") != std::string::npos);
  CHECK(text.find("sizes{k=\"tiny\"} 1e-09\n") != std::string::npos);
  CHECK(text.find("sizes{k=\"huge\"} 1e+20\n") != std::string::npos);
  CHECK(text.find("sizes{k=\"negative\"} -2.5\n") != std::string::npos);
  CHECK(text.find("sizes{k=\"inf\"} +Inf\n") != std::string::npos);
  CHECK(text.find("sizes{k=\"nan\"} NaN\n") != std::string::npos);
  CHECK(text.find(std::string("tessera_build_info{version=\"") + TESSERA_VERSION_STRING + "\"} 1\n") !=
        std::string::npos);
  auto start = lines_starting(text, "process_start_time_seconds ");
  REQUIRE(start.size() == 1);
  const double t = std::stod(start[0].substr(start[0].find(' ') + 1));
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(t <= now);
  CHECK(t > now - 60);
}

//------------------------------------------------------------------------------------------
// HTTP metrics from access-log entries

TEST_CASE("http metrics: requests are labelled by the registered route, never the raw path") {
  transport::router routes;
  auto ok = [](const transport::request& q) { return transport::make_response(q, transport::http::status::ok); };
  routes.post("/oauth2/token", ok);
  routes.get("/healthz", ok);
  ops::registry r;
  ops::http_metrics m(r, routes);
  auto observer = m.observer();

  auto entry = [&](std::string_view target, unsigned status, std::chrono::microseconds d) {
    auto match = routes.match(target);
    transport::access_log_entry e;
    e.target = target;
    e.status = status;
    e.duration = d;
    e.route = match.path;
    e.route_index = match.index;
    return e;
  };
  observer(entry("/oauth2/token?code=SECRET", 200, 150us));
  observer(entry("/oauth2/token", 200, 3ms));
  observer(entry("/oauth2/token", 401, 100us));
  observer(entry("/healthz", 200, 10us));
  observer(entry("/nope/../../etc/passwd\"", 404, 20us));
  observer(entry("/another-unknown", 404, 20us));

  const auto text = r.expose();
  INFO(text);
  CHECK(text.find("tessera_http_requests_total{route=\"/oauth2/token\",status=\"200\"} 2\n") != std::string::npos);
  CHECK(text.find("tessera_http_requests_total{route=\"/oauth2/token\",status=\"401\"} 1\n") != std::string::npos);
  CHECK(text.find("tessera_http_requests_total{route=\"/healthz\",status=\"200\"} 1\n") != std::string::npos);
  CHECK(text.find("tessera_http_requests_total{route=\"other\",status=\"404\"} 2\n") != std::string::npos);
  CHECK(text.find("tessera_http_request_duration_seconds_count{route=\"/oauth2/token\"} 3\n") != std::string::npos);
  CHECK(text.find("tessera_http_request_duration_seconds_bucket{route=\"/oauth2/token\",le=\"0.0001\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("tessera_http_request_duration_seconds_bucket{route=\"/oauth2/token\",le=\"0.00025\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("tessera_http_request_duration_seconds_count{route=\"other\"} 2\n") != std::string::npos);
  for (const char* raw : {"SECRET", "passwd", "another-unknown", "code="}) CHECK(text.find(raw) == std::string::npos);
}

TEST_CASE("http metrics: many status codes on one route, from many threads, are all counted exactly") {
  transport::router routes;
  routes.get("/x", [](const transport::request& q) { return transport::make_response(q, transport::http::status::ok); });
  ops::registry r;
  ops::http_metrics m(r, routes);
  const auto match = routes.match("/x");
  constexpr int threads = 4, per_thread = 2000;
  // 20 distinct codes: more than the lock-free table's 16, so the fallback path runs too.
  std::vector<unsigned> codes;
  for (unsigned c = 200; c < 220; ++c) codes.push_back(c);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        transport::access_log_entry e;
        e.status = codes[static_cast<std::size_t>(i) % codes.size()];
        e.route_index = match.index;
        m.observe(e);
      }
    });
  for (auto& th : pool) th.join();
  const auto text = r.expose();
  for (unsigned c : codes) {
    INFO(c);
    CHECK(text.find("tessera_http_requests_total{route=\"/x\",status=\"" + std::to_string(c) + "\"} " +
                    std::to_string(threads * per_thread / codes.size()) + "\n") != std::string::npos);
  }
  CHECK(text.find("tessera_http_request_duration_seconds_count{route=\"/x\"} " + std::to_string(threads * per_thread)) !=
        std::string::npos);
}

TEST_CASE("metrics endpoint answers the exposition with its content type") {
  ops::registry r;
  r.counters("a_total", "A.").with({}).inc(2);
  transport::router routes;
  routes.get("/metrics", ops::metrics_endpoint(r));
  transport::request req{transport::http::verb::get, "/metrics", 11};
  auto res = routes.route(req);
  CHECK(res.result() == transport::http::status::ok);
  CHECK(res[transport::http::field::content_type] == ops::exposition_content_type);
  CHECK(res.body() == r.expose());
  CHECK(res.body().find("a_total 2\n") != std::string::npos);
}

TEST_CASE("router numbers its paths in the order first added, and copies keep the numbers") {
  transport::router routes;
  auto ok = [](const transport::request& q) { return transport::make_response(q, transport::http::status::ok); };
  routes.get("/z", ok);
  routes.get("/a", ok);
  routes.post("/z", ok);  // the same path again: no new index
  routes.get("/m", ok);
  CHECK(routes.paths() == std::vector<std::string_view>{"/z", "/a", "/m"});
  const transport::router copy = routes;
  CHECK(copy.match("/a?x=1").index == 1);
  CHECK(copy.match("/a?x=1").path == "/a");
  CHECK(copy.match("/nope").index == transport::route_match::none);
  CHECK(copy.match("/nope").path.empty());
  transport::route_match m;
  transport::request req{transport::http::verb::post, "/z", 11};
  copy.route(req, {}, &m);
  CHECK(m.index == 0);
  CHECK(m.path == "/z");
}

//------------------------------------------------------------------------------------------
// JSON lines and the logger

TEST_CASE("json line: RFC 3339 UTC time with milliseconds") {
  std::string out;
  ops::append_rfc3339(out, std::chrono::system_clock::time_point{});
  CHECK(out == "1970-01-01T00:00:00.000Z");
  out.clear();
  // 2024-05-01T12:34:56.789Z
  ops::append_rfc3339(out, std::chrono::system_clock::time_point{std::chrono::milliseconds{1714566896789}});
  CHECK(out == "2024-05-01T12:34:56.789Z");
}

TEST_CASE("json line: strings are escaped so that any bytes give one valid JSON object") {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes += static_cast<char>(c);
  struct sample {
    std::string in;
    bool valid_utf8;  // then it must come back unchanged
  };
  const sample samples[] = {
      {"plain", true},
      {"quote\" backslash\\ newline\n cr\r tab\t nul" + std::string(1, '\0') + " del\x7f", true},
      {"\",\"level\":\"forged", true},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91", true},
      {"\xff\xfe \xc3 \xe0\x80\x80 \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf", false},  // each bad byte: U+FFFD
      {all_bytes, false},
  };
  for (const auto& s : samples) {
    ops::json_line line(std::chrono::system_clock::time_point{}, "info", "test");
    line.field("value", s.in).field("n", 42).field("flag", true);
    auto text = std::move(line).str();
    CHECK(text.find('\n') == std::string::npos);
    CHECK(text.find('\r') == std::string::npos);
    auto obj = parse_object(text);  // Boost.JSON refuses invalid UTF-8: parsing proves there is none
    CHECK(obj.at("level") == "info");
    CHECK(obj.at("event") == "test");
    CHECK(obj.at("n") == 42);
    CHECK(obj.at("flag") == true);
    CHECK(obj.size() == 6);
    if (s.valid_utf8) CHECK(obj.at("value").as_string() == s.in);
  }
  std::string out;
  ops::append_json_string(out, "\xff" "a\xe2\x82");
  CHECK(out == "\"\\ufffda\\ufffd\\ufffd\"");
}

TEST_CASE("logger: text lines as tessera-server wrote them, JSON lines with time, level, event and message") {
  std::vector<std::string> lines;
  auto sink = [&](std::string_view l) { lines.emplace_back(l); };
  ops::logger text("tessera-server", ops::log_format::text, sink);
  text.info("listening", "listening on http://127.0.0.1:8088", {{"url", "http://127.0.0.1:8088"}});
  text.warn("config_warning", "static client left out");
  text.error("fatal", "boom");
  CHECK(lines == std::vector<std::string>{"tessera-server: listening on http://127.0.0.1:8088",
                                          "tessera-server: warning: static client left out", "tessera-server: boom"});
  lines.clear();
  ops::logger json("tessera-server", ops::log_format::json, sink);
  json.info("listening", "listening on http://127.0.0.1:8088", {{"url", "http://127.0.0.1:8088"}});
  json.error("fatal", "bad \"thing\"\nsecond line");
  REQUIRE(lines.size() == 2);
  auto a = parse_object(lines[0]);
  CHECK(a.at("level") == "info");
  CHECK(a.at("event") == "listening");
  CHECK(a.at("message") == "listening on http://127.0.0.1:8088");
  CHECK(a.at("url") == "http://127.0.0.1:8088");
  CHECK(a.at("program") == "tessera-server");
  CHECK(a.at("time").as_string().ends_with("Z"));
  auto b = parse_object(lines[1]);
  CHECK(b.at("level") == "error");
  CHECK(b.at("message") == "bad \"thing\"\nsecond line");
  CHECK(ops::parse_log_format("json") == ops::log_format::json);
  CHECK(ops::parse_log_format("text") == ops::log_format::text);
  CHECK_FALSE(ops::parse_log_format("JSON"));
  CHECK_FALSE(ops::parse_log_format(""));
}

//------------------------------------------------------------------------------------------
// The JSON access log

TEST_CASE("JSON access log: one object with the request's facts, the path without query or fragment") {
  transport::access_log_entry e{.peer_address = "127.0.0.1", .peer_port = 5555, .method = "POST",
                                .target = "/oauth2/token?code=SECRET#TOKEN", .status = 200, .bytes = 612,
                                .duration = std::chrono::microseconds{183}, .tls = true,
                                .request_id = "abc-123"};
  const auto when = std::chrono::system_clock::time_point{std::chrono::milliseconds{1714566896789}};
  const auto line = transport::format_access_log_json(e, when);
  CHECK(line ==
        R"({"time":"2024-05-01T12:34:56.789Z","level":"info","event":"http_request","request_id":"abc-123",)"
        R"("method":"POST","path":"/oauth2/token","status":200,"bytes":612,"duration_us":183,)"
        R"("peer":"127.0.0.1:5555","tls":true})");
  e.status = 503;
  e.peer_address = "::1";
  auto obj = parse_object(transport::format_access_log(e, transport::access_log_format::json));
  CHECK(obj.at("level") == "error");
  CHECK(obj.at("peer") == "[::1]:5555");
  // The text line carries the id too.
  CHECK(transport::format_access_log(e, transport::access_log_format::text).ends_with(" tls id=abc-123"));
}

TEST_CASE("JSON access log: hostile paths and methods parse as JSON and leak no query, token or raw byte") {
  std::string all_bytes;
  for (int c = 1; c < 256; ++c)
    if (c != '?' && c != '#') all_bytes += static_cast<char>(c);
  const std::string targets[] = {
      "/a\"b\\c\r\n{\"x\":1}?code=SECRET#TOKEN",
      "/x\",\"status\":200,\"forged\":\"?access_token=SECRET",
      "/" + all_bytes + "?refresh_token=SECRET",
      "/" + std::string(5000, 'a') + "?code=SECRET",
      "?code=SECRET",
      "#TOKEN",
      std::string("/nul\0byte?SECRET", 16),
  };
  for (const auto& target : targets) {
    transport::access_log_entry e{.peer_address = "10.0.0.1", .peer_port = 1, .method = "G\"E\\T\n",
                                  .target = target, .status = 400};
    for (auto format : {transport::access_log_format::json, transport::access_log_format::text}) {
      const auto line = transport::format_access_log(e, format);
      INFO(line);
      CHECK(line.find('\n') == std::string::npos);
      CHECK(line.find('\r') == std::string::npos);
      CHECK(line.find("SECRET") == std::string::npos);
      CHECK(line.find("TOKEN") == std::string::npos);
      CHECK(line.find("forged\":") == std::string::npos);
      for (unsigned char c : line) CHECK((c >= 0x20 && c < 0x7f));
      if (format == transport::access_log_format::json) {
        auto obj = parse_object(line);
        CHECK(obj.size() == 10);
        CHECK(obj.at("status") == 400);
        CHECK(obj.at("method") == "G?E?T?");
        CHECK(obj.at("path").as_string().size() <= 256 * 3 + 3);
      }
    }
  }
}

//------------------------------------------------------------------------------------------
// Request ids

TEST_CASE("request id: a short safe token is accepted, anything else is not") {
  using transport::is_safe_request_id;
  for (std::string_view ok : {"a", "0f8fad5b-d9cb-469f-a165-70867728950e", "Root=1-5759e988-bd862e3fe1be46a994272793",
                              "abc_DEF.123:xyz+/=", "x"}) {
    INFO(ok);
    CHECK(is_safe_request_id(ok));
  }
  CHECK(is_safe_request_id(std::string(64, 'a')));
  CHECK_FALSE(is_safe_request_id(std::string(65, 'a')));
  for (std::string_view bad : {"", "has space", "quote\"", "back\\slash", "new\nline", "semi;colon", "tab\t",
                               "caf\xc3\xa9", "<script>", "a,b", "{json}"}) {
    INFO(bad);
    CHECK_FALSE(is_safe_request_id(bad));
  }
}

TEST_CASE("request id: made ids are 32 hex digits, distinct, and differ between generators") {
  transport::request_id_generator gen, other;
  std::set<std::string> seen;
  std::string id;
  for (int i = 0; i < 10000; ++i) {
    gen.next(id);
    REQUIRE(id.size() == 32);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(transport::is_safe_request_id(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 10000);
  CHECK_FALSE(seen.contains(other.next()));
  // A fixed key gives fixed ids: the id is a keyed function of the counter, not the counter.
  transport::request_id_generator a(crypto::siphash_key{1, 2}), b(crypto::siphash_key{1, 2});
  const auto first = a.next();
  CHECK(first == b.next());
  CHECK(a.next() != first);

  std::string out;
  transport::assign_request_id(out, "client-id-1", gen);
  CHECK(out == "client-id-1");
  transport::assign_request_id(out, "evil id\r\nX: y", gen);
  CHECK(out.size() == 32);
  CHECK(out.find("evil") == std::string::npos);
  transport::assign_request_id(out, "", gen);
  CHECK(out.size() == 32);
}
