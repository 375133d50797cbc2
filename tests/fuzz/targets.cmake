# tessera — tests/fuzz/targets.cmake: the fuzz targets, one line each.
#
#   tessera_add_fuzzer(fuzz_jws fuzz_jws.cpp)
#
# The source defines `extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t)` and
# returns 0. Commit a small corpus (seed inputs, and every input that ever found a bug) under
# tests/fuzz/corpus/<name>/: ctest replays it as `fuzz.<name>`. Run the real fuzzer with
# scripts/fuzz.sh <name> [seconds].
tessera_add_fuzzer(fuzz_users_file fuzz_users_file.cpp)
tessera_add_fuzzer(fuzz_form fuzz_form.cpp)
tessera_add_fuzzer(fuzz_cookie fuzz_cookie.cpp)
tessera_add_fuzzer(fuzz_basic_auth fuzz_basic_auth.cpp)
tessera_add_fuzzer(fuzz_redirect_uri fuzz_redirect_uri.cpp)
tessera_add_fuzzer(fuzz_jws fuzz_jws.cpp)
tessera_add_fuzzer(fuzz_jwks fuzz_jwks.cpp)
tessera_add_fuzzer(fuzz_jwt fuzz_jwt.cpp)
tessera_add_fuzzer(fuzz_http_request fuzz_http_request.cpp)
tessera_add_fuzzer(fuzz_metadata fuzz_metadata.cpp)
tessera_add_fuzzer(fuzz_authorize_params fuzz_authorize_params.cpp)
tessera_add_fuzzer(fuzz_resource fuzz_resource.cpp)
tessera_add_fuzzer(fuzz_id_token fuzz_id_token.cpp)
tessera_add_fuzzer(fuzz_upstream fuzz_upstream.cpp)
tessera_add_fuzzer(fuzz_client fuzz_client.cpp)
tessera_add_fuzzer(fuzz_store fuzz_store.cpp)
if(TARGET tessera::flyte)  # a component's target links the component
  tessera_add_fuzzer(fuzz_flyte_clients fuzz_flyte_clients.cpp)
  tessera_add_fuzzer(fuzz_flyte_secrets fuzz_flyte_secrets.cpp)
  tessera_add_fuzzer(fuzz_server_config fuzz_server_config.cpp)
  foreach(target IN ITEMS fuzz_flyte_clients_replay fuzz_flyte_clients fuzz_flyte_secrets_replay fuzz_flyte_secrets
                          fuzz_server_config_replay fuzz_server_config)
    if(TARGET ${target})
      target_link_libraries(${target} PRIVATE tessera::flyte)
    endif()
  endforeach()
endif()
