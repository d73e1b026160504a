# End-to-end accuracy on three small zoo models and LR-ASPP (segmentation: its
# head's bilinear Resize): export with PyTorch, convert, run on the reference
# processor, compare (bench/models/zoo_accuracy.sh).
# Needs Debian's python3-torchvision; skipped with a note when it is missing.
execute_process(COMMAND /usr/bin/python3 -c "import torch, torchvision, onnx, numpy"
                RESULT_VARIABLE TANDEM_ZOO_PYTHON_RC OUTPUT_QUIET ERROR_QUIET)
if(TANDEM_ZOO_PYTHON_RC EQUAL 0 AND TARGET tandem_onnx)
  add_test(NAME zoo_accuracy_small
           COMMAND bash ${CMAKE_SOURCE_DIR}/bench/models/zoo_accuracy.sh
                   --build ${CMAKE_BINARY_DIR} --models-dir ${CMAKE_BINARY_DIR}/models
                   resnet18 mobilenet_v2 squeezenet1_1 lraspp_mobilenet_v3_large)
  set_tests_properties(zoo_accuracy_small PROPERTIES TIMEOUT 300 LABELS "zoo;slow" FIXTURES_SETUP zoo_models)
  # The same on the cpu processor, plus ShuffleNetV2: its fused inverted residual
  # blocks, channel shuffles, channel-split slices and ReduceMean head in a real graph.
  add_test(NAME zoo_accuracy_small_cpu
           COMMAND bash ${CMAKE_SOURCE_DIR}/bench/models/zoo_accuracy.sh
                   --build ${CMAKE_BINARY_DIR} --models-dir ${CMAKE_BINARY_DIR}/models
                   --processor cpu:threads=2 resnet18 mobilenet_v2 squeezenet1_1 shufflenet_v2_x0_5
                   lraspp_mobilenet_v3_large)
  set_tests_properties(zoo_accuracy_small_cpu PROPERTIES TIMEOUT 300 LABELS "zoo;slow"
                       FIXTURES_REQUIRED zoo_models)
else()
  message(STATUS "zoo_accuracy_small: skipped (needs /usr/bin/python3 with torch, torchvision, onnx)")
endif()
