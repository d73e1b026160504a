# CLI behaviour: every subcommand's --help, info/run on a small model, and
# clear non-zero exits for bad input.
function(tandem_cli_test name exit regex)
  add_test(NAME cli_${name}
           COMMAND ${CMAKE_COMMAND} "-DCMD=${ARGN}" -DEXPECT_EXIT=${exit} "-DEXPECT_REGEX=${regex}"
                   -P ${CMAKE_SOURCE_DIR}/tests/expect_command.cmake)
  set_tests_properties(cli_${name} PROPERTIES FIXTURES_REQUIRED test_models)
endfunction()

set(T $<TARGET_FILE:tandem_cli>)
set(D ${TANDEM_TEST_DATA})
file(WRITE ${D}/empty.tdm "")
file(WRITE ${D}/garbage.tdm "this is not a model file at all, just text padding padding")
tandem_cli_test(help 0 "info" ${T} --help)
tandem_cli_test(info_help 0 "model" ${T} info --help)
tandem_cli_test(run_help 0 "--input" ${T} run --help)
tandem_cli_test(info 0 "Conv: 1.*MACs: 7.55 k" ${T} info ${D}/tiny.tdm)
tandem_cli_test(run 0 "probs: 1x10, argmax" ${T} run ${D}/tiny.tdm --input ${D}/tiny_input.npy --output ${D}/tiny_out.npy)
tandem_cli_test(run_wrong_shape nonzero "input 'image' has shape 1x3x8x9, the model expects 1x3x8x8"
                ${T} run ${D}/tiny.tdm --input ${D}/wrong_shape.npy)
tandem_cli_test(run_missing_model nonzero "nope.tdm" ${T} run ${D}/nope.tdm --input ${D}/tiny_input.npy)
tandem_cli_test(run_empty_model nonzero "empty.tdm" ${T} info ${D}/empty.tdm)
tandem_cli_test(run_garbage_model nonzero "garbage.tdm" ${T} info ${D}/garbage.tdm)
tandem_cli_test(run_bad_processor nonzero "unknown processor 'gpu9'"
                ${T} run ${D}/tiny.tdm --input ${D}/tiny_input.npy --processor gpu9)
tandem_cli_test(run_bad_npy nonzero "not a .npy file" ${T} run ${D}/tiny.tdm --input ${D}/garbage.tdm)

# Pipelined run and bench (two processors; the cpu one exists in XNNPACK builds).
if(TANDEM_WITH_XNNPACK)
  set(P reference,cpu:threads=1)
  tandem_cli_test(run_pipelined 0 "probs: 1x10, argmax"
                  ${T} run ${D}/tiny.tdm --input ${D}/tiny_input.npy --processors ${P})
  tandem_cli_test(bench_pipelined_json 0 "\"predicted_fps\".*\"ratio\""
                  ${T} bench ${D}/tiny.tdm --processors ${P} --frames 5 --rounds 1 --compare
                  --baseline reference --json)
  # --per-op --json lists every node with the kernel that ran it.
  tandem_cli_test(bench_per_op_json 0 "\"nodes\":\\[{.*\"kernel\":\"[a-z0-9_+]+\".*\"ms\":"
                  ${T} bench ${D}/tiny.tdm --processor cpu:threads=1 --runs 2 --per-op --json)
  tandem_cli_test(bench_pipelined_bad_plan nonzero "nope.json"
                  ${T} bench ${D}/tiny.tdm --processors ${P} --plan ${D}/nope.json)
  # isa= forces the own kernels' level: info and bench say which ran (and bench's
  # peak is that level's), the output matches the reference's, an unknown level is
  # a clear error. AVX2 exists on every x86 machine these tests run on.
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    tandem_cli_test(info_isa_avx2 0 "processor: cpu:threads=[0-9]+,isa=avx2 \\(.*isa avx2.*kernels: "
                    ${T} info ${D}/tiny.tdm --processor cpu:isa=avx2)
    tandem_cli_test(bench_isa_avx2 0 "isa avx2.*% of [0-9.]+ GFLOP/s peak \\(1 x avx2\\+fma core.*kernels "
                    ${T} bench ${D}/tiny.tdm --processor cpu:threads=1,isa=avx2 --runs 2)
    tandem_cli_test(run_reference_argmax 0 "argmax 8 "
                    ${T} run ${D}/tiny.tdm --input ${D}/tiny_input.npy)
    tandem_cli_test(run_isa_avx2 0 "argmax 8 "
                    ${T} run ${D}/tiny.tdm --input ${D}/tiny_input.npy --processor cpu:isa=avx2,gemm=own)
  endif()
  tandem_cli_test(run_isa_unknown nonzero "isa must be auto, avx512, avx2 or generic, not 'avx9'"
                  ${T} run ${D}/tiny.tdm --input ${D}/tiny_input.npy --processor cpu:isa=avx9)
endif()
