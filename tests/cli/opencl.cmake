# The opencl processor from the command line: tandem devices, the no-platform
# error, the tiny model on opencl, and zoo models end to end against the
# reference (when build/models holds them: bench/models/export_zoo.py).
if(NOT TANDEM_WITH_OPENCL)
  return()
endif()
set(TO ${CMAKE_COMMAND} -E env TANDEM_CACHE_DIR=${CMAKE_BINARY_DIR}/test_tmp/opencl_cache ${T})
file(MAKE_DIRECTORY ${D}/no_opencl_vendors)
tandem_cli_test(devices 0 "opencl:0 " ${TO} devices)
tandem_cli_test(devices_no_platform nonzero "no OpenCL platform found.*OCL_ICD_VENDORS"
                ${CMAKE_COMMAND} -E env OCL_ICD_VENDORS=${D}/no_opencl_vendors ${T} devices)
tandem_cli_test(run_opencl_no_platform nonzero "no OpenCL platform found"
                ${CMAKE_COMMAND} -E env OCL_ICD_VENDORS=${D}/no_opencl_vendors
                ${T} run ${D}/tiny.tdm --input ${D}/tiny_input.npy --processor opencl)
tandem_cli_test(run_reference_no_platform 0 "probs: 1x10, argmax"
                ${CMAKE_COMMAND} -E env OCL_ICD_VENDORS=${D}/no_opencl_vendors
                ${T} run ${D}/tiny.tdm --input ${D}/tiny_input.npy --processor reference)
tandem_cli_test(run_opencl 0 "probs: 1x10, argmax"
                ${TO} run ${D}/tiny.tdm --input ${D}/tiny_input.npy --processor opencl)
tandem_cli_test(run_opencl_bad_option nonzero "bad option 'turbo'"
                ${TO} run ${D}/tiny.tdm --input ${D}/tiny_input.npy --processor opencl:turbo)

foreach(model squeezenet1_1 mobilenet_v2 lraspp_mobilenet_v3_large yolov8_tiny convnext_mini
              vit_tiny)
  add_test(NAME opencl_zoo_${model}
           COMMAND ${CMAKE_COMMAND} -DT=$<TARGET_FILE:tandem_cli> -DMODEL=${model}
                   -DDIR=${CMAKE_BINARY_DIR}/models -DCACHE=${CMAKE_BINARY_DIR}/test_tmp/opencl_cache
                   -P ${CMAKE_SOURCE_DIR}/tests/opencl_zoo.cmake)
  # After zoo_accuracy_small has exported the models (when that test exists).
  set_tests_properties(opencl_zoo_${model} PROPERTIES SKIP_REGULAR_EXPRESSION "SKIPPED:" TIMEOUT 600
                       FIXTURES_REQUIRED zoo_models)
endforeach()
# yolov8_tiny comes from zoo_accuracy_yolo_reference (bench/models/export_yolo.py).
set_tests_properties(opencl_zoo_yolov8_tiny PROPERTIES FIXTURES_REQUIRED yolo_models)
# convnext_mini comes from zoo_accuracy_convnext_reference.
set_tests_properties(opencl_zoo_convnext_mini PROPERTIES FIXTURES_REQUIRED convnext_models)

# A pipelined cpu + opencl run, each confined to its own core (opencl:cores=,
# docs/opencl.md), against the reference: the hand-over between processors.
cmake_host_system_information(RESULT host_cores QUERY NUMBER_OF_LOGICAL_CORES)
if(TANDEM_WITH_XNNPACK AND host_cores GREATER 1)
  add_test(NAME opencl_pipeline_zoo_squeezenet1_1
           COMMAND ${CMAKE_COMMAND} -DT=$<TARGET_FILE:tandem_cli> -DMODEL=squeezenet1_1
                   -DDIR=${CMAKE_BINARY_DIR}/models -DCACHE=${CMAKE_BINARY_DIR}/test_tmp/opencl_cache
                   "-DPIPELINE=cpu:cores=0,opencl:0,cores=1"
                   -P ${CMAKE_SOURCE_DIR}/tests/opencl_zoo.cmake)
  set_tests_properties(opencl_pipeline_zoo_squeezenet1_1 PROPERTIES SKIP_REGULAR_EXPRESSION
                       "SKIPPED:" TIMEOUT 600 FIXTURES_REQUIRED zoo_models)
endif()
# vit_tiny comes from zoo_accuracy_vit_reference.
set_tests_properties(opencl_zoo_vit_tiny PROPERTIES FIXTURES_REQUIRED vit_models)
