// tessera_jose_tool — a small command-line face of tessera::jose for cross-checks with other
// JOSE implementations (tests/interop/jose_crosscheck.py). Not a test by itself.
//
//   tessera_jose_tool sign   <alg> <key> <claims.json>               prints the compact JWS
//   tessera_jose_tool verify <alg> <key> <token> [--iss X] [--aud Y] [--typ T]
//                                                                      exit 0 and prints the claims,
//                                                                      or exit 1 and the error
//
// <key> is a file: *.pem (any PEM form tessera reads), *.jwk / *.json (a JWK), or, for HS*,
// any other file holding the raw secret bytes. The key is bound to <alg>.
// Exit status 2 means a usage error or an unusable key.
#include <tessera/jose.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

namespace jose = tessera::jose;

namespace {

int usage() {
  std::cerr << "usage: tessera_jose_tool sign <alg> <key> <claims.json>\n"
               "       tessera_jose_tool verify <alg> <key> <token> [--iss X] [--aud Y] [--typ T]\n";
  return 2;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

jose::jwk load_key(const std::string& path, jose::algorithm alg, std::error_code& ec) {
  std::string text;
  if (!read_file(path, text)) {
    ec = std::make_error_code(std::errc::no_such_file_or_directory);
    return {};
  }
  if (ends_with(path, ".pem")) return jose::jwk::from_pem(text, alg, ec);
  if (ends_with(path, ".jwk") || ends_with(path, ".json")) return jose::jwk::from_json(text, ec, alg);
  return jose::jwk::from_secret(text, alg, ec);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return usage();
  const std::string_view command = argv[1];
  std::error_code ec;
  const auto alg = jose::parse_algorithm(argv[2], ec);
  if (!alg) {
    std::cerr << "algorithm " << argv[2] << ": " << ec.message() << "\n";
    return 2;
  }
  const jose::jwk key = load_key(argv[3], *alg, ec);
  if (ec) {
    std::cerr << "key " << argv[3] << ": " << ec.message() << "\n";
    return 2;
  }

  if (command == "sign") {
    std::string text;
    if (!read_file(argv[4], text)) {
      std::cerr << "cannot read " << argv[4] << "\n";
      return 2;
    }
    boost::json::value claims = boost::json::parse(text, ec);
    if (ec || !claims.is_object()) {
      std::cerr << "claims must be a JSON object\n";
      return 2;
    }
    const std::string token = jose::sign_jwt(jose::jws_signer(key, "JWT"), claims.get_object(), ec);
    if (ec) {
      std::cerr << "sign: " << ec.message() << "\n";
      return 1;
    }
    std::cout << token << "\n";
    return 0;
  }

  if (command == "verify") {
    const jose::jwk_set keys{key.public_key()};
    jose::jwt_validator validator(keys);
    for (int i = 5; i < argc; ++i) {
      const std::string_view opt = argv[i];
      if (i + 1 >= argc) return usage();
      const std::string value = argv[++i];
      if (opt == "--iss") validator.issuer(value);
      else if (opt == "--aud") validator.audience(value);
      else if (opt == "--typ") validator.type(value);
      else return usage();
    }
    const auto r = validator.validate(argv[4], ec);
    if (ec) {
      std::cout << "error: " << ec.message() << " (" << tessera::wire_name(tessera::condition_of(ec)) << ")\n";
      return 1;
    }
    std::cout << boost::json::serialize(r.claims) << "\n";
    return 0;
  }
  return usage();
}
