cmake_minimum_required(VERSION 3.25)
# ctest script: install grpo from the build tree into a scratch prefix, then configure, build and
# run tests/consumer, a stand-in for a user's project compiled with -Wall -Wextra -Wshadow
# -Wconversion -Werror:
#   installed     find_package(grpo CONFIG) of the installed tree
#   subdirectory  add_subdirectory of the source tree (what FetchContent does)
#   installed_openmp  find_package(grpo CONFIG COMPONENTS OpenMP), when this build found OpenMP
# and check that grpo's headers come in as SYSTEM includes (-isystem, so the library's warnings
# stay out of the consumer's -Werror), that the installed package names no OpenMP and no CUDA,
# and that OpenMP reaches the consumer only when it asked (main.cpp also checks _OPENMP).
# With CHECK_PRECOMPILED ON, the subdirectory build also has GRPO_PRECOMPILED ON: trainer.cpp
# (GRPO steps, an evaluation) built against grpo::precompiled, the extern-template path, must
# print the same bytes as trainer.cpp built header-only with the same flags.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

# build_and_run(<name> <grpo include dir> <expect OpenMP: ON|OFF> <configure args>...)
function(build_and_run name include_dir openmp)
  set(dir ${WORK_DIR}/${name})
  run(${CMAKE_COMMAND} -S ${GRPO_SOURCE_DIR}/tests/consumer -B ${dir}
      -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release -DCONSUMER_OPENMP=${openmp}
      ${ARGN})
  run(${CMAKE_COMMAND} --build ${dir})
  run(${dir}/consumer)
  # The compile and link lines, from whichever generator made the build.
  set(lines "")
  foreach(file CMakeFiles/consumer.dir/flags.make CMakeFiles/consumer.dir/link.txt build.ninja)
    if(EXISTS ${dir}/${file})
      file(READ ${dir}/${file} text)
      string(APPEND lines "${text}\n")
    endif()
  endforeach()
  string(REGEX REPLACE "([][+.*?()^$|\\])" "\\\\\\1" dir_regex "${include_dir}")
  if(NOT lines MATCHES "-isystem \"?${dir_regex}")
    message(FATAL_ERROR "${name}: ${include_dir} is not a SYSTEM include of the consumer:\n${lines}")
  endif()
  if(lines MATCHES "-I\"?${dir_regex}")
    message(FATAL_ERROR "${name}: ${include_dir} is a plain -I include of the consumer:\n${lines}")
  endif()
  if(lines MATCHES "fopenmp|gomp|libomp|libiomp")
    set(linked ON)
  else()
    set(linked OFF)
  endif()
  if(NOT linked STREQUAL openmp)
    message(FATAL_ERROR "${name}: OpenMP expected ${openmp}, in the build lines ${linked}:\n${lines}")
  endif()
  message(STATUS "${name}: SYSTEM include ${include_dir}, OpenMP ${linked}: ok")
endfunction()

run(${CMAKE_COMMAND} --install ${GRPO_BINARY_DIR} --prefix ${prefix})
file(GLOB package_files ${prefix}/share/cmake/grpo/*.cmake)
foreach(file IN LISTS package_files)
  file(READ ${file} text)
  if(text MATCHES "OpenMP::|CUDA::")
    # grpoConfig.cmake names OpenMP only behind the consumer's request; no other file may.
    get_filename_component(base ${file} NAME)
    if(NOT base STREQUAL "grpoConfig.cmake" OR text MATCHES "CUDA::")
      message(FATAL_ERROR "${file} names OpenMP or CUDA, which no consumer asked for")
    endif()
  endif()
endforeach()

build_and_run(installed ${prefix}/include OFF -DCMAKE_PREFIX_PATH=${prefix})
if(NOT DEFINED CHECK_PRECOMPILED)
  set(CHECK_PRECOMPILED ON)
endif()
build_and_run(subdirectory ${GRPO_SOURCE_DIR}/include OFF -DGRPO_SOURCE_DIR=${GRPO_SOURCE_DIR}
              -DCONSUMER_PRECOMPILED=${CHECK_PRECOMPILED})
load_cache(${GRPO_BINARY_DIR} READ_WITH_PREFIX grpo_ OpenMP_CXX_FLAGS)
if(grpo_OpenMP_CXX_FLAGS)
  build_and_run(installed_openmp ${prefix}/include ON -DCMAKE_PREFIX_PATH=${prefix})
else()
  message(STATUS "installed_openmp: skipped, this build found no OpenMP")
endif()

# The precompiled path: the same program, header-only and with grpo::precompiled, same bytes out.
if(NOT CHECK_PRECOMPILED)
  message(STATUS "precompiled: skipped (CHECK_PRECOMPILED OFF)")
  return()
endif()
set(dir ${WORK_DIR}/subdirectory)
set(precompiled_lines "")
foreach(file CMakeFiles/trainer_precompiled.dir/flags.make build.ninja)
  if(EXISTS ${dir}/${file})
    file(READ ${dir}/${file} text)
    string(APPEND precompiled_lines "${text}")
  endif()
endforeach()
if(NOT precompiled_lines MATCHES "GRPO_EXTERN_TEMPLATES")
  message(FATAL_ERROR "trainer_precompiled is not compiled with GRPO_EXTERN_TEMPLATES:\n${precompiled_lines}")
endif()
foreach(variant IN ITEMS header_only precompiled)
  execute_process(COMMAND ${dir}/trainer_${variant} RESULT_VARIABLE rc OUTPUT_VARIABLE out_${variant}
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "trainer_${variant} failed (${rc}):\n${out_${variant}}\n${err}")
  endif()
endforeach()
if(NOT out_header_only STREQUAL out_precompiled)
  message(FATAL_ERROR "grpo::precompiled changed the results:\nheader-only:\n${out_header_only}\nprecompiled:\n${out_precompiled}")
endif()
message(STATUS "precompiled: trainer.cpp prints the same bytes header-only and with grpo::precompiled:\n${out_precompiled}")
