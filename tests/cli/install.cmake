# The installed package: cmake --install into the build tree, then build
# examples/ against it with find_package(Tandem) and run them.
set(TANDEM_INSTALL_PREFIX ${CMAKE_BINARY_DIR}/install-test)
add_test(NAME install_package
         COMMAND ${CMAKE_COMMAND} --install ${CMAKE_BINARY_DIR} --prefix ${TANDEM_INSTALL_PREFIX})
set_tests_properties(install_package PROPERTIES FIXTURES_SETUP installed)
add_test(NAME examples_configure
         COMMAND ${CMAKE_COMMAND} -S ${CMAKE_SOURCE_DIR}/examples -B ${CMAKE_BINARY_DIR}/examples-build
                 -DCMAKE_PREFIX_PATH=${TANDEM_INSTALL_PREFIX} -DCMAKE_BUILD_TYPE=Release)
add_test(NAME examples_build COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR}/examples-build)
set_tests_properties(examples_configure PROPERTIES FIXTURES_REQUIRED installed FIXTURES_SETUP examples_conf)
set_tests_properties(examples_build PROPERTIES FIXTURES_REQUIRED examples_conf FIXTURES_SETUP examples)
add_test(NAME examples_stream_frames
         COMMAND ${CMAKE_BINARY_DIR}/examples-build/stream_frames ${TANDEM_TEST_DATA}/tiny.tdm
                 reference 12)
set_tests_properties(examples_stream_frames PROPERTIES FIXTURES_REQUIRED "examples;test_models"
                     PASS_REGULAR_EXPRESSION "frame 11: probs argmax")
add_test(NAME examples_classify_c
         COMMAND ${CMAKE_BINARY_DIR}/examples-build/classify_c ${TANDEM_TEST_DATA}/tiny.tdm reference)
set_tests_properties(examples_classify_c PROPERTIES FIXTURES_REQUIRED "examples;test_models"
                     PASS_REGULAR_EXPRESSION "probs: argmax")
# The installed pkg-config file resolves.
add_test(NAME pkgconfig_file
         COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${TANDEM_INSTALL_PREFIX}/lib/pkgconfig
                 pkg-config --cflags --libs tandem)
set_tests_properties(pkgconfig_file PROPERTIES FIXTURES_REQUIRED installed
                     PASS_REGULAR_EXPRESSION "-I${TANDEM_INSTALL_PREFIX}/lib/pkgconfig/\\.\\./\\.\\./include .*-L${TANDEM_INSTALL_PREFIX}/lib/pkgconfig/\\.\\./\\.\\./lib -ltandem")
if(NOT TANDEM_SHARED AND TANDEM_WITH_XNNPACK)
  add_test(NAME pkgconfig_static
           COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${TANDEM_INSTALL_PREFIX}/lib/pkgconfig
                   pkg-config --static --libs tandem)
  set_tests_properties(pkgconfig_static PROPERTIES FIXTURES_REQUIRED installed
                       PASS_REGULAR_EXPRESSION "-ltandem .*-lXNNPACK")
endif()

# The installed CLI itself (relative run path $ORIGIN/../lib): version, convert,
# run and bench from the prefix, with no LD_LIBRARY_PATH.
function(installed_cli_test name fixtures exit regex)
  add_test(NAME ${name}
           COMMAND ${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH ${CMAKE_COMMAND} "-DCMD=${ARGN}"
                   -DEXPECT_EXIT=${exit} "-DEXPECT_REGEX=${regex}"
                   -P ${CMAKE_SOURCE_DIR}/tests/expect_command.cmake)
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "${fixtures}")
endfunction()
set(TI ${TANDEM_INSTALL_PREFIX}/bin/tandem)
set(D ${TANDEM_TEST_DATA})
set(TANDEM_TEST_PROC reference)
if(TANDEM_WITH_XNNPACK)
  set(TANDEM_TEST_PROC cpu:threads=1)
endif()
installed_cli_test(installed_version installed 0 "${PROJECT_VERSION}" ${TI} --version)
# The model the installed CLI runs: converted by it from ONNX when it has the converter.
set(TANDEM_INSTALLED_MODEL ${D}/tiny.tdm)
set(TANDEM_INSTALLED_FIXTURES "installed;test_models")
if(TARGET tandem_onnx)
  set(TANDEM_INSTALLED_MODEL ${D}/tiny_installed.tdm)
  installed_cli_test(installed_convert "installed;test_onnx_models" 0 "" ${TI} convert
                     ${D}/tiny.onnx -o ${TANDEM_INSTALLED_MODEL})
  set_tests_properties(installed_convert PROPERTIES FIXTURES_SETUP installed_model)
  set(TANDEM_INSTALLED_FIXTURES "installed;test_models;installed_model")
endif()
installed_cli_test(installed_run "${TANDEM_INSTALLED_FIXTURES}" 0 "probs: 1x10, argmax" ${TI} run
                   ${TANDEM_INSTALLED_MODEL} --input ${D}/tiny_input.npy --processor ${TANDEM_TEST_PROC})
installed_cli_test(installed_bench "${TANDEM_INSTALLED_FIXTURES}" 0 "latency +median" ${TI} bench
                   ${TANDEM_INSTALLED_MODEL} --processor ${TANDEM_TEST_PROC} --runs 2 --warmup 1)

# Relocation: the prefix copied elsewhere runs on its own copy of libtandem.
# The copy lacks libtandem_opencl.so, so it also shows a machine without the
# opencl backend: cpu runs, opencl fails naming the library (and the moved
# folder, so the original prefix's module was not picked up instead).
set(TANDEM_MOVED_PREFIX ${CMAKE_BINARY_DIR}/install-moved)
add_test(NAME install_relocate
         COMMAND ${CMAKE_COMMAND} -DFROM=${TANDEM_INSTALL_PREFIX} -DTO=${TANDEM_MOVED_PREFIX}
                 -DMODE=no_module -P ${CMAKE_SOURCE_DIR}/tests/relocate_prefix.cmake)
set_tests_properties(install_relocate PROPERTIES FIXTURES_REQUIRED installed FIXTURES_SETUP moved)
set(TM ${TANDEM_MOVED_PREFIX}/bin/tandem)
installed_cli_test(moved_run "moved;test_models" 0 "probs: 1x10, argmax" ${TM} run ${D}/tiny.tdm
                   --input ${D}/tiny_input.npy --processor ${TANDEM_TEST_PROC})
installed_cli_test(moved_bench "moved;test_models" 0 "latency +median" ${TM} bench ${D}/tiny.tdm
                   --processor reference --runs 2 --warmup 1)
# The examples installed into the moved prefix run from there (their run path is
# relative too). Named examples_* like the other example tests (ASan runs skip those).
add_test(NAME examples_install_moved
         COMMAND ${CMAKE_COMMAND} --install ${CMAKE_BINARY_DIR}/examples-build
                 --prefix ${TANDEM_MOVED_PREFIX})
set_tests_properties(examples_install_moved PROPERTIES FIXTURES_REQUIRED "examples;moved"
                     FIXTURES_SETUP examples_moved)
installed_cli_test(examples_moved_classify_c "examples_moved;test_models" 0 "probs: argmax"
                   ${TANDEM_MOVED_PREFIX}/bin/classify_c ${D}/tiny.tdm ${TANDEM_TEST_PROC})
if(TANDEM_WITH_OPENCL AND TANDEM_SHARED)
  set(no_module "opencl processor is not available: cannot load libtandem_opencl.so \\(not beside libtandem in '${TANDEM_MOVED_PREFIX}/lib/'.*libtandem_opencl.so: cannot open shared object file")
  installed_cli_test(moved_no_opencl_run "moved;test_models" nonzero "${no_module}" ${TM} run
                     ${D}/tiny.tdm --input ${D}/tiny_input.npy --processor opencl)
  installed_cli_test(moved_no_opencl_devices moved nonzero "${no_module}" ${TM} devices)
  # The module shipped, but the machine has no libOpenCL.so.1 (simulated, see the script).
  set(TANDEM_NOCL_PREFIX ${CMAKE_BINARY_DIR}/install-no-opencl)
  add_test(NAME install_hide_opencl
           COMMAND ${CMAKE_COMMAND} -DFROM=${TANDEM_INSTALL_PREFIX} -DTO=${TANDEM_NOCL_PREFIX}
                   -DMODE=no_opencl -P ${CMAKE_SOURCE_DIR}/tests/relocate_prefix.cmake)
  set_tests_properties(install_hide_opencl PROPERTIES FIXTURES_REQUIRED installed
                       FIXTURES_SETUP no_opencl)
  set(TN ${TANDEM_NOCL_PREFIX}/bin/tandem)
  set(no_cl "cannot load ${TANDEM_NOCL_PREFIX}/lib/libtandem_opencl.so: libNoOpCL.so.1: cannot open shared object file")
  installed_cli_test(no_opencl_devices no_opencl nonzero "${no_cl}" ${TN} devices)
  installed_cli_test(no_opencl_run "no_opencl;test_models" nonzero "${no_cl}" ${TN} run ${D}/tiny.tdm
                     --input ${D}/tiny_input.npy --processor opencl)
  installed_cli_test(no_opencl_cpu_runs "no_opencl;test_models" 0 "probs: 1x10, argmax" ${TN} run
                     ${D}/tiny.tdm --input ${D}/tiny_input.npy --processor ${TANDEM_TEST_PROC})
endif()

# libtandem loads without OpenCL and CLBlast: no NEEDED entry names them (they
# come with libtandem_opencl.so, loaded on first use), and a module that cannot
# be loaded fails only the opencl request, with the loader's message.
if(TANDEM_WITH_OPENCL AND TANDEM_SHARED)
  find_program(TANDEM_READELF readelf)
  if(TANDEM_READELF)
    add_test(NAME libtandem_no_opencl_needed COMMAND ${TANDEM_READELF} -d $<TARGET_FILE:tandem>)
    set_tests_properties(libtandem_no_opencl_needed PROPERTIES
                         PASS_REGULAR_EXPRESSION "NEEDED.*libstdc\\+\\+"
                         FAIL_REGULAR_EXPRESSION "libOpenCL|libclblast")
    add_test(NAME opencl_module_needs_opencl COMMAND ${TANDEM_READELF} -d $<TARGET_FILE:tandem_opencl>)
    set_tests_properties(opencl_module_needs_opencl PROPERTIES
                         PASS_REGULAR_EXPRESSION "NEEDED.*libOpenCL.*libclblast|NEEDED.*libclblast.*libOpenCL")
  endif()
  set(T $<TARGET_FILE:tandem_cli>)
  set(no_env_module "TANDEM_OPENCL_MODULE=${D}/no_such_module.so")
  add_test(NAME opencl_module_missing_cpu_runs
           COMMAND ${CMAKE_COMMAND} -E env ${no_env_module} ${CMAKE_COMMAND}
                   "-DCMD=${T};run;${D}/tiny.tdm;--input;${D}/tiny_input.npy;--processor;${TANDEM_TEST_PROC}"
                   -DEXPECT_EXIT=0 "-DEXPECT_REGEX=probs: 1x10, argmax"
                   -P ${CMAKE_SOURCE_DIR}/tests/expect_command.cmake)
  add_test(NAME opencl_module_missing_error
           COMMAND ${CMAKE_COMMAND} -E env ${no_env_module} ${CMAKE_COMMAND}
                   "-DCMD=${T};run;${D}/tiny.tdm;--input;${D}/tiny_input.npy;--processor;opencl"
                   -DEXPECT_EXIT=nonzero
                   "-DEXPECT_REGEX=cannot load ${D}/no_such_module.so \\(TANDEM_OPENCL_MODULE\\): ${D}/no_such_module.so: cannot open shared object file"
                   -P ${CMAKE_SOURCE_DIR}/tests/expect_command.cmake)
  set_tests_properties(opencl_module_missing_cpu_runs opencl_module_missing_error
                       PROPERTIES FIXTURES_REQUIRED test_models)
endif()
