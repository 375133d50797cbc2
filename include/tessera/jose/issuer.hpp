// tessera — jose/issuer.hpp
//
// `tenant_issuer`: an issuer policy for multi-tenant identity providers, whose `iss` differs
// per tenant while the signing keys are shared by all of them. Azure AD's v2.0 discovery
// document publishes the template
//
//     https://login.microsoftonline.com/{tenantid}/v2.0
//
// and a token from tenant 72f988bf-… carries `iss` = that template with the tenant id in
// place of `{tenantid}`. Every Azure tenant — an attacker can create one in minutes — gets
// tokens signed with the same keys, so accepting the template with any tenant accepts
// strangers: a `tenant_issuer` therefore takes an allow-list, and accepts any tenant only when
// built with `tenant_issuer::any_tenant`, a name nobody types by accident.
//
// A template holds `{tenantid}` exactly once, after a fixed scheme ("https://"); anything
// else is `issuer_template_invalid`. Matching (`check`): `iss` must be the template's text
// before `{tenantid}`, then a tenant id of 1–128 characters from [A-Za-z0-9._-], not starting
// with '.' (GUIDs and domain names; no '/', so the tenant cannot reach into the path), then
// the text after it; anything else is `issuer_mismatch`.
// A tenant outside the allow-list is `issuer_tenant_not_allowed`. Tenant ids are compared
// exactly (Azure puts the lowercase GUID in `iss`).
//
// The validator (jwt.hpp) tries exact issuers first, then each tenant template. Exact match
// stays the default; a template is only ever used when configured.
#ifndef TESSERA_JOSE_ISSUER_HPP
#define TESSERA_JOSE_ISSUER_HPP

#include <tessera/error.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::jose {

class tenant_issuer {
 public:
  static constexpr std::string_view placeholder = "{tenantid}";
  static constexpr std::size_t max_tenant_size = 128;

  /// Accepts the template with one of `tenants`. A malformed template (see above) or an
  /// empty allow-list is `issuer_template_invalid` (`any_tenant` accepts every tenant).
  static tenant_issuer allow(std::string_view issuer_template, std::vector<std::string> tenants, std::error_code& ec) {
    if (tenants.empty()) {
      ec = error::issuer_template_invalid;
      return {};
    }
    tenant_issuer t = make(issuer_template, ec);
    if (ec) return {};
    t.tenants_ = std::move(tenants);
    return t;
  }
  static tenant_issuer allow(std::string_view issuer_template, std::vector<std::string> tenants) {
    std::error_code ec;
    auto t = allow(issuer_template, std::move(tenants), ec);
    tessera::detail::throw_if(ec);
    return t;
  }

  /// Accepts the template with any well-formed tenant id. Only for applications that really
  /// serve every tenant of the provider (and then usually check the tenant in a claim check).
  static tenant_issuer any_tenant(std::string_view issuer_template, std::error_code& ec) {
    tenant_issuer t = make(issuer_template, ec);
    if (ec) return {};
    t.any_ = true;
    return t;
  }
  static tenant_issuer any_tenant(std::string_view issuer_template) {
    std::error_code ec;
    auto t = any_tenant(issuer_template, ec);
    tessera::detail::throw_if(ec);
    return t;
  }

  /// The tenant id `iss` names, when it fits the template (allowed or not).
  std::optional<std::string_view> tenant_of(std::string_view iss) const noexcept {
    if (iss.size() <= prefix_.size() + suffix_.size() || !iss.starts_with(prefix_) || !iss.ends_with(suffix_))
      return std::nullopt;
    const std::string_view tenant = iss.substr(prefix_.size(), iss.size() - prefix_.size() - suffix_.size());
    if (tenant.size() > max_tenant_size || tenant.front() == '.') return std::nullopt;
    for (char c : tenant)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_'))
        return std::nullopt;
    return tenant;
  }

  /// Empty when `iss` is accepted; otherwise `issuer_mismatch` (does not fit the template)
  /// or `issuer_tenant_not_allowed`.
  std::error_code check(std::string_view iss) const noexcept {
    auto tenant = tenant_of(iss);
    if (!tenant) return error::issuer_mismatch;
    if (any_ || std::find(tenants_.begin(), tenants_.end(), *tenant) != tenants_.end()) return {};
    return error::issuer_tenant_not_allowed;
  }

  /// The template, `{tenantid}` included.
  std::string issuer_template() const { return prefix_ + std::string(placeholder) + suffix_; }
  const std::vector<std::string>& allowed_tenants() const noexcept { return tenants_; }
  bool allows_any_tenant() const noexcept { return any_; }

 private:
  tenant_issuer() = default;

  static tenant_issuer make(std::string_view tmpl, std::error_code& ec) {
    ec = {};
    const auto at = tmpl.find(placeholder);
    if (at == std::string_view::npos || tmpl.find(placeholder, at + 1) != std::string_view::npos ||
        tmpl.substr(0, at).find("://") == std::string_view::npos) {
      ec = error::issuer_template_invalid;
      return {};
    }
    tenant_issuer t;
    t.prefix_ = std::string(tmpl.substr(0, at));
    t.suffix_ = std::string(tmpl.substr(at + placeholder.size()));
    return t;
  }

  std::string prefix_, suffix_;
  std::vector<std::string> tenants_;
  bool any_ = false;
};

}  // namespace tessera::jose

#endif
