# NEON kernels: cross-compiled for aarch64 and run under qemu (scripts/test_neon_qemu.sh).
# Registered on every host; when the cross compiler or qemu is missing the test FAILS with a
# message naming the package (scripts/setup.sh installs both), configure never does.
find_program(TANDEM_AARCH64_CXX aarch64-linux-gnu-g++)
find_program(TANDEM_QEMU_AARCH64_STATIC qemu-aarch64-static)
if(NOT TANDEM_AARCH64_CXX OR NOT TANDEM_QEMU_AARCH64_STATIC)
  message(STATUS "neon_qemu test: aarch64-linux-gnu-g++ or qemu-aarch64-static not found; "
                 "the test will fail until scripts/setup.sh installs them")
endif()
add_test(NAME neon_qemu
         COMMAND ${CMAKE_SOURCE_DIR}/scripts/test_neon_qemu.sh ${CMAKE_BINARY_DIR}/neon-aarch64)
set_tests_properties(neon_qemu PROPERTIES TIMEOUT 300 LABELS "neon;cross")
