# cmake -DCOMPILER=c++ "-DFLAGS=-std=c++20;-fsyntax-only;-I..." -DSOURCE=case.cpp -DEXPECT=FAIL|PASS
#       "-DMESSAGE=expected diagnostic" -P check_compile.cmake
# EXPECT=FAIL: the compiler must fail AND its output must contain MESSAGE.
# EXPECT=PASS: the compiler must succeed.
foreach(v COMPILER FLAGS SOURCE EXPECT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "check_compile.cmake: ${v} is not set")
  endif()
endforeach()

execute_process(
  COMMAND ${COMPILER} ${FLAGS} ${SOURCE}
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE out)

if(EXPECT STREQUAL "PASS")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} must compile but did not (exit ${rc}):\n${out}")
  endif()
  message(STATUS "${SOURCE} compiles, as it must")
elseif(EXPECT STREQUAL "FAIL")
  if(rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} must not compile but did")
  endif()
  if(NOT DEFINED MESSAGE OR MESSAGE STREQUAL "")
    message(FATAL_ERROR "check_compile.cmake: EXPECT=FAIL needs MESSAGE")
  endif()
  string(FIND "${out}" "${MESSAGE}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${SOURCE} failed to compile, but without the expected message\n  \"${MESSAGE}\"\n"
                        "compiler output:\n${out}")
  endif()
  message(STATUS "${SOURCE} is refused with the expected message")
else()
  message(FATAL_ERROR "check_compile.cmake: EXPECT must be PASS or FAIL, not '${EXPECT}'")
endif()
