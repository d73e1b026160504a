# 8-bit inference (issue 18): a tiny CNN quantized by ONNX Runtime's quantize_static
# (QDQ, per-channel), converted and run on reference and cpu (bit-identical) and
# against ONNX Runtime's own int8 output (bench/models/int8_check.sh). The
# quantizer lives in a venv made on first use (pip); exit 77 (skipped) without it.
# The hand-built QDQ model of test_cpu_int8 covers the same without ONNX Runtime.
execute_process(COMMAND /usr/bin/python3 -c "import torch, onnx, numpy"
                RESULT_VARIABLE TANDEM_INT8_PYTHON_RC OUTPUT_QUIET ERROR_QUIET)
if(TANDEM_INT8_PYTHON_RC EQUAL 0 AND TARGET tandem_onnx AND TANDEM_WITH_XNNPACK)
  add_test(NAME int8_quantize_static
           COMMAND bash ${CMAKE_SOURCE_DIR}/bench/models/int8_check.sh --build ${CMAKE_BINARY_DIR})
  set_tests_properties(int8_quantize_static PROPERTIES TIMEOUT 300 LABELS "zoo;slow"
                       SKIP_RETURN_CODE 77 RESOURCE_LOCK int8_venv)
else()
  message(STATUS "int8_quantize_static: skipped (needs /usr/bin/python3 with torch, onnx)")
endif()
