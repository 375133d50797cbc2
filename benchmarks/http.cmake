# --- the HTTP transport: tessera's Beast server (plain, TLS) vs a raw socket ceiling, on loopback --
add_executable(tessera_bench_http http_server.cpp)
target_link_libraries(tessera_bench_http PRIVATE tessera::tessera benchmark::benchmark)
target_compile_options(tessera_bench_http PRIVATE -Wall -Wextra)
