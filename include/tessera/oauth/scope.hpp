// tessera — oauth/scope.hpp
//
// Scope strings (RFC 6749 §3.3): space-separated, case-sensitive tokens whose order means
// nothing. Shared by the server (what to grant), the resource server (what a token allows) and
// the client (what to ask for). Empty tokens from repeated spaces are skipped and duplicates
// count once, so "a  b a" is the scope {a, b}.
#ifndef TESSERA_OAUTH_SCOPE_HPP
#define TESSERA_OAUTH_SCOPE_HPP

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::oauth {

/// The distinct tokens of a space-separated scope string, in first-seen order. The views
/// point into `scope`.
inline std::vector<std::string_view> split_scope(std::string_view scope) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < scope.size()) {
    std::size_t j = scope.find(' ', i);
    if (j == std::string_view::npos) j = scope.size();
    if (j > i && std::find(out.begin(), out.end(), scope.substr(i, j - i)) == out.end()) out.push_back(scope.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

/// Whether `scope` has the token `one`.
inline bool scope_contains(std::string_view scope, std::string_view one) noexcept {
  std::size_t i = 0;
  while (i < scope.size()) {
    std::size_t j = scope.find(' ', i);
    if (j == std::string_view::npos) j = scope.size();
    if (scope.substr(i, j - i) == one && j > i) return true;
    i = j + 1;
  }
  return false;
}

/// Whether every token of `requested` is in `granted` (RFC 6749 §6: a refresh may narrow the
/// scope, never widen it).
inline bool scope_within(std::string_view requested, std::string_view granted) {
  for (auto one : split_scope(requested))
    if (!scope_contains(granted, one)) return false;
  return true;
}

/// The tokens joined by single spaces.
template <class Range>
std::string join_scope(const Range& tokens) {
  std::string out;
  for (const auto& t : tokens) {
    std::string_view v(t);
    if (v.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out.append(v);
  }
  return out;
}

}  // namespace tessera::oauth

#endif
