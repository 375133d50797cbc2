# tessera — tests/cmake/run_consumer.cmake (cmake -P script, run by ctest)
#
# Installs tessera, or builds one consumer project from scratch and runs its program:
#   cmake -DCONSUMER=<install|add_subdirectory|fetch_content|find_package...>
#         -DTESSERA_SOURCE_DIR=<tree> -DWORK_DIR=<scratch dir> -DGENERATOR=<generator>
#         -DCXX=<compiler> [-DPREFIX=<install prefix>] [-DEXPECT_FAILURE=<regex%%regex...>]
#         -P run_consumer.cmake
# CONSUMER=install configures tessera and installs it into a staging prefix, which is then
# moved to PREFIX: the find_package consumers (given the same PREFIX) only succeed if the
# installed package is relocatable. EXPECT_FAILURE: configuring the consumer must fail, and
# its output (whitespace folded) must match every regular expression of the %%-separated list.
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

# Runs a step that must fail, and checks its output.
function(run_expecting_failure step expected)
  message(STATUS "[${CONSUMER}] ${step} (must fail): ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(rc EQUAL 0)
    message(FATAL_ERROR "[${CONSUMER}] ${step} succeeded, but must fail")
  endif()
  # CMake wraps and indents long messages: match against the output with whitespace folded.
  string(REGEX REPLACE "[ \t\r\n]+" " " folded "${out}${err}")
  foreach(regex IN LISTS expected)
    if(NOT folded MATCHES "${regex}")
      message(FATAL_ERROR "[${CONSUMER}] ${step} failed, but its output does not match '${regex}'")
    endif()
  endforeach()
  message(STATUS "[${CONSUMER}] ${step}: failed as expected")
endfunction()

# No optimization and no debug information: these builds prove that a consumer configures,
# compiles, links and runs, not how fast; -O3 made the separate-compilation consumer (all of
# src.hpp in one source) take minutes of the check.
set(common_args -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS_NONE=-O0)

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

if(CONSUMER STREQUAL "install")
  if(NOT DEFINED PREFIX)
    message(FATAL_ERROR "run_consumer.cmake: CONSUMER=install needs -DPREFIX=...")
  endif()
  set(staging ${WORK_DIR}/staging-prefix)
  run("configure tessera" ${CMAKE_COMMAND} ${common_args} -S ${TESSERA_SOURCE_DIR} -B ${WORK_DIR}/tessera-build
      -DCMAKE_INSTALL_PREFIX=${staging} -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_EXAMPLES=OFF
      -DTESSERA_BUILD_BENCHMARKS=OFF -DTESSERA_INSTALL=ON)
  run("build tessera" ${CMAKE_COMMAND} --build ${WORK_DIR}/tessera-build --parallel 2)
  run("install tessera" ${CMAKE_COMMAND} --install ${WORK_DIR}/tessera-build)
  file(REMOVE_RECURSE ${PREFIX})
  file(RENAME ${staging} ${PREFIX})
  return()
endif()

set(consumer_args)
if(CONSUMER MATCHES "^(find_package|separate_compilation)")
  if(NOT DEFINED PREFIX OR NOT EXISTS ${PREFIX}/share/cmake/tessera/tesseraConfig.cmake)
    message(FATAL_ERROR "run_consumer.cmake: ${CONSUMER} needs -DPREFIX=<an installed tessera> (ctest runs cmake.install first)")
  endif()
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${PREFIX} -DTESSERA_EXPECTED_PREFIX=${PREFIX})
else()
  list(APPEND consumer_args -DTESSERA_SOURCE_DIR=${TESSERA_SOURCE_DIR})
endif()

get_filename_component(here ${CMAKE_CURRENT_LIST_FILE} DIRECTORY)
set(configure ${CMAKE_COMMAND} ${common_args} -S ${here}/${CONSUMER} -B ${WORK_DIR}/consumer-build ${consumer_args})
if(DEFINED EXPECT_FAILURE)
  string(REPLACE "%%" ";" expected "${EXPECT_FAILURE}")
  run_expecting_failure("configure consumer" "${expected}" ${configure})
  return()
endif()
run("configure consumer" ${configure})
run("build consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build --parallel 2)
run("run consumer" ${WORK_DIR}/consumer-build/consumer)
