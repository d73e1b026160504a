# tandem profile / tandem plan: help, a profile and plan of the tiny model on
# the reference processor, a stored plan, and clear errors for bad input.
set(TE ${CMAKE_COMMAND} -E env TANDEM_CACHE_DIR=${TANDEM_TEST_DATA}/cache ${T})
file(WRITE ${D}/profile_v99.json "{\"format\": \"tandem-profile\", \"schema_version\": 99}")
file(WRITE ${D}/profile_garbage.json "{\"format\": \"tandem-profile\", \"schema_vers")
tandem_cli_test(profile_help 0 "--processors" ${T} profile --help)
tandem_cli_test(plan_help 0 "--max-latency-ms" ${T} plan --help)
tandem_cli_test(plan_help_intra_op 0 "--no-intra-op" ${T} plan --help)
tandem_cli_test(profile_validate 0 "\"validate\":\\[{\"measured_ms\":[0-9.e+-]+,\"predicted_ms\":[0-9.e+-]+,\"processor\":\"reference\"}\\]}"
                ${TE} profile ${D}/tiny.tdm --processors reference --validate --json)
tandem_cli_test(plan_single 0 "\"kind\":\"single\".*\"stages\":\\[{.*\"processor\":\"reference\"" ${TE} plan ${D}/tiny.tdm --processors reference --json)
tandem_cli_test(plan_save 0 "stored plan \\(throughput"
                sh -c "cp ${D}/tiny.tdm ${D}/tiny_planned.tdm && TANDEM_CACHE_DIR=${D}/cache ${T} plan ${D}/tiny_planned.tdm --processors reference --save && ${T} info ${D}/tiny_planned.tdm")
tandem_cli_test(plan_bad_processor nonzero "unknown processor 'gpu9'" ${TE} plan ${D}/tiny.tdm --processors gpu9)
tandem_cli_test(plan_no_processors nonzero "--processors is required" ${TE} plan ${D}/tiny.tdm)
tandem_cli_test(plan_profile_version nonzero "profile_v99.json: profile schema version 99"
                ${TE} plan ${D}/tiny.tdm --profile ${D}/profile_v99.json)
tandem_cli_test(plan_profile_garbage nonzero "profile_garbage.json: not valid JSON"
                ${TE} plan ${D}/tiny.tdm --profile ${D}/profile_garbage.json)
tandem_cli_test(plan_profile_missing nonzero "nope.json: cannot open profile"
                ${TE} plan ${D}/tiny.tdm --profile ${D}/nope.json)
tandem_cli_test(plan_latency_bound nonzero "no plan meets --max-latency-ms"
                ${TE} plan ${D}/tiny.tdm --processors reference --max-latency-ms 0.0000001)
tandem_cli_test(plan_svg_unwritable nonzero "cannot write the plan picture .*nope/plan.svg"
                ${TE} plan ${D}/tiny.tdm --processors reference --svg ${D}/nope/plan.svg)
