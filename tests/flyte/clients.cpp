#include <tessera/flyte/clients.hpp>

#include "test_files.hpp"

#include <tessera/crypto/secret_hash.hpp>
#include <tessera/jose/jwk.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace tessera;

namespace {

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

/// Test material made once: bcrypt at cost 4 (fast), a public JWK Set.
struct material {
  std::string secret_hash = crypto::hash_secret("propeller secret", 4);
  std::string rotated_hash = crypto::hash_secret("old propeller secret", 4);
  std::string secret = crypto::encode_flyte_client_secret_hash(secret_hash);
  std::string rotated = crypto::encode_flyte_client_secret_hash(rotated_hash);
  std::string costly = crypto::encode_flyte_client_secret_hash(replace_all(secret_hash, "$04$", "$13$"));
  jose::jwk client_key = jose::jwk::generate(jose::algorithm::ES256);
  std::string jwks = [this] {
    jose::jwk_set s;
    s.add(client_key.public_key());
    return boost::json::serialize(s.public_json());
  }();

  std::string expand(std::string text) const {
    text = replace_all(std::move(text), "$SECRET", secret);
    text = replace_all(std::move(text), "$ROTATED", rotated);
    text = replace_all(std::move(text), "$COSTLY", costly);
    return replace_all(std::move(text), "$JWKS", jwks);
  }
};

const material& m() {
  static const material instance;
  return instance;
}

// Flyte's default static clients (flyteadmin's DefaultConfig, as JSON), every member spelled out,
// plus a private_key_jwt client: the form `static_clients_json` writes back.
std::string flyte_document() {
  return m().expand(R"({"staticClients": {
    "flytectl": {"id": "flytectl", "redirect_uris": ["http://localhost:53593/callback", "http://localhost:12345/callback"],
                 "grant_types": ["refresh_token", "authorization_code"], "response_types": ["code", "token"],
                 "scopes": ["all", "offline", "access_token"], "audience": [], "public": true},
    "flyte-cli": {"id": "flyte-cli", "redirect_uris": ["http://localhost:53593/callback", "http://localhost:12345/callback"],
                  "grant_types": ["refresh_token", "authorization_code"], "response_types": ["code", "token"],
                  "scopes": ["all", "offline", "access_token"], "audience": [], "public": true},
    "flytepropeller": {"id": "flytepropeller", "client_secret": "$SECRET", "rotated_secrets": ["$ROTATED"],
                       "redirect_uris": ["http://localhost:3846/callback"],
                       "grant_types": ["refresh_token", "client_credentials"], "response_types": ["token"],
                       "scopes": ["all", "offline", "access_token"], "audience": ["https://flyte.example.com"],
                       "public": false},
    "signer": {"id": "signer", "redirect_uris": [], "grant_types": ["client_credentials"], "response_types": ["code"],
               "scopes": ["all"], "audience": [], "public": false, "jwks": $JWKS}
  }})");
}

struct malformed_case {
  std::string text;
  error cause;
  std::string message;
  flyte::static_clients_options opts{};
};

const std::string pub = R"({"id": "cli", "public": true, "redirect_uris": ["http://localhost:53593/callback"]})";
const std::string svc = R"({"id": "svc", "client_secret": "$SECRET", "grant_types": ["client_credentials"]})";

std::string one(std::string_view members) {
  return R"({"clients": [{"id": "c", "public": true, )" + std::string(members) + "}]}";
}
std::string confidential(std::string_view members) {
  return R"({"clients": [{"id": "c", "client_secret": "$SECRET", )" + std::string(members) + "}]}";
}

}  // namespace

TEST_CASE("a Flyte static-clients document round-trips through the registry") {
  const auto doc = boost::json::parse(flyte_document());
  flyte::config_problem problem;
  const auto reg = flyte::parse_clients_document(doc, problem);
  INFO(problem.message());
  REQUIRE_FALSE(problem);
  REQUIRE(reg.size() == 4);

  const auto* ctl = reg.find("flytectl");
  REQUIRE(ctl);
  CHECK(ctl->is_public);
  CHECK(ctl->secret_hashes.empty());
  CHECK(ctl->redirect_uris ==
        std::vector<std::string>{"http://localhost:53593/callback", "http://localhost:12345/callback"});
  CHECK(ctl->allows_grant("authorization_code"));
  CHECK(ctl->allows_response_type("token"));
  CHECK(ctl->allows_scope("offline"));

  const auto* propeller = reg.find("flytepropeller");
  REQUIRE(propeller);
  CHECK_FALSE(propeller->is_public);
  CHECK(propeller->secret_hashes == std::vector<std::string>{m().secret_hash, m().rotated_hash});
  CHECK(crypto::verify_secret("propeller secret", propeller->secret_hashes[0]));
  CHECK(crypto::verify_secret("old propeller secret", propeller->secret_hashes[1]));
  CHECK(propeller->audience == std::vector<std::string>{"https://flyte.example.com"});
  CHECK(propeller->response_types == std::vector<std::string>{"token"});

  const auto* signer = reg.find("signer");
  REQUIRE(signer);
  REQUIRE(signer->assertion_keys.size() == 1);
  CHECK(signer->assertion_keys.find(m().client_key.kid()));

  // Written back, it is the document it was read from; read again, it writes the same.
  const auto written = flyte::static_clients_json(reg);
  CHECK(written == doc.at("staticClients").as_object());
  const auto again = flyte::parse_static_clients(boost::json::value(written));
  CHECK(flyte::static_clients_json(again) == written);
}

TEST_CASE("tessera-server's clients.json list form reads, with fosite's defaults for absent members") {
  const auto reg = flyte::parse_clients_json(m().expand(R"({"clients": [)" + pub + ", " + svc + "]}"));
  REQUIRE(reg.size() == 2);
  const auto* cli = reg.find("cli");
  REQUIRE(cli);
  CHECK(cli->response_types == std::vector<std::string>{"code"});  // fosite's default
  CHECK(cli->grant_types.empty());                                 // named, never implied
  CHECK(reg.find("svc")->secret_hashes.size() == 1);
}

TEST_CASE("null members count as absent, and a map entry's id defaults to its name") {
  const auto reg = flyte::parse_clients_json(
      R"({"staticClients": {"flytectl": {"public": true, "id": null, "redirect_uris": null, "audience": null,
                                         "client_secret": null, "rotated_secrets": null, "jwks": null,
                                         "response_types": [], "scopes": ["all"]}}})");
  const auto* c = reg.find("flytectl");
  REQUIRE(c);
  CHECK(c->id == "flytectl");
  CHECK(c->is_public);
  CHECK(c->response_types == std::vector<std::string>{"code"});
  // An empty client_secret is no secret, as with fosite's omitempty.
  CHECK(flyte::parse_clients_json(one(R"("client_secret": "")")).size() == 1);
}

TEST_CASE("first_party, tessera's own member, marks the operator's clients (row 37) and survives a round trip") {
  const auto reg = flyte::parse_clients_json(
      R"({"clients": [{"id": "console", "public": true, "first_party": true}, {"id": "other", "public": true, "first_party": false},
                      {"id": "unsaid", "public": true, "first_party": null}]})");
  REQUIRE(reg.size() == 3);
  CHECK(reg.find("console")->first_party);
  CHECK_FALSE(reg.find("other")->first_party);
  CHECK_FALSE(reg.find("unsaid")->first_party);
  auto back = flyte::parse_clients_json(boost::json::serialize(boost::json::object{{"staticClients", flyte::static_clients_json(reg)}}));
  CHECK(back.find("console")->first_party);
  CHECK_FALSE(back.find("other")->first_party);
  CHECK_FALSE(flyte::static_client_json(*reg.find("other")).contains("first_party"));  // Flyte's own shape when unset
  flyte::config_problem p;
  flyte::parse_clients_json(R"({"clients": [{"id": "c", "public": true, "first_party": "yes"}]})", p);
  CHECK(p.code == error::config_type_mismatch);
}

TEST_CASE("every malformed field is refused with its cause and position") {
  const std::vector<malformed_case> cases = {
      // The document and the collection
      {"[]", error::config_type_mismatch, "the document is not a JSON object"},
      {"{}", error::config_member_missing, "clients: missing (a list of clients, or Flyte's staticClients map)"},
      {R"({"clients": [], "staticClients": {}})", error::config_value_invalid, "has both clients and staticClients"},
      {R"({"clients": [], "extra": 1})", error::config_member_unknown,
       "extra: unknown member (expected clients or staticClients)"},
      {R"({"clients": "flytectl"})", error::config_type_mismatch, "clients: not a list or a map of clients"},
      {R"({"clients": [1]})", error::config_type_mismatch, "clients[0]: not an object"},
      {R"({"staticClients": {"flytectl": []}})", error::config_type_mismatch, "staticClients.flytectl: not an object"},
      // id
      {R"({"clients": [{"public": true}]})", error::config_member_missing, "clients[0].id: missing"},
      {R"({"clients": [{"id": 5, "public": true}]})", error::config_type_mismatch, "clients[0].id: not a string"},
      {R"({"clients": [{"id": "", "public": true}]})", error::config_value_invalid, "clients[0].id: empty"},
      {R"({"clients": [{"id": "a\u0001b", "public": true}]})", error::config_value_invalid,
       "clients[0].id: has a character outside printable ASCII"},
      {R"({"staticClients": {"flytectl": {"id": "flyte-cli", "public": true}}})", error::config_value_invalid,
       "staticClients.flytectl.id: differs from the client's name in the map"},
      {R"({"staticClients": {"a b\u0007": {"public": true}}})", error::config_value_invalid,
       R"(staticClients["a b\x07"]: the client's name is not a valid client id (printable ASCII))"},
      {"{\"clients\": [" + pub + ", " + pub + "]}", error::config_value_invalid,
       "clients[1].id: client id is registered twice"},
      // secrets
      {R"({"clients": [{"id": "c", "client_secret": 5}]})", error::config_type_mismatch,
       "clients[0].client_secret: not a string"},
      {R"({"clients": [{"id": "c", "client_secret": "c2VjcmV0"}]})", error::secret_hash_invalid,
       "clients[0].client_secret: not standard base64 of a bcrypt hash ($2a$, $2b$ or $2y$)"},
      {R"({"clients": [{"id": "c", "client_secret": "not base64!"}]})", error::secret_hash_invalid,
       "clients[0].client_secret: not standard base64 of a bcrypt hash ($2a$, $2b$ or $2y$)"},
      {R"({"clients": [{"id": "c", "client_secret": "$COSTLY"}]})", error::secret_hash_cost,
       "clients[0].client_secret: bcrypt cost outside [4, 12]"},
      {confidential(R"("rotated_secrets": "$ROTATED")"), error::config_type_mismatch,
       "clients[0].rotated_secrets: not a list of strings"},
      {confidential(R"("rotated_secrets": [""])"), error::config_value_invalid, "clients[0].rotated_secrets[0]: empty"},
      {confidential(R"("rotated_secrets": ["$ROTATED", "c2VjcmV0"])"), error::secret_hash_invalid,
       "clients[0].rotated_secrets[1]: not standard base64 of a bcrypt hash ($2a$, $2b$ or $2y$)"},
      // lists of strings
      {"{\"clients\": [" + pub + ", " + svc +
           R"(, {"id": "c", "public": true, "redirect_uris": ["http://localhost/cb", 7]}]})",
       error::config_type_mismatch, "clients[2].redirect_uris[1]: not a string"},
      {one(R"("redirect_uris": "http://localhost/cb")"), error::config_type_mismatch,
       "clients[0].redirect_uris: not a list of strings"},
      {one(R"("redirect_uris": ["/callback"])"), error::config_value_invalid,
       "clients[0].redirect_uris[0]: not a redirect URI tessera accepts (absolute; https, http on a loopback host, or "
       "a private-use scheme; no fragment or user info)"},
      {one(R"("redirect_uris": ["https://app.example/cb#top"])"), error::config_value_invalid,
       "clients[0].redirect_uris[0]: not a redirect URI tessera accepts (absolute; https, http on a loopback host, or "
       "a private-use scheme; no fragment or user info)"},
      {one(R"("redirect_uris": ["https://user@app.example/cb"])"), error::config_value_invalid,
       "clients[0].redirect_uris[0]: not a redirect URI tessera accepts (absolute; https, http on a loopback host, or "
       "a private-use scheme; no fragment or user info)"},
      {one(R"("grant_types": ["authorization code"])"), error::config_value_invalid,
       "clients[0].grant_types[0]: not a grant type (empty, or has spaces or control characters)"},
      {one(R"("grant_types": {"authorization_code": true})"), error::config_type_mismatch,
       "clients[0].grant_types: not a list of strings"},
      {one(R"("response_types": ["code  token"])"), error::config_value_invalid,
       "clients[0].response_types[0]: not a response type (names separated by single spaces)"},
      {one(R"("scopes": ["all", "a\"b"])"), error::config_value_invalid,
       R"(clients[0].scopes[1]: not a scope token (RFC 6749 section 3.3: printable ASCII without space, '"' or '\\'))"},
      {one(R"("scopes": [true])"), error::config_type_mismatch, "clients[0].scopes[0]: not a string"},
      {one(R"("audience": [""])"), error::config_value_invalid,
       "clients[0].audience[0]: not an audience (empty, or has spaces or control characters)"},
      // public, jwks
      {R"({"clients": [{"id": "c", "public": "true"}]})", error::config_type_mismatch,
       "clients[0].public: not a boolean (true or false)"},
      {R"({"clients": [{"id": "c", "jwks": []}]})", error::config_type_mismatch,
       R"(clients[0].jwks: not an object (a JWK Set: {"keys": [...]}))"},
      {R"({"clients": [{"id": "c", "jwks": {"key": []}}]})", error::jwks_invalid,
       "clients[0].jwks: JWK set is malformed"},
      {R"({"clients": [{"id": "c", "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"}]}}]})",
       error::jwk_private_member_in_public_key, "clients[0].jwks: public JWK carries private key members"},
      // members tessera does not know
      {one(R"("redirectUris": ["http://localhost/cb"])"), error::config_member_unknown,
       "clients[0].redirectUris: unknown member (did you mean redirect_uris?)"},
      {one(R"("scope": ["all"])"), error::config_member_unknown,
       "clients[0].scope: unknown member (did you mean scopes?)"},
      {one(R"("secret": "x")"), error::config_member_unknown,
       "clients[0].secret: unknown member (did you mean client_secret?)"},
      {one(R"("colour": "blue")"), error::config_member_unknown, "clients[0].colour: unknown member"},
      // what the registry refuses
      {one(R"("client_secret": "$SECRET")"), error::config_value_invalid,
       "clients[0]: a public client cannot have client_secret, rotated_secrets or jwks"},
      {R"({"clients": [{"id": "c", "grant_types": ["client_credentials"]}]})", error::config_value_invalid,
       "clients[0]: a confidential client needs client_secret or jwks (or public: true)"},
      // bounds
      {"{\"clients\": [" + pub + ", " + svc + "]}",
       error::config_too_large,
       "clients: more than 1 clients",
       {.max_clients = 1}},
      {one(R"("scopes": ["all", "offline"])"),
       error::config_too_large,
       "clients[0].scopes: more than 1 entries",
       {.max_list_size = 1}},
      {one(R"("redirect_uris": ["http://localhost:53593/callback"])"),
       error::config_too_large,
       "clients[0].redirect_uris[0]: longer than 16 bytes",
       {.max_string_size = 16}},
      {confidential(R"("rotated_secrets": ["$ROTATED", "$ROTATED"])"),
       error::config_too_large,
       "clients[0].rotated_secrets: more than 1 entries",
       {.max_rotated_secrets = 1}},
      {"{\"clients\": [" + pub + "]}", error::config_too_large, "larger than 32 bytes", {.max_document_size = 32}},
      // JSON text
      {R"({"clients": [})", error::json_syntax, "not valid JSON (line 1, column 14)"},
      {"{\n  \"clients\": [\n    {\"id\": \"a\",}\n  ]\n}", error::json_syntax, "not valid JSON (line 3, column 16)"},
      {R"({"clients": [{"id": "c", "public": true)", error::json_syntax, "not valid JSON (line 1, column 40)"},
      {R"({"clients": [[[[1]]]]})",
       error::json_too_deep,
       "JSON nested deeper than 3 (line 1, column 15)",
       {.max_depth = 3}},
  };
  for (const auto& c : cases) {
    const std::string text = m().expand(c.text);
    INFO(text);
    flyte::config_problem problem;
    auto reg = flyte::parse_clients_json(text, problem, c.opts);
    CHECK(problem.code == c.cause);
    CHECK(problem.message() == c.message);
    CHECK(reg.size() == 0);
    CHECK((problem.code == condition::server_error || problem.code == condition::invalid_request));

    std::error_code ec;
    flyte::parse_clients_json(text, ec, c.opts);
    CHECK(ec == c.cause);

    try {
      flyte::parse_clients_json(text, c.opts);
      FAIL("no exception");
    } catch (const flyte::config_error& e) {
      CHECK(std::string(e.what()) == c.message);
      CHECK(e.code() == c.cause);
    }
  }
}

TEST_CASE("a secret never appears in a message") {
  flyte::config_problem problem;
  flyte::parse_clients_json(m().expand(one(R"("client_secret": "$SECRET")")), problem);
  REQUIRE(problem);
  CHECK(problem.message().find(m().secret) == std::string::npos);
  flyte::parse_clients_json(R"({"clients": [{"id": "c", "client_secret": "aHVudGVyMg=="}]})", problem);
  CHECK(problem.message().find("aHVudGVyMg") == std::string::npos);
}

TEST_CASE("unknown members may be ignored, as Flyte does, when asked") {
  const auto text = one(R"("token_endpoint_auth_method": "none", "redirectUris": [])");
  CHECK_THROWS_AS(flyte::parse_clients_json(text), flyte::config_error);
  const auto reg = flyte::parse_clients_json(text, {.allow_unknown_members = true});
  CHECK(reg.size() == 1);
  CHECK(flyte::parse_clients_json(R"({"clients": [], "comment": "x"})", {.allow_unknown_members = true}).size() == 0);
}

TEST_CASE("positions start at the path the caller names") {
  const auto v = boost::json::parse(R"({"flytectl": {"public": true, "scopes": [1]}})");
  flyte::config_problem problem;
  flyte::parse_static_clients(v, problem, {.path = "auth.appAuth.selfAuthServer.staticClients"});
  CHECK(problem.message() == "auth.appAuth.selfAuthServer.staticClients.flytectl.scopes[0]: not a string");
  const auto list = boost::json::parse(R"([{"id": "a", "public": true}, {"id": "b"}])");
  flyte::parse_static_clients(list, problem);
  CHECK(problem.message() == "staticClients[1]: a confidential client needs client_secret or jwks (or public: true)");
  CHECK(problem.code == condition::server_error);
}

TEST_CASE("odd member names are quoted, escaped and cut in positions") {
  const std::string long_name(100, 'x');
  flyte::config_problem problem;
  flyte::parse_clients_json(one("\"" + long_name + "\": 1"), problem);
  CHECK(problem.message() == "clients[0][\"" + std::string(64, 'x') + "...\"]: unknown member");
  flyte::parse_clients_json(one(R"("a\"b\\c\u00e9": 1)"), problem);
  CHECK(problem.message() == R"(clients[0]["a\"b\\c\xc3\xa9"]: unknown member)");
}

TEST_CASE("clients files: the file is named, and missing or oversized files are refused") {
  test::scratch_dir dir;
  const auto good = dir.write("clients.json", m().expand("{\"clients\": [" + pub + ", " + svc + "]}"));
  CHECK(flyte::load_clients_file(good).size() == 2);

  const auto bad = dir.write("bad.json", R"({"clients": [{"id": "c", "public": true, "redirect_uris": [7]}]})");
  flyte::config_problem problem;
  flyte::load_clients_file(bad, problem);
  CHECK(problem.code == error::config_type_mismatch);
  CHECK(problem.file == bad.string());
  CHECK(problem.message() == bad.string() + ": clients[0].redirect_uris[0]: not a string");

  flyte::load_clients_file(dir / "missing.json", problem);
  CHECK(problem.code == error::config_file_unreadable);
  CHECK(problem.message().rfind((dir / "missing.json").string() + ": cannot read: ", 0) == 0);

  flyte::load_clients_file(dir.path(), problem);
  CHECK(problem.code == error::config_file_unreadable);
  CHECK(problem.message() == dir.path().string() + ": not a regular file");

  flyte::load_clients_file(good, problem, {.max_document_size = 10});
  CHECK(problem.code == error::config_too_large);
  CHECK(problem.message() == good.string() + ": larger than 10 bytes");

  std::error_code ec;
  flyte::load_clients_file(dir / "missing.json", ec);
  CHECK(ec == error::config_file_unreadable);
  CHECK(ec == condition::server_error);
  try {
    flyte::load_clients_file(bad);
    FAIL("no exception");
  } catch (const tessera::system_error& e) {  // config_error is a tessera::system_error
    CHECK(e.code() == error::config_type_mismatch);
    CHECK(std::string(e.what()) == bad.string() + ": clients[0].redirect_uris[0]: not a string");
  }
}
