# One zoo model on opencl vs reference: max |diff| <= 1e-3 x max |reference|, same argmax.
#   -DT=tandem -DMODEL=name -DDIR=build/models -DCACHE=program cache folder
# With -DPIPELINE="cpu:cores=0,opencl:0,cores=1" the opencl leg is instead a
# pipelined run: nodes [0, half) on the first processor, the rest on the second
# (a plan file written here, so both processors always get a stage).
set(onnx ${DIR}/${MODEL}.onnx)
set(input ${DIR}/${MODEL}.input.npy)
if(NOT EXISTS ${onnx} OR NOT EXISTS ${input})
  message("SKIPPED: ${onnx} not there (run /usr/bin/python3 bench/models/export_zoo.py build/models,\n"
          "or bench/models/export_yolo.py build/models --models ${MODEL} for YOLO)")
  return()
endif()
find_program(PY NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
set(tdm ${DIR}/${MODEL}.opencl_test.tdm)
execute_process(COMMAND ${T} convert ${onnx} -o ${tdm} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message("SKIPPED: this build cannot convert ${onnx} (no ONNX support?)")
  return()
endif()
set(opencl_args --processor opencl)
if(PIPELINE)
  execute_process(COMMAND ${T} info ${tdm} OUTPUT_VARIABLE info RESULT_VARIABLE rc)
  string(REGEX MATCH "nodes: ([0-9]+)" _ "${info}")
  set(nodes ${CMAKE_MATCH_1})
  math(EXPR half "${nodes} / 2")
  string(REGEX MATCH "^cpu:[^,]*" first "${PIPELINE}")
  string(REGEX REPLACE "^cpu:[^,]*," "" second "${PIPELINE}")
  set(plan ${DIR}/${MODEL}.pipeline_test_plan.json)
  file(WRITE ${plan} "{\"kind\":\"pipeline\",\"processors\":[\"${first}\",\"${second}\"],"
       "\"stages\":[{\"first_node\":0,\"last_node\":${half},\"processor\":\"${first}\","
       "\"replicas\":1},{\"first_node\":${half},\"last_node\":${nodes},"
       "\"processor\":\"${second}\",\"replicas\":1}]}")
  set(opencl_args --processors ${PIPELINE} --plan ${plan})
endif()
foreach(p reference opencl)
  set(args --processor reference)
  if(p STREQUAL "opencl")
    set(args ${opencl_args})
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E env TANDEM_CACHE_DIR=${CACHE}
                          ${T} run ${tdm} --input ${input} --output ${DIR}/${MODEL}.${p}_test.npy
                          ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(p STREQUAL "opencl" AND PIPELINE AND NOT "${err}${out}" MATCHES "pipeline, predicted")
    message(FATAL_ERROR "${MODEL}: the run was not pipelined over ${PIPELINE}")
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${MODEL} on ${p} failed")
  endif()
endforeach()
execute_process(COMMAND ${PY} -c "
import numpy as np, sys
r = np.load('${DIR}/${MODEL}.reference_test.npy'); o = np.load('${DIR}/${MODEL}.opencl_test.npy')
rel = float(np.abs(o - r).max() / np.abs(r).max())
print('${MODEL}: opencl vs reference relative error %.3g, argmax %d vs %d' % (rel, o.argmax(), r.argmax()))
sys.exit(0 if rel <= 1e-3 and o.argmax() == r.argmax() else 1)
" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${MODEL}: opencl does not match the reference")
endif()
