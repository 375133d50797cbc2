#include <tessera/http/form.hpp>
#include <tessera/transport/detail/form.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace tessera;
using namespace tessera::http;

TEST_CASE("a token request body parses into ordered, decoded parameters") {
  auto p = parse_form("grant_type=authorization_code&code=Spl%2Bx&redirect_uri=http%3A%2F%2Flocalhost%3A53593%2Fcallback");
  REQUIRE(p.size() == 3);
  CHECK(p.get("grant_type") == "authorization_code");
  CHECK(p.get("code") == "Spl+x");
  CHECK(p.get("redirect_uri") == "http://localhost:53593/callback");
  CHECK(p.begin()->name == "grant_type");
}

TEST_CASE("'+' decodes to a space and %20 too") {
  auto p = parse_form("scope=openid+profile&state=a%20b");
  CHECK(p.get("scope") == "openid profile");
  CHECK(p.get("state") == "a b");
}

TEST_CASE("raw spaces and UTF-8 from sloppy clients are tolerated") {
  auto p = parse_form("scope=openid profile&name=J\xc3\xbcrgen");
  CHECK(p.get("scope") == "openid profile");
  CHECK(p.get("name") == "J\xc3\xbcrgen");
}

TEST_CASE("a repeated parameter is rejected with parameter_duplicated") {
  std::error_code ec;
  parse_form("client_id=a&scope=x&client_id=b", ec);
  CHECK(ec == error::parameter_duplicated);
  CHECK(ec == condition::invalid_request);
  parse_query("state=1&state=1", ec);
  CHECK(ec == error::parameter_duplicated);
}

TEST_CASE("a repeated name is recognised after decoding") {
  std::error_code ec;
  parse_form("code=1&%63ode=2", ec);
  CHECK(ec == error::parameter_duplicated);
}

TEST_CASE("duplicates are kept, in order, when the caller allows them") {
  auto p = parse_query("resource=a&resource=b", form_options{.reject_duplicates = false});
  CHECK(p.size() == 2);
  CHECK(p.get("resource") == "a");
}

TEST_CASE("bad percent-encoding is form_malformed in bodies and query_malformed in queries") {
  for (std::string_view body : {"a=%", "a=%4", "a=%zz", "a=%4g", "%=1", "a=1&b=%%"}) {
    std::error_code ec;
    INFO(body);
    parse_form(body, ec);
    CHECK(ec == error::form_malformed);
    parse_query(body, ec);
    CHECK(ec == error::query_malformed);
  }
}

TEST_CASE("control characters, raw or percent-encoded, are malformed") {
  for (std::string_view body : {"a=%00", "a=x%0D%0ASet-Cookie:+x", "a=%0a", "a=%7F", "a=\x01", "a%00=1"}) {
    std::error_code ec;
    INFO(body);
    parse_form(body, ec);
    CHECK(ec == error::form_malformed);
  }
  std::error_code ec;
  parse_form(std::string_view("a=b\0c", 5), ec);
  CHECK(ec == error::form_malformed);
  CHECK(parse_form("password=a%09b").get("password") == "a\tb");  // HTAB is allowed
}

TEST_CASE("an empty name is malformed") {
  std::error_code ec;
  parse_form("=value", ec);
  CHECK(ec == error::form_malformed);
}

TEST_CASE("empty values count as omitted (RFC 6749 §3.1)") {
  auto p = parse_form("scope=&state=xyz&nonce");
  CHECK_FALSE(p.contains("scope"));
  CHECK_FALSE(p.contains("nonce"));
  CHECK(p.size() == 1);
  std::error_code ec;
  parse_form("scope=&scope=a", ec);  // the empty one was never there
  CHECK_FALSE(ec);
  auto kept = parse_form("scope=", form_options{.drop_empty_values = false});
  CHECK(kept.contains("scope"));
}

TEST_CASE("empty pairs between '&' are skipped") {
  auto p = parse_form("&&a=1&&b=2&");
  CHECK(p.size() == 2);
  CHECK(parse_form("").empty());
}

TEST_CASE("required reports parameter_missing for absent and empty parameters") {
  auto p = parse_form("grant_type=client_credentials");
  std::error_code ec;
  CHECK(p.required("grant_type", ec) == "client_credentials");
  CHECK_FALSE(ec);
  CHECK(p.required("scope", ec).empty());
  CHECK(ec == error::parameter_missing);
  CHECK_THROWS_AS(p.required("scope"), tessera::system_error);
  CHECK_FALSE(p.optional("scope"));
  CHECK(p.get("scope").empty());
}

TEST_CASE("lookup is case-sensitive") {
  auto p = parse_form("Code=1");
  CHECK_FALSE(p.contains("code"));
}

TEST_CASE("bodies over the size limit are input_too_large") {
  std::error_code ec;
  parse_form(std::string(33 * 1024, 'a'), ec);
  CHECK(ec == error::input_too_large);
  parse_form("a=12345", ec, form_options{.max_size = 6});
  CHECK(ec == error::input_too_large);
}

TEST_CASE("more parameters than the limit are input_too_large") {
  std::string body;
  for (int i = 0; i < 65; ++i) body += "p" + std::to_string(i) + "=v&";
  std::error_code ec;
  parse_form(body, ec);
  CHECK(ec == error::input_too_large);
  parse_form(body, ec, form_options{.max_parameters = 65});
  CHECK_FALSE(ec);
}

TEST_CASE("form_encode escapes everything but unreserved characters and round-trips") {
  parameters p{{"redirect_uri", "http://localhost:53593/callback"}, {"scope", "all offline"}, {"x", "a&b=c%d+e~"}};
  auto s = form_encode(p);
  CHECK(s == "redirect_uri=http%3A%2F%2Flocalhost%3A53593%2Fcallback&scope=all+offline&x=a%26b%3Dc%25d%2Be~");
  auto back = parse_form(s);
  CHECK(back.get("x") == "a&b=c%d+e~");
  CHECK(back.get("scope") == "all offline");
  CHECK(form_encode_component("\xff\x01") == "%FF%01");
}

TEST_CASE("the one form encoder keeps '~' and encodes '*' (RFC 3986 unreserved, as Go and Python do)") {
  CHECK(form_encode_component("~") == "~");
  CHECK(form_encode_component("*") == "%2A");
  CHECK(form_encode_component("a~b*c-d.e_f g") == "a~b%2Ac-d.e_f+g");
  CHECK(parse_form("x=" + form_encode_component("~*")).get("x") == "~*");
  // Every decoder reads the WHATWG spelling the same: '*' raw and '~' as %7E.
  CHECK(parse_form("x=%7E*").get("x") == "~*");
}

TEST_CASE("the transport client's form bodies come from the same encoder") {
  const tessera::transport::form_fields fields{{"client_secret", "s~e*c r+e/t"}, {"scope", "all offline"}};
  const auto body = tessera::transport::detail::form_encode(fields);
  CHECK(body == "client_secret=s~e%2Ac+r%2Be%2Ft&scope=all+offline");
  CHECK(body == form_encode({{"client_secret", "s~e*c r+e/t"}, {"scope", "all offline"}}));
}

TEST_CASE("is_form_content_type: the media type in any case, with parameters and spaces") {
  for (std::string_view ok : {"application/x-www-form-urlencoded", "Application/X-WWW-Form-URLEncoded",
                              "application/x-www-form-urlencoded; charset=UTF-8", "application/x-www-form-urlencoded;charset=utf-8",
                              " application/x-www-form-urlencoded ", "application/x-www-form-urlencoded ;x=1"}) {
    INFO(ok);
    CHECK(is_form_content_type(ok));
  }
  for (std::string_view bad : {"", "application/json", "multipart/form-data", "application/x-www-form-urlencodedx",
                               "application/x-www-form-urlencoded garbage", "text/plain; application/x-www-form-urlencoded",
                               "application/x-www-form"}) {
    INFO(bad);
    CHECK_FALSE(is_form_content_type(bad));
  }
}

TEST_CASE("form_decode decodes one component") {
  std::string out;
  CHECK(form_decode("a%3Ab+c", out));
  CHECK(out == "a:b c");
  CHECK_FALSE(form_decode("%G0", out));
}
