# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# Black-box tests of optiscope-cli: the binary is run with QProcess; oracles are the PyTorch
# fixtures and the test's own reading of the safetensors/config files (no engine code linked).

# optiscope_cli_test(NAME [LIBS ...] [DEPENDS ...] [DEFINITIONS ...]): a QTest executable from NAME.cpp
# that runs the freshly built CLI (OPTISCOPE_CLI_PATH) against the fixtures, the samples and a
# test-output folder; label cli.
function(optiscope_cli_test name)
  cmake_parse_arguments(arg "" "" "LIBS;DEPENDS;DEFINITIONS" ${ARGN})
  add_executable(${name} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/${name}.cpp)
  target_link_libraries(${name} PRIVATE Qt6::Test Qt6::Core ${arg_LIBS})
  target_compile_definitions(${name} PRIVATE
    OPTISCOPE_CLI_PATH="$<TARGET_FILE:optiscope-cli>"
    OPTISCOPE_FIXTURES_DIR="${OPTISCOPE_FIXTURES_DIR}"
    OPTISCOPE_SAMPLES_DIR="${OPTISCOPE_SAMPLES_DIR}"
    OPTISCOPE_TEST_OUTPUT_DIR="${CMAKE_BINARY_DIR}/test-output"
    ${arg_DEFINITIONS})
  set_target_properties(${name} PROPERTIES AUTOMOC ON)
  add_dependencies(${name} optiscope-cli ${arg_DEPENDS})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS cli TIMEOUT 600)
endfunction()

optiscope_cli_test(tst_cli LIBS Qt6::Gui)
# optiscope-cli simulate and run --recipe; the sample configs and recipes are part of what is tested.
optiscope_cli_test(tst_cli_simulate)
# optiscope-cli sensitivity: per-layer quantization scan on the sample model.
optiscope_cli_test(tst_cli_sensitivity)
# optiscope-cli export: hf round trip, compact layout, SCALE-Sim files, bad input.
optiscope_cli_test(tst_cli_export)
# optiscope-cli sweep and compress: rows vs single runs, resume, bad parameters, folder layout.
optiscope_cli_test(tst_cli_sweep)
# optiscope-cli probe: linear probe on USE Lite embeddings, recipe column, bad input.
optiscope_cli_test(tst_cli_probe)
# optiscope-cli eval: held-out perplexity / accuracy of the samples vs their training scripts, bad input.
optiscope_cli_test(tst_cli_eval)

# SIGKILL during export and session saves: the previous file survives, no temporary stays behind.
add_executable(session_write_helper ${CMAKE_CURRENT_LIST_DIR}/session_write_helper.cpp)
target_link_libraries(session_write_helper PRIVATE optiscope::session)
optiscope_cli_test(tst_kill_during_write LIBS optiscope::session DEPENDS session_write_helper
  DEFINITIONS OPTISCOPE_SESSION_HELPER_PATH="$<TARGET_FILE:session_write_helper>")
