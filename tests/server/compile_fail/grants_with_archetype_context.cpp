// MUST COMPILE: every shipped grant instantiated with the exemplar grant context (declared
// members only), which proves the grants ask of the server no more than `grant_context`.
#include "common.hpp"

namespace cf {
using context = tessera::server::grant_context_archetype<tessera::store::memory, cf::identity>;
static_assert(tessera::server::grant_context<context>);

template <class G>
void use_grant(const G& g, const context& c, tessera::transport::router& r, tessera::oauth::server_metadata& m,
               const tessera::server::token_request& req, std::error_code& ec) {
  (void)g.handle(c, req, ec);
  if constexpr (tessera::server::installs_endpoints<G, context>) g.install(r, c);
  if constexpr (tessera::server::describes_metadata<G, context>) g.describe(m, c);
}

template void use_grant(const tessera::grant::authorization_code<tessera::pkce::required_for_public>&, const context&,
                        tessera::transport::router&, tessera::oauth::server_metadata&,
                        const tessera::server::token_request&, std::error_code&);
template void use_grant(const tessera::grant::authorization_code<tessera::pkce::required>&, const context&,
                        tessera::transport::router&, tessera::oauth::server_metadata&,
                        const tessera::server::token_request&, std::error_code&);
template void use_grant(const tessera::grant::client_credentials&, const context&, tessera::transport::router&,
                        tessera::oauth::server_metadata&, const tessera::server::token_request&, std::error_code&);
template void use_grant(const tessera::grant::refresh_token<tessera::rotation::reuse_detection>&, const context&,
                        tessera::transport::router&, tessera::oauth::server_metadata&,
                        const tessera::server::token_request&, std::error_code&);
template void use_grant(const tessera::grant::refresh_token<tessera::rotation::none>&, const context&,
                        tessera::transport::router&, tessera::oauth::server_metadata&,
                        const tessera::server::token_request&, std::error_code&);
template void use_grant(const tessera::grant::device_code&, const context&, tessera::transport::router&,
                        tessera::oauth::server_metadata&, const tessera::server::token_request&, std::error_code&);
}  // namespace cf
