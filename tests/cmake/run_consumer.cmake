# tessera — tests/cmake/run_consumer.cmake (cmake -P script, run by ctest)
#
# Builds one consumer project from scratch and runs its program:
#   cmake -DCONSUMER=<add_subdirectory|fetch_content|find_package> -DTESSERA_SOURCE_DIR=<tree>
#         -DWORK_DIR=<scratch dir> -DGENERATOR=<generator> -DCXX=<compiler> -P run_consumer.cmake
# For find_package, tessera is first configured and installed into a staging prefix, which is
# then moved: the consumer only succeeds if the installed package is relocatable.
cmake_minimum_required(VERSION 3.25)

foreach(var CONSUMER TESSERA_SOURCE_DIR WORK_DIR GENERATOR CXX)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run step)
  string(TIMESTAMP start "%s")
  message(STATUS "[${CONSUMER}] ${step}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  string(TIMESTAMP end "%s")
  math(EXPR took "${end} - ${start}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "[${CONSUMER}] ${step} failed (${rc}) after ${took}s")
  endif()
  message(STATUS "[${CONSUMER}] ${step}: ok (${took}s)")
endfunction()

set(common_args -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release)

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(consumer_args)

if(CONSUMER STREQUAL "find_package")
  set(staging ${WORK_DIR}/staging-prefix)
  set(prefix ${WORK_DIR}/prefix)
  run("configure tessera" ${CMAKE_COMMAND} ${common_args} -S ${TESSERA_SOURCE_DIR} -B ${WORK_DIR}/tessera-build
      -DCMAKE_INSTALL_PREFIX=${staging} -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_EXAMPLES=OFF
      -DTESSERA_BUILD_BENCHMARKS=OFF -DTESSERA_INSTALL=ON)
  run("build tessera" ${CMAKE_COMMAND} --build ${WORK_DIR}/tessera-build --parallel 2)
  run("install tessera" ${CMAKE_COMMAND} --install ${WORK_DIR}/tessera-build)
  file(RENAME ${staging} ${prefix})
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${prefix} -DTESSERA_EXPECTED_PREFIX=${prefix})
else()
  list(APPEND consumer_args -DTESSERA_SOURCE_DIR=${TESSERA_SOURCE_DIR})
endif()

get_filename_component(here ${CMAKE_CURRENT_LIST_FILE} DIRECTORY)
run("configure consumer" ${CMAKE_COMMAND} ${common_args} -S ${here}/${CONSUMER} -B ${WORK_DIR}/consumer-build
    ${consumer_args})
run("build consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build --parallel 2)
run("run consumer" ${WORK_DIR}/consumer-build/consumer)
