# Copies an installed prefix FROM to TO (symlinks kept), then makes its opencl
# backend unavailable as a machine without it would be:
#   MODE=no_module    libtandem_opencl.so removed (a product that did not ship it)
#   MODE=no_opencl    the module kept, its NEEDED libOpenCL.so.1 renamed in place to
#                     libNoOpCL.so.1, which no machine has (a device without an
#                     OpenCL loader; same length, so the ELF stays valid)
#   cmake -DFROM=... -DTO=... -DMODE=... -P relocate_prefix.cmake
file(REMOVE_RECURSE ${TO})
execute_process(COMMAND cp -a ${FROM} ${TO} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cp -a ${FROM} ${TO} failed: ${rc}")
endif()
file(GLOB modules ${TO}/lib*/libtandem_opencl.so)
if(MODE STREQUAL "no_module")
  if(modules)
    file(REMOVE ${modules})
  endif()
elseif(MODE STREQUAL "no_opencl")
  if(NOT modules)
    message(FATAL_ERROR "no libtandem_opencl.so under ${TO}")
  endif()
  execute_process(COMMAND perl -pi -e "s/libOpenCL\\.so\\.1/libNoOpCL.so.1/g" ${modules}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "renaming libOpenCL.so.1 in ${modules} failed: ${rc}")
  endif()
else()
  message(FATAL_ERROR "MODE must be no_module or no_opencl, not '${MODE}'")
endif()
message(STATUS "relocated ${FROM} -> ${TO} (${MODE}): ${modules}")
