cmake_minimum_required(VERSION 3.25)
# ctest script: run EXE with ARGS (space-separated, may be empty), save its output to ACTUAL, and fail with a unified diff if it differs
# from EXPECTED.
separate_arguments(arg_list UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${EXE} ${arg_list} OUTPUT_VARIABLE actual RESULT_VARIABLE rc)
file(WRITE ${ACTUAL} "${actual}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} exited with ${rc}")
endif()
file(READ ${EXPECTED} expected)
if(NOT actual STREQUAL expected)
  execute_process(COMMAND diff -u ${EXPECTED} ${ACTUAL})
  message(FATAL_ERROR "output of ${EXE} differs from ${EXPECTED} (diff above; "
                      "if the change is intended, run scripts/update_expected.sh)")
endif()
