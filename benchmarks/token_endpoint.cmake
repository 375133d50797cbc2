# --- the token endpoint: client credentials through the router, ES256 and RS256 -------------------
add_executable(tessera_bench_token_endpoint token_endpoint.cpp)
target_link_libraries(tessera_bench_token_endpoint PRIVATE tessera::tessera benchmark::benchmark)
target_compile_options(tessera_bench_token_endpoint PRIVATE -Wall -Wextra)

# --- the stores, operation by operation (benchmarks/store_bench.sh starts PostgreSQL and Redis) --
add_executable(tessera_bench_store store.cpp)
target_link_libraries(tessera_bench_store PRIVATE tessera::sqlite benchmark::benchmark)
target_compile_options(tessera_bench_store PRIVATE -Wall -Wextra)
foreach(engine postgres redis)
  if(TARGET tessera::${engine})
    string(TOUPPER ${engine} upper)
    target_link_libraries(tessera_bench_store PRIVATE tessera::${engine})
    target_compile_definitions(tessera_bench_store PRIVATE TESSERA_HAS_${upper})
  endif()
endforeach()
