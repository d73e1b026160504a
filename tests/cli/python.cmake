# The Python module (python/) through unittest, and the plan picture checked
# as XML by Python. Exit 77 means skipped (NumPy missing for that interpreter).
if(NOT Python3_Interpreter_FOUND)
  find_package(Python3 COMPONENTS Interpreter)
endif()
if(Python3_Interpreter_FOUND)
  add_test(NAME cli_plan_svg
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/python/check_plan_svg.py
                   $<TARGET_FILE:tandem_cli> ${D}/tiny.tdm reference,cpu:threads=1
                   ${D}/tiny_plan.svg)
  if(NOT TANDEM_WITH_XNNPACK)
    set_tests_properties(cli_plan_svg PROPERTIES DISABLED TRUE)  # one processor: no cut to draw
  endif()
  set_tests_properties(cli_plan_svg PROPERTIES FIXTURES_REQUIRED test_models)
endif()
if(TARGET tandem_python)
  add_test(NAME python_module
           COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${TANDEM_PYTHON_MODULE_DIR}
                   TANDEM_TEST_DATA=${D} TANDEM_CLI=$<TARGET_FILE:tandem_cli>
                   TANDEM_PAIR=${TANDEM_TEST_PAIR} TANDEM_CACHE_DIR=${CMAKE_BINARY_DIR}/test_cache
                   ${TANDEM_PYTHON_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/python/test_tandem_module.py)
  set_tests_properties(python_module PROPERTIES FIXTURES_REQUIRED test_models SKIP_RETURN_CODE 77
                                                TIMEOUT 120)
endif()
# ... and the installed copy (tests/cli/install.cmake's prefix) loads libtandem
# through its relative run path and loads a model (no NumPy needed).
if(TARGET tandem_python AND TANDEM_INSTALL_PREFIX)
  add_test(NAME python_module_installed
           COMMAND ${CMAKE_COMMAND} -E env
                   PYTHONPATH=${TANDEM_INSTALL_PREFIX}/${TANDEM_PYTHON_INSTALL_DIR}
                   ${TANDEM_PYTHON_EXECUTABLE} -c
                   "import tandem; m = tandem.Model.load('${D}/tiny.tdm'); print('installed', tandem.__file__, m.outputs[0]['shape'])")
  set_tests_properties(python_module_installed PROPERTIES
                       FIXTURES_REQUIRED "installed;test_models"
                       PASS_REGULAR_EXPRESSION "installed ${TANDEM_INSTALL_PREFIX}/.*\\(1, 10\\)")
endif()
