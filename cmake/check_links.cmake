cmake_minimum_required(VERSION 3.25)
# Script (cmake -DSOURCE_DIR=<repo root> -P cmake/check_links.cmake): every file a page of the
# documentation points at must be in the repository, so the docs never cite something a reader
# cannot open. For README.md, docs/*.md and tutorials/*.md it checks
#   (a) each markdown link [text](target) that is not a URL (http:, https:, mailto:) nor a pure
#       #anchor: the anchor is dropped and the rest resolved against the page's own folder;
#   (b) each `backticked` token that looks like a path in the repository: it starts with
#       include/ examples/ tutorials/ tests/ bench/ docs/ kernels/ scripts/ cmake/ .ci/, or is
#       README.md, CMakeLists.txt or Makefile; it holds no space, `*`, `<`, `{` or `...`
#       (those are patterns or placeholders, not paths); a trailing :NN line number is dropped
#       and the rest resolved against SOURCE_DIR.
# Fenced ``` blocks are skipped (program output and shell sessions, not references), and so is
# code inside backticks for (a) (`[&](std::string_view c)` is a C++ lambda, not a link).
# Build trees (build*/) and the examples' output folders (*_out/, *_quick/) are made by running
# things, so paths into them are not checked.
if(NOT DEFINED SOURCE_DIR)
  message(FATAL_ERROR "check_links.cmake: pass -DSOURCE_DIR=<repository root>")
endif()
get_filename_component(SOURCE_DIR "${SOURCE_DIR}" ABSOLUTE)

file(GLOB pages RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/docs/*.md" "${SOURCE_DIR}/tutorials/*.md")
list(SORT pages)
list(PREPEND pages README.md)

set(path_prefix "^(include|examples|tutorials|tests|bench|docs|kernels|scripts|cmake|\\.ci)/")
set(path_whole "^(README\\.md|CMakeLists\\.txt|Makefile)$")

set(broken "")
set(links 0)
set(paths 0)

# True in ${out} when `relative` (to SOURCE_DIR) lies in a build tree or an output folder.
function(is_generated relative out)
  set(${out} FALSE PARENT_SCOPE)
  if(relative MATCHES "^(build[^/]*|[^/]*_out|[^/]*_quick)(/|$)")
    set(${out} TRUE PARENT_SCOPE)
  endif()
endfunction()

foreach(page IN LISTS pages)
  if(NOT EXISTS "${SOURCE_DIR}/${page}")
    continue()
  endif()
  file(READ "${SOURCE_DIR}/${page}" text)
  get_filename_component(page_dir "${SOURCE_DIR}/${page}" DIRECTORY)
  # CMake lists split on ';' and treat '[' ']' as grouping, so neither may reach a list.
  string(REPLACE ";" "<SEMI>" text "${text}")

  # Drop fenced blocks: from a line that starts with ``` to the next such line.
  set(text "\n${text}")
  set(prose "")
  while(TRUE)
    string(FIND "${text}" "\n```" open)
    if(open EQUAL -1)
      string(APPEND prose "${text}")
      break()
    endif()
    string(SUBSTRING "${text}" 0 ${open} before)
    string(APPEND prose "${before}\n")
    math(EXPR after_open "${open} + 4")
    string(SUBSTRING "${text}" ${after_open} -1 text)
    string(FIND "${text}" "\n```" close)
    if(close EQUAL -1)
      break()  # an unclosed fence runs to the end of the page
    endif()
    # Skip past the closing fence's line.
    math(EXPR after_close "${close} + 4")
    string(SUBSTRING "${text}" ${after_close} -1 text)
    string(FIND "${text}" "\n" eol)
    if(eol EQUAL -1)
      set(text "")
    else()
      string(SUBSTRING "${text}" ${eol} -1 text)
    endif()
  endwhile()

  # Code spans written with two or more backticks (```` ```output ```` quotes a fence) hold no
  # paths of ours; drop them before reading single-backtick spans.
  string(REGEX REPLACE "````[^\n]*````" "" prose "${prose}")
  string(REGEX REPLACE "``[^`\n]+``" "" prose "${prose}")

  # (b) backticked paths.
  string(REPLACE "[" "<LB>" spans_text "${prose}")
  string(REPLACE "]" "<RB>" spans_text "${spans_text}")
  string(REGEX MATCHALL "`[^`\n]+`" spans "${spans_text}")
  foreach(span IN LISTS spans)
    string(REGEX REPLACE "^`(.*)`$" "\\1" token "${span}")
    if(NOT (token MATCHES "${path_prefix}" OR token MATCHES "${path_whole}"))
      continue()
    endif()
    if(token MATCHES "[ *<{]" OR token MATCHES "\\.\\.\\.")
      continue()
    endif()
    # `examples/NN_name/` names the pattern every example follows (NN its number), not a file.
    if(token MATCHES "(^|/)NN[_-]")
      continue()
    endif()
    string(REGEX REPLACE ":[0-9]+(-[0-9]+)?$" "" target "${token}")
    string(REGEX REPLACE "#.*$" "" target "${target}")
    math(EXPR paths "${paths} + 1")
    if(NOT EXISTS "${SOURCE_DIR}/${target}")
      list(APPEND broken "${page}: '${token}' does not exist")
    endif()
  endforeach()

  # (a) markdown links, outside code spans (read from spans_text, whose brackets are <LB> <RB>).
  string(REGEX REPLACE "`[^`\n]+`" "" link_text "${spans_text}")
  string(REGEX MATCHALL "<RB>\\([^)\n]*\\)" targets "${link_text}")
  foreach(link IN LISTS targets)
    string(REGEX REPLACE "^<RB>\\((.*)\\)$" "\\1" target "${link}")
    string(REPLACE "<LB>" "[" target "${target}")
    string(REPLACE "<RB>" "]" target "${target}")
    string(STRIP "${target}" target)
    string(REGEX REPLACE "^<(.*)>$" "\\1" target "${target}")
    string(REGEX REPLACE " +\"[^\"]*\"$" "" target "${target}")  # [text](target "title")
    if(target STREQUAL "" OR target MATCHES "^(https?|mailto):" OR target MATCHES "^#")
      continue()
    endif()
    string(REGEX REPLACE "#.*$" "" file_part "${target}")
    get_filename_component(resolved "${file_part}" ABSOLUTE BASE_DIR "${page_dir}")
    file(RELATIVE_PATH relative "${SOURCE_DIR}" "${resolved}")
    is_generated("${relative}" generated)
    if(generated)
      continue()
    endif()
    math(EXPR links "${links} + 1")
    if(relative MATCHES "^\\.\\./" OR NOT EXISTS "${resolved}")
      list(APPEND broken "${page}: '${target}' does not exist")
    endif()
  endforeach()
endforeach()

if(broken)
  foreach(line IN LISTS broken)
    string(REPLACE "<SEMI>" ";" line "${line}")
    message("${line}")
  endforeach()
  list(LENGTH broken count)
  message(FATAL_ERROR "${count} broken links or paths in the documentation")
endif()
list(LENGTH pages page_count)
message(STATUS "${links} links and ${paths} paths in ${page_count} pages: all exist")
