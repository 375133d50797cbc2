# --- the token endpoint: client credentials through the router, ES256 and RS256 -------------------
add_executable(tessera_bench_token_endpoint token_endpoint.cpp)
target_link_libraries(tessera_bench_token_endpoint PRIVATE tessera::tessera benchmark::benchmark)
target_compile_options(tessera_bench_token_endpoint PRIVATE -Wall -Wextra)
