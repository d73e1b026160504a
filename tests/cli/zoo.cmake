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

# YOLOv8 (issue 15): the small yolov8_tiny config (width 0.125, 320x320; same graph as
# yolov8n: SiLU convs, C2f splits and concats, nearest Resize, decoded DFL head)
# exported by ultralytics from a venv that bench/models/export_yolo.py makes on first
# use (pip, ~15 s), converted and run against PyTorch, boxes and class scores checked
# apart. Exit 77 (skipped) when the venv cannot be made (no network for pip).
if(TANDEM_ZOO_PYTHON_RC EQUAL 0 AND TARGET tandem_onnx)
  foreach(p reference cpu:threads=2)
    string(REGEX REPLACE "[:=]" "_" suffix "${p}")
    add_test(NAME zoo_accuracy_yolo_${suffix}
             COMMAND bash ${CMAKE_SOURCE_DIR}/bench/models/zoo_accuracy.sh
                     --build ${CMAKE_BINARY_DIR} --models-dir ${CMAKE_BINARY_DIR}/models
                     --processor ${p} yolov8_tiny)
    set_tests_properties(zoo_accuracy_yolo_${suffix} PROPERTIES TIMEOUT 300 LABELS "zoo;slow"
                         SKIP_RETURN_CODE 77 RESOURCE_LOCK yolo_venv)
  endforeach()
  set_tests_properties(zoo_accuracy_yolo_reference PROPERTIES FIXTURES_SETUP yolo_models)
  set_tests_properties(zoo_accuracy_yolo_cpu_threads_2 PROPERTIES FIXTURES_REQUIRED yolo_models)
endif()

# ConvNeXt (issue 15): convnext_mini, a 2-stage ConvNeXt (16/32 channels, 64x64) with
# ConvNeXt-Tiny's graph as exported (LayerNorm decomposition, GELU erf chain, NHWC
# Transpose islands, layer scale), exported by bench/models/export_zoo.py, converted
# with the default passes and run against PyTorch on reference and cpu.
if(TANDEM_ZOO_PYTHON_RC EQUAL 0 AND TARGET tandem_onnx)
  foreach(p reference cpu:threads=2)
    string(REGEX REPLACE "[:=]" "_" suffix "${p}")
    add_test(NAME zoo_accuracy_convnext_${suffix}
             COMMAND bash ${CMAKE_SOURCE_DIR}/bench/models/zoo_accuracy.sh
                     --build ${CMAKE_BINARY_DIR} --models-dir ${CMAKE_BINARY_DIR}/models
                     --processor ${p} convnext_mini)
    set_tests_properties(zoo_accuracy_convnext_${suffix} PROPERTIES TIMEOUT 300 LABELS "zoo;slow")
  endforeach()
  set_tests_properties(zoo_accuracy_convnext_reference PROPERTIES FIXTURES_SETUP convnext_models)
  set_tests_properties(zoo_accuracy_convnext_cpu_threads_2 PROPERTIES
                       FIXTURES_REQUIRED convnext_models)
endif()

# ViT (issue 15): vit_tiny, torchvision's VisionTransformer with 2 blocks (dim 64, 2 heads,
# 32x32 in 8x8 patches) as torch exports it at opset 14 (class-token Expand through
# ConstantOfShape/Equal/Where, LayerNorm decomposition, q/k/v slices of the in-projection,
# batched attention MatMuls, GELU erf chain, class-token Gather), against PyTorch on
# reference and cpu (the own GEMM's attention path at 1 and 2 threads).
if(TANDEM_ZOO_PYTHON_RC EQUAL 0 AND TARGET tandem_onnx)
  foreach(p reference cpu:threads=1 cpu:threads=2)
    string(REGEX REPLACE "[:=]" "_" suffix "${p}")
    add_test(NAME zoo_accuracy_vit_${suffix}
             COMMAND bash ${CMAKE_SOURCE_DIR}/bench/models/zoo_accuracy.sh
                     --build ${CMAKE_BINARY_DIR} --models-dir ${CMAKE_BINARY_DIR}/models
                     --processor ${p} vit_tiny)
    set_tests_properties(zoo_accuracy_vit_${suffix} PROPERTIES TIMEOUT 300 LABELS "zoo;slow")
  endforeach()
  set_tests_properties(zoo_accuracy_vit_reference PROPERTIES FIXTURES_SETUP vit_models)
  set_tests_properties(zoo_accuracy_vit_cpu_threads_1 zoo_accuracy_vit_cpu_threads_2 PROPERTIES
                       FIXTURES_REQUIRED vit_models)
endif()
