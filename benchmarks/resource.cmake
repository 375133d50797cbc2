# --- the resource server's validator: cached and uncached, beside the raw JWS verification -------
add_executable(tessera_bench_resource resource.cpp)
target_link_libraries(tessera_bench_resource PRIVATE tessera::tessera benchmark::benchmark)
target_compile_options(tessera_bench_resource PRIVATE -Wall -Wextra)
