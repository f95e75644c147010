cmake_minimum_required(VERSION 3.25)
# ctest script: install grpo from the build tree into a scratch prefix, then configure, build
# and run tests/consumer twice: once with find_package(grpo CONFIG), once with add_subdirectory.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

function(build_and_run name)
  set(dir ${WORK_DIR}/${name})
  run(${CMAKE_COMMAND} -S ${GRPO_SOURCE_DIR}/tests/consumer -B ${dir}
      -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release ${ARGN})
  run(${CMAKE_COMMAND} --build ${dir})
  run(${dir}/consumer)
endfunction()

run(${CMAKE_COMMAND} --install ${GRPO_BINARY_DIR} --prefix ${prefix})
build_and_run(installed -DCMAKE_PREFIX_PATH=${prefix})
build_and_run(subdirectory -DGRPO_SOURCE_DIR=${GRPO_SOURCE_DIR})
