# --- the HTTP transport: tessera's Beast server (plain, TLS) vs a raw socket ceiling, on loopback --
add_executable(tessera_bench_http http_server.cpp)
# Separate compilation (src/): the plain and TLS servers come compiled.
target_link_libraries(tessera_bench_http PRIVATE tessera_compiled benchmark::benchmark)
target_compile_options(tessera_bench_http PRIVATE -Wall -Wextra)
