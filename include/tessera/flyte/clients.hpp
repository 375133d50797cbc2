// tessera — flyte/clients.hpp
//
// Flyte's static clients (`auth.appAuth.selfAuthServer.staticClients`: fosite's DefaultClient)
// read into a `server::client_registry`, every value checked, every failure reported with its
// position (flyte/config_error.hpp):
//
//     staticClients:                       # Flyte: a map, client name -> client
//       flytepropeller:
//         id: flytepropeller               # optional in a map (defaults to the name); must equal it
//         client_secret: <base64 of a bcrypt hash>   # Flyte's form (`clientSecretHash`)
//         rotated_secrets: [<base64 of a bcrypt hash>, ...]
//         redirect_uris: [http://localhost:3846/callback]
//         grant_types: [refresh_token, client_credentials]
//         response_types: [token]          # absent or empty: [code], as fosite
//         scopes: [all, offline, access_token]
//         audience: []
//         public: false
//         jwks: {keys: [...]}              # tessera's addition: public keys for private_key_jwt
//
// tessera's own file (tessera-server's `clients.json`) holds the same objects as a list:
// `{"clients": [{"id": ...}, ...]}`; positions then read `clients[2].redirect_uris[0]`.
//
// Checks, each with its own message (cause in parentheses):
//  * types: objects, arrays of strings, strings, booleans `public` and `first_party`; `null`
//    counts as absent,
//    as it does for Flyte (`config_type_mismatch`);
//  * `id` present in a list (`config_member_missing`), non-empty printable ASCII (RFC 6749
//    Appendix A.1), equal to its name in a map; redirect URIs as the registry accepts them
//    (`server::valid_redirect_uri`); scopes are scope-tokens (§3.3); grant types,
//    response types and audiences are non-empty and free of control characters
//    (`config_value_invalid`);
//  * secrets are strict base64 of a bcrypt hash with a cost tessera accepts
//    (`secret_hash_invalid`, `secret_hash_cost`) — never echoed; `jwks` is a JWK Set of public
//    keys (the jose cause, e.g. `jwks_invalid`, `jwk_private_member_in_public_key`);
//  * what the registry refuses: a public client with a secret, a confidential one with neither
//    secret nor keys, an id given twice (`config_value_invalid`);
//  * members tessera does not know (`config_member_unknown`), unless
//    `allow_unknown_members` — Flyte itself ignores them, but a misspelt `redirect_uri` would
//    silently leave a client without redirects; the message suggests the intended name;
//  * bounds (`config_too_large`): clients, entries per list, bytes per string, rotated secrets,
//    and for text: document size and JSON depth (`json_syntax`, `json_too_deep` for bad JSON,
//    with line and column).
//
// Differences from Flyte, on purpose: an absent `grant_types` allows no grant (fosite would
// default to `authorization_code`): a client's grants are named, not implied.
#ifndef TESSERA_FLYTE_CLIENTS_HPP
#define TESSERA_FLYTE_CLIENTS_HPP

#include <tessera/crypto/base64.hpp>
#include <tessera/error.hpp>
#include <tessera/flyte/config_error.hpp>
#include <tessera/flyte/detail/read_file.hpp>
#include <tessera/jose/jwks.hpp>
#include <tessera/server/client.hpp>

#include <boost/json/object.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tessera::flyte {

/// How static clients are read, and the bounds that keep a broken or hostile file cheap.
struct static_clients_options {
  std::string_view path = "staticClients";  // root of positions (parse_static_clients only)
  bool allow_unknown_members = false;       // true: ignore members tessera does not know
  std::size_t max_clients = 1000;
  std::size_t max_list_size = 100;              // entries of one list: redirect_uris, scopes, ...
  std::size_t max_string_size = 2048;           // bytes of one id, URI, scope, secret, ...
  std::size_t max_rotated_secrets = 8;          // each one is a bcrypt run for a wrong secret
  std::size_t max_document_size = 1024 * 1024;  // text and file overloads
  std::size_t max_depth = 32;                   // JSON nesting, text and file overloads
};

/// The members of a static client, in fosite's spelling, and tessera's own `first_party` (the
/// operator's application: no consent page, docs/security.md row 37; Flyte ignores it).
inline constexpr std::array<std::string_view, 12> static_client_members = {
    "id",     "client_secret", "rotated_secrets", "redirect_uris", "grant_types", "response_types",
    "scopes", "audience",      "public",          "jwks",          "first_party", "post_logout_redirect_uris"};

namespace detail {

// RFC 6749 Appendix A: VSCHAR = %x20-7E; NQCHAR (scope-token) = %x21 / %x23-5B / %x5D-7E.
inline bool is_vschar_string(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c <= 0x7e; });
}
inline bool is_token(std::string_view s) noexcept {  // printable, no space
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c <= 0x7e; });
}
inline bool is_scope_token(std::string_view s) noexcept {
  return is_token(s) && s.find_first_of("\"\\") == std::string_view::npos;
}
/// One response type or several joined by single spaces ("code id_token").
inline bool is_response_type(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (std::size_t i = 0;;) {
    auto j = s.find(' ', i);
    if (!is_token(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i))) return false;
    if (j == std::string_view::npos) return true;
    i = j + 1;
  }
}

/// `redirectUris` → `redirect_uris`: the known member a misspelt one most likely means.
inline std::string_view likely_member(std::string_view name) {
  auto fold = [](std::string_view s) {
    std::string out;
    for (char ch : s.substr(0, 64))
      if (ch != '_' && ch != '-') out += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    return out;
  };
  const std::string folded = fold(name);
  for (auto known : static_client_members) {
    const std::string k = fold(known);
    if (folded == k || folded + "s" == k || folded == k + "s") return known;
  }
  if (folded == "secret" || folded == "clientsecrets") return "client_secret";
  return {};
}

class static_clients_reader {
 public:
  static_clients_reader(const static_clients_options& opts, config_problem& problem) : opts_(opts), problem_(problem) {
    problem_ = {};
  }

  /// A list of client objects or a map name → client object, positions under `root`.
  bool read_collection(const boost::json::value& v, std::string_view root, server::client_registry& out) {
    path_.assign(root);
    if (const auto* arr = v.if_array()) {
      if (arr->size() > opts_.max_clients) return too_many("clients", opts_.max_clients);
      for (std::size_t i = 0; i < arr->size(); ++i) {
        path_scope s(path_);
        append_index(path_, i);
        if (!read_client((*arr)[i], {}, false, out)) return false;
      }
      return true;
    }
    if (const auto* obj = v.if_object()) {
      if (obj->size() > opts_.max_clients) return too_many("clients", opts_.max_clients);
      for (const auto& member : *obj) {
        path_scope s(path_);
        append_member(path_, member.key());
        if (!read_client(member.value(), member.key(), true, out)) return false;
      }
      return true;
    }
    return fail(error::config_type_mismatch, "not a list or a map of clients");
  }

  /// `{"clients": ...}` (tessera's file) or `{"staticClients": ...}` (Flyte's key).
  bool read_document(const boost::json::value& v, server::client_registry& out) {
    path_.clear();
    const auto* doc = v.if_object();
    if (!doc) return fail(error::config_type_mismatch, "the document is not a JSON object");
    const boost::json::value* clients = nullptr;
    std::string_view root;
    for (const auto& member : *doc) {
      const std::string_view key = member.key();
      if (key == "clients" || key == "staticClients") {
        if (clients) return fail(error::config_value_invalid, "has both clients and staticClients");
        clients = &member.value();
        root = key;
      } else if (!opts_.allow_unknown_members) {
        append_member(path_, key);
        return fail(error::config_member_unknown, "unknown member (expected clients or staticClients)");
      }
    }
    if (!clients) {
      path_ = "clients";
      return fail(error::config_member_missing, "missing (a list of clients, or Flyte's staticClients map)");
    }
    return read_collection(*clients, root, out);
  }

 private:
  // Restores the path when a nested value is done.
  class path_scope {
   public:
    explicit path_scope(std::string& p) : p_(p), size_(p.size()) {}
    ~path_scope() { p_.resize(size_); }
    path_scope(const path_scope&) = delete;
    path_scope& operator=(const path_scope&) = delete;

   private:
    std::string& p_;
    std::size_t size_;
  };

  bool fail(error e, std::string detail) {
    problem_.code = e;
    problem_.path = path_;
    problem_.detail = std::move(detail);
    return false;
  }
  bool fail(std::error_code ec, std::string detail) {
    problem_.code = ec;
    problem_.path = path_;
    problem_.detail = std::move(detail);
    return false;
  }
  bool too_many(std::string_view what, std::size_t limit) {
    return fail(error::config_too_large, "more than " + std::to_string(limit) + " " + std::string(what));
  }

  bool read_string(const boost::json::value& v, std::string& out) {
    const auto* s = v.if_string();
    if (!s) return fail(error::config_type_mismatch, "not a string");
    if (s->size() > opts_.max_string_size)
      return fail(error::config_too_large, "longer than " + std::to_string(opts_.max_string_size) + " bytes");
    out.assign(s->data(), s->size());
    return true;
  }

  /// An array of strings, each passing `valid` (else `invalid_detail` at its index).
  template <class Check>
  bool read_strings(const boost::json::value& v, std::size_t limit, std::vector<std::string>& out, Check valid,
                    std::string_view invalid_detail) {
    out.clear();
    if (v.is_null()) return true;
    const auto* arr = v.if_array();
    if (!arr) return fail(error::config_type_mismatch, "not a list of strings");
    if (arr->size() > limit) return too_many("entries", limit);
    for (std::size_t i = 0; i < arr->size(); ++i) {
      path_scope s(path_);
      append_index(path_, i);
      std::string item;
      if (!read_string((*arr)[i], item)) return false;
      if (!valid(item)) return fail(error::config_value_invalid, std::string(invalid_detail));
      out.push_back(std::move(item));
    }
    return true;
  }

  bool add_secret(server::client& c, std::string_view flyte_hash) {
    std::error_code ec;
    c.add_flyte_secret(flyte_hash, ec);
    if (!ec) return true;
    if (ec == error::secret_hash_cost)
      return fail(ec, "bcrypt cost outside [" + std::to_string(crypto::bcrypt_min_cost) + ", " +
                          std::to_string(crypto::bcrypt_max_cost) + "]");
    return fail(ec, "not standard base64 of a bcrypt hash ($2a$, $2b$ or $2y$)");
  }

  bool read_client(const boost::json::value& v, std::string_view name, bool in_map, server::client_registry& out) {
    const auto* o = v.if_object();
    if (!o) return fail(error::config_type_mismatch, "not an object");
    server::client c;
    bool id_seen = false;
    for (const auto& member : *o) {
      const std::string_view key = member.key();
      const boost::json::value& value = member.value();
      path_scope s(path_);
      append_member(path_, key);
      if (key == "id") {
        if (value.is_null()) continue;
        if (!read_string(value, c.id)) return false;
        if (c.id.empty()) return fail(error::config_value_invalid, "empty");
        if (!is_vschar_string(c.id))
          return fail(error::config_value_invalid, "has a character outside printable ASCII");
        if (in_map && c.id != name)
          return fail(error::config_value_invalid, "differs from the client's name in the map");
        id_seen = true;
      } else if (key == "client_secret") {
        if (value.is_null()) continue;
        std::string secret;
        if (!read_string(value, secret)) return false;
        if (!secret.empty() && !add_secret(c, secret)) return false;  // "": no secret, as fosite's omitempty
      } else if (key == "rotated_secrets") {
        std::vector<std::string> secrets;
        if (!read_strings(
                value, opts_.max_rotated_secrets, secrets, [](const std::string& x) { return !x.empty(); }, "empty"))
          return false;
        for (std::size_t i = 0; i < secrets.size(); ++i) {
          path_scope si(path_);
          append_index(path_, i);
          if (!add_secret(c, secrets[i])) return false;
        }
      } else if (key == "redirect_uris") {
        if (!read_strings(
                value, opts_.max_list_size, c.redirect_uris,
                [](const std::string& x) { return server::valid_redirect_uri(x); },
                "not a redirect URI tessera accepts (absolute; https, http on a loopback host, or a "
                "private-use scheme; no fragment or user info)"))
          return false;
      } else if (key == "post_logout_redirect_uris") {
        if (!read_strings(
                value, opts_.max_list_size, c.post_logout_redirect_uris,
                [](const std::string& x) { return server::valid_redirect_uri(x); },
                "not a redirect URI tessera accepts (absolute; https, http on a loopback host, or a "
                "private-use scheme; no fragment or user info)"))
          return false;
      } else if (key == "grant_types") {
        if (!read_strings(
                value, opts_.max_list_size, c.grant_types, [](const std::string& x) { return is_token(x); },
                "not a grant type (empty, or has spaces or control characters)"))
          return false;
      } else if (key == "response_types") {
        std::vector<std::string> types;
        if (!read_strings(
                value, opts_.max_list_size, types, [](const std::string& x) { return is_response_type(x); },
                "not a response type (names separated by single spaces)"))
          return false;
        if (!types.empty()) c.response_types = std::move(types);  // absent or empty: fosite's [code]
      } else if (key == "scopes") {
        if (!read_strings(
                value, opts_.max_list_size, c.scopes, [](const std::string& x) { return is_scope_token(x); },
                "not a scope token (RFC 6749 section 3.3: printable ASCII without space, '\"' or '\\\\')"))
          return false;
      } else if (key == "audience") {
        if (!read_strings(
                value, opts_.max_list_size, c.audience, [](const std::string& x) { return is_token(x); },
                "not an audience (empty, or has spaces or control characters)"))
          return false;
      } else if (key == "public") {
        if (value.is_null()) continue;
        if (!value.is_bool()) return fail(error::config_type_mismatch, "not a boolean (true or false)");
        c.is_public = value.get_bool();
      } else if (key == "first_party") {
        if (value.is_null()) continue;
        if (!value.is_bool()) return fail(error::config_type_mismatch, "not a boolean (true or false)");
        c.first_party = value.get_bool();
      } else if (key == "jwks") {
        if (value.is_null()) continue;
        if (!value.is_object())
          return fail(error::config_type_mismatch, "not an object (a JWK Set: {\"keys\": [...]})");
        std::error_code ec;
        c.assertion_keys = jose::jwk_set::parse(value, ec);
        if (ec) return fail(ec, ec.message());
      } else if (!opts_.allow_unknown_members) {
        auto intended = likely_member(key);
        return fail(error::config_member_unknown, intended.empty()
                                                      ? std::string("unknown member")
                                                      : "unknown member (did you mean " + std::string(intended) + "?)");
      }
    }
    if (!id_seen) {
      if (in_map) {
        if (name.empty() || name.size() > opts_.max_string_size || !is_vschar_string(name))
          return fail(error::config_value_invalid, "the client's name is not a valid client id (printable ASCII)");
        c.id.assign(name);
      } else {
        path_scope s(path_);
        append_member(path_, "id");
        return fail(error::config_member_missing, "missing");
      }
    }
    switch (out.add(std::move(c))) {
      case server::client_problem::none:
        return true;
      case server::client_problem::public_with_secret:
        return fail(error::config_value_invalid, "a public client cannot have client_secret, rotated_secrets or jwks");
      case server::client_problem::confidential_without_credentials:
        return fail(error::config_value_invalid, "a confidential client needs client_secret or jwks (or public: true)");
      case server::client_problem::duplicate_id: {
        path_scope s(path_);
        if (id_seen) append_member(path_, "id");
        return fail(error::config_value_invalid, "client id is registered twice");
      }
      case server::client_problem::empty_id:  // checked above; kept for a registry that grows checks
      case server::client_problem::redirect_uri_invalid:
        break;
    }
    return fail(error::config_value_invalid, "refused by the client registry");
  }

  const static_clients_options& opts_;
  config_problem& problem_;
  std::string path_;
};

/// Parses JSON text with the options' bounds; `json_syntax` / `json_too_deep` name the line
/// and column.
inline bool parse_json_text(std::string_view text, const static_clients_options& opts, boost::json::value& out,
                            config_problem& problem) {
  problem = {};
  if (text.size() > opts.max_document_size) {
    problem.code = error::config_too_large;
    problem.detail = "larger than " + std::to_string(opts.max_document_size) + " bytes";
    return false;
  }
  boost::json::parse_options po;
  po.max_depth = opts.max_depth;
  boost::json::stream_parser parser({}, po);
  boost::system::error_code jec;
  std::size_t used = parser.write(text.data(), text.size(), jec);
  if (!jec) parser.finish(jec);
  if (jec) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < used && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    const bool deep = jec == boost::json::error::too_deep;
    problem.code = deep ? error::json_too_deep : error::json_syntax;
    problem.detail =
        (deep ? "JSON nested deeper than " + std::to_string(opts.max_depth) : std::string("not valid JSON")) +
        " (line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
    return false;
  }
  out = parser.release();
  return true;
}

}  // namespace detail

//------------------------------------------------------------------------------------------
// A collection: a list of clients or Flyte's map (name → client).

/// Reads `clients` — a list of client objects, or Flyte's `staticClients` map — into a
/// registry. Positions in `problem` start at `opts.path` ("staticClients.flytectl.scopes[1]").
inline server::client_registry parse_static_clients(const boost::json::value& clients, config_problem& problem,
                                                    const static_clients_options& opts = {}) {
  server::client_registry reg;
  detail::static_clients_reader r(opts, problem);
  if (!r.read_collection(clients, opts.path, reg)) return {};
  return reg;
}
inline server::client_registry parse_static_clients(const boost::json::value& clients, std::error_code& ec,
                                                    const static_clients_options& opts = {}) {
  config_problem p;
  auto reg = parse_static_clients(clients, p, opts);
  ec = p.code;
  return reg;
}
/// Throws `config_error` naming the offending value.
inline server::client_registry parse_static_clients(const boost::json::value& clients,
                                                    const static_clients_options& opts = {}) {
  config_problem p;
  auto reg = parse_static_clients(clients, p, opts);
  detail::throw_if(p);
  return reg;
}

//------------------------------------------------------------------------------------------
// A document: {"clients": [...]} (tessera-server's clients.json) or {"staticClients": {...}}.

inline server::client_registry parse_clients_document(const boost::json::value& doc, config_problem& problem,
                                                      const static_clients_options& opts = {}) {
  server::client_registry reg;
  detail::static_clients_reader r(opts, problem);
  if (!r.read_document(doc, reg)) return {};
  return reg;
}
inline server::client_registry parse_clients_document(const boost::json::value& doc, std::error_code& ec,
                                                      const static_clients_options& opts = {}) {
  config_problem p;
  auto reg = parse_clients_document(doc, p, opts);
  ec = p.code;
  return reg;
}
inline server::client_registry parse_clients_document(const boost::json::value& doc,
                                                      const static_clients_options& opts = {}) {
  config_problem p;
  auto reg = parse_clients_document(doc, p, opts);
  detail::throw_if(p);
  return reg;
}

/// The same document as JSON text, bounded by `max_document_size` and `max_depth`.
inline server::client_registry parse_clients_json(std::string_view text, config_problem& problem,
                                                  const static_clients_options& opts = {}) {
  boost::json::value doc;
  if (!detail::parse_json_text(text, opts, doc, problem)) return {};
  return parse_clients_document(doc, problem, opts);
}
inline server::client_registry parse_clients_json(std::string_view text, std::error_code& ec,
                                                  const static_clients_options& opts = {}) {
  config_problem p;
  auto reg = parse_clients_json(text, p, opts);
  ec = p.code;
  return reg;
}
inline server::client_registry parse_clients_json(std::string_view text, const static_clients_options& opts = {}) {
  config_problem p;
  auto reg = parse_clients_json(text, p, opts);
  detail::throw_if(p);
  return reg;
}

/// The same document read from a file; `problem.file` names it.
inline server::client_registry load_clients_file(const std::filesystem::path& file, config_problem& problem,
                                                 const static_clients_options& opts = {}) {
  std::string text;
  if (!detail::read_config_file(file, opts.max_document_size, text, problem)) return {};
  auto reg = parse_clients_json(text, problem, opts);
  if (problem) problem.file = file.string();
  return reg;
}
inline server::client_registry load_clients_file(const std::filesystem::path& file, std::error_code& ec,
                                                 const static_clients_options& opts = {}) {
  config_problem p;
  auto reg = load_clients_file(file, p, opts);
  ec = p.code;
  return reg;
}
inline server::client_registry load_clients_file(const std::filesystem::path& file,
                                                 const static_clients_options& opts = {}) {
  config_problem p;
  auto reg = load_clients_file(file, p, opts);
  detail::throw_if(p);
  return reg;
}

//------------------------------------------------------------------------------------------
// Writing: the inverse, in Flyte's spelling (secrets as base64 of their bcrypt hash).

/// One client as a Flyte static client object. Reading it back gives the same client.
inline boost::json::object static_client_json(const server::client& c) {
  auto strings = [](const std::vector<std::string>& v) {
    boost::json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
  };
  boost::json::object o;
  o["id"] = c.id;
  if (!c.secret_hashes.empty()) {
    o["client_secret"] = crypto::encode_flyte_client_secret_hash(c.secret_hashes.front());
    if (c.secret_hashes.size() > 1) {
      boost::json::array rotated;
      for (auto it = c.secret_hashes.begin() + 1; it != c.secret_hashes.end(); ++it)
        rotated.emplace_back(crypto::encode_flyte_client_secret_hash(*it));
      o["rotated_secrets"] = std::move(rotated);
    }
  }
  o["redirect_uris"] = strings(c.redirect_uris);
  if (!c.post_logout_redirect_uris.empty()) o["post_logout_redirect_uris"] = strings(c.post_logout_redirect_uris);
  o["grant_types"] = strings(c.grant_types);
  o["response_types"] = strings(c.response_types);
  o["scopes"] = strings(c.scopes);
  o["audience"] = strings(c.audience);
  o["public"] = c.is_public;
  if (c.first_party) o["first_party"] = true;
  if (!c.assertion_keys.empty()) o["jwks"] = c.assertion_keys.public_json();
  return o;
}

/// A registry as Flyte's `staticClients` map (client id → client).
inline boost::json::object static_clients_json(const server::client_registry& reg) {
  boost::json::object o;
  for (const auto& [id, c] : reg) o[id] = static_client_json(c);
  return o;
}

}  // namespace tessera::flyte

#endif
