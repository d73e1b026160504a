# The layer rule (docs/architecture.md, "Layering"), checked on every
# #include "..." of our own headers: a file may include headers of its own
# layer and of the layers its ALLOWED_ row lists, nothing above it or beside it.
#   cmake -DSOURCE_DIR=<repo> -P tests/layers_check.cmake
# Fails naming each file and include that breaks the rule.
cmake_minimum_required(VERSION 3.18)

# The layers, most specific folder first: a path belongs to the first one it
# starts with (so formats/onnx/ is not formats/, tools/support/ not tools/).
set(TANDEM_LAYERS
    graph/
    formats/onnx/
    formats/
    engine/
    kernels/reference/
    kernels/cpu/
    kernels/opencl/
    scheduler/
    api/
    include/tandem/
    tools/support/
    tools/
    python/)
# What each layer may include besides itself.
set(ALLOWED_graph/ "")
set(ALLOWED_formats/ graph/)
set(ALLOWED_formats/onnx/ graph/ formats/)
set(ALLOWED_engine/ graph/)
set(ALLOWED_kernels/reference/ graph/ engine/)
set(ALLOWED_kernels/cpu/ graph/ engine/ kernels/reference/)
set(ALLOWED_kernels/opencl/ graph/ engine/ kernels/reference/)
set(ALLOWED_scheduler/ graph/ formats/ engine/)
set(LIBTANDEM graph/ formats/ engine/ kernels/reference/ kernels/cpu/ kernels/opencl/ scheduler/)
set(ALLOWED_api/ ${LIBTANDEM} include/tandem/)
set(ALLOWED_include/tandem/ graph/ engine/)
set(ALLOWED_tools/support/ graph/)
set(ALLOWED_tools/ ${LIBTANDEM} formats/onnx/ api/ include/tandem/ tools/support/)
set(ALLOWED_python/ ${LIBTANDEM} formats/onnx/ api/ include/tandem/ tools/support/ tools/)
# First components that mark an include as one of our own headers. Includes
# say "tandem/x.h" for include/tandem/x.h (include/ is on the include path).
set(OUR_ROOTS graph formats engine kernels scheduler api tools python tests bench fuzz tandem)

# Known breaks, "file -> include", each to be removed by the change that fixes
# it; an entry that no longer matches fails too, so the list only shrinks.
set(KNOWN_BREAKS)

if(NOT SOURCE_DIR)
  message(FATAL_ERROR "layers_check.cmake: pass -DSOURCE_DIR=<repository root>")
endif()

# The layer of a repository path ("" when it is in none).
function(layer_of path out)
  foreach(layer ${TANDEM_LAYERS})
    string(FIND "${path}" "${layer}" at)
    if(at EQUAL 0)
      set(${out} "${layer}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

set(files "")
foreach(dir graph formats kernels engine scheduler api include tools)
  file(GLOB_RECURSE found RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/${dir}/*.h"
       "${SOURCE_DIR}/${dir}/*.hpp" "${SOURCE_DIR}/${dir}/*.cc" "${SOURCE_DIR}/${dir}/*.c")
  list(APPEND files ${found})
endforeach()
list(SORT files)

set(breaks "")
set(matched_known "")
set(checked 0)
foreach(f ${files})
  layer_of("${f}" layer)
  if(layer STREQUAL "")
    continue()
  endif()
  set(allowed ${layer} ${ALLOWED_${layer}})
  file(STRINGS "${SOURCE_DIR}/${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line ${lines})
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\".*" "\\1" inc "${line}")
    string(REGEX REPLACE "/.*" "" root "${inc}")
    if(inc STREQUAL root OR NOT root IN_LIST OUR_ROOTS)
      continue()  # not one of our headers (third-party, or a same-folder name)
    endif()
    math(EXPR checked "${checked} + 1")
    set(path "${inc}")
    if(root STREQUAL "tandem")
      set(path "include/${inc}")
    endif()
    layer_of("${path}" target)
    if(NOT target STREQUAL "" AND target IN_LIST allowed)
      continue()
    endif()
    if("${f} -> ${inc}" IN_LIST KNOWN_BREAKS)
      list(APPEND matched_known "${f} -> ${inc}")
      continue()
    endif()
    string(REPLACE ";" ", " allowed_text "${allowed}")
    list(APPEND breaks "${f}: #include \"${inc}\" (${layer} may include ${allowed_text})")
  endforeach()
endforeach()

foreach(k ${KNOWN_BREAKS})
  if(NOT k IN_LIST matched_known)
    list(APPEND breaks "known break '${k}' is gone: remove it from KNOWN_BREAKS")
  endif()
endforeach()

list(LENGTH files nfiles)
if(breaks)
  list(LENGTH breaks n)
  foreach(b ${breaks})
    message("layer rule broken: ${b}")
  endforeach()
  message(FATAL_ERROR "${n} include(s) break the layer rule (docs/architecture.md, Layering)")
endif()
list(LENGTH matched_known nknown)
message(STATUS "layers: ${checked} includes of our headers in ${nfiles} files follow the rule "
               "(${nknown} known break(s) listed in tests/layers_check.cmake)")
