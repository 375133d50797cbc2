// A downstream program using the flyte component (tessera::flyte), built by the consumer
// projects in tests/cmake/ that ask for it. It proves that the component's headers were
// installed with it, that linking tessera::flyte brings the core along, and that the
// loaders behave: it returns non-zero on any mismatch.
#include <tessera/flyte.hpp>

#include <cstdio>
#include <string>

int main() {
  namespace flyte = tessera::flyte;
  // Flyte's default public clients, as its Helm values write them.
  const auto reg = flyte::parse_clients_json(R"({"staticClients": {
      "flytectl": {"id": "flytectl", "public": true,
                   "redirect_uris": ["http://localhost:53593/callback", "http://localhost:12345/callback"],
                   "grant_types": ["refresh_token", "authorization_code"], "response_types": ["code", "token"],
                   "scopes": ["all", "offline", "access_token"]}}})");
  const auto* ctl = reg.find("flytectl");
  if (reg.size() != 1 || !ctl || !ctl->is_public || !ctl->allows_grant("authorization_code")) {
    std::fprintf(stderr, "flytectl was not read as Flyte defines it\n");
    return 1;
  }
  // A malformed value is named by its position, and its cause maps onto a wire condition.
  flyte::config_problem problem;
  flyte::parse_clients_json(R"({"clients": [{"id": "a", "public": true, "redirect_uris": [7]}]})", problem);
  if (problem.message() != "clients[0].redirect_uris[0]: not a string" ||
      problem.code != tessera::error::config_type_mismatch || problem.code != tessera::condition::server_error) {
    std::fprintf(stderr, "unexpected problem report: '%s'\n", problem.message().c_str());
    return 2;
  }
  std::printf("tessera %s flyte consumer: ok (%s)\n", TESSERA_VERSION_STRING,
              flyte::signing_key_file_name(tessera::jose::algorithm::ES256).c_str());
  return 0;
}
