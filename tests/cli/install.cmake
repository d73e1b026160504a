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
                     PASS_REGULAR_EXPRESSION "-ltandem")
