# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# Black-box tests of optiscope-cli: the binary is run with QProcess; oracles are the PyTorch
# fixtures and the test's own reading of the safetensors/config files (no engine code linked).
add_executable(tst_cli ${CMAKE_CURRENT_LIST_DIR}/tst_cli.cpp)
target_link_libraries(tst_cli PRIVATE Qt6::Test Qt6::Core Qt6::Gui)
target_compile_definitions(tst_cli PRIVATE
  OPTISCOPE_CLI_PATH="$<TARGET_FILE:optiscope-cli>"
  OPTISCOPE_FIXTURES_DIR="${OPTISCOPE_FIXTURES_DIR}"
  OPTISCOPE_TEST_OUTPUT_DIR="${CMAKE_BINARY_DIR}/test-output")
set_target_properties(tst_cli PROPERTIES AUTOMOC ON)
add_dependencies(tst_cli optiscope-cli)
add_test(NAME tst_cli COMMAND tst_cli)
set_tests_properties(tst_cli PROPERTIES LABELS cli TIMEOUT 600)

# optiscope-cli simulate and run --recipe; the sample configs and recipes are part of what is tested.
add_executable(tst_cli_simulate ${CMAKE_CURRENT_LIST_DIR}/tst_cli_simulate.cpp)
target_link_libraries(tst_cli_simulate PRIVATE Qt6::Test Qt6::Core)
target_compile_definitions(tst_cli_simulate PRIVATE
  OPTISCOPE_CLI_PATH="$<TARGET_FILE:optiscope-cli>"
  OPTISCOPE_FIXTURES_DIR="${OPTISCOPE_FIXTURES_DIR}"
  OPTISCOPE_SAMPLES_DIR="${OPTISCOPE_SAMPLES_DIR}")
set_target_properties(tst_cli_simulate PROPERTIES AUTOMOC ON)
add_dependencies(tst_cli_simulate optiscope-cli)
add_test(NAME tst_cli_simulate COMMAND tst_cli_simulate)
set_tests_properties(tst_cli_simulate PROPERTIES LABELS cli TIMEOUT 600)

# optiscope-cli sensitivity: per-layer quantization scan on the sample model.
add_executable(tst_cli_sensitivity ${CMAKE_CURRENT_LIST_DIR}/tst_cli_sensitivity.cpp)
target_link_libraries(tst_cli_sensitivity PRIVATE Qt6::Test Qt6::Core)
target_compile_definitions(tst_cli_sensitivity PRIVATE
  OPTISCOPE_CLI_PATH="$<TARGET_FILE:optiscope-cli>"
  OPTISCOPE_FIXTURES_DIR="${OPTISCOPE_FIXTURES_DIR}"
  OPTISCOPE_SAMPLES_DIR="${OPTISCOPE_SAMPLES_DIR}")
set_target_properties(tst_cli_sensitivity PROPERTIES AUTOMOC ON)
add_dependencies(tst_cli_sensitivity optiscope-cli)
add_test(NAME tst_cli_sensitivity COMMAND tst_cli_sensitivity)
set_tests_properties(tst_cli_sensitivity PROPERTIES LABELS cli TIMEOUT 600)

# optiscope-cli export: hf round trip, compact layout, SCALE-Sim files, bad input.
add_executable(tst_cli_export ${CMAKE_CURRENT_LIST_DIR}/tst_cli_export.cpp)
target_link_libraries(tst_cli_export PRIVATE Qt6::Test Qt6::Core)
target_compile_definitions(tst_cli_export PRIVATE
  OPTISCOPE_CLI_PATH="$<TARGET_FILE:optiscope-cli>"
  OPTISCOPE_FIXTURES_DIR="${OPTISCOPE_FIXTURES_DIR}"
  OPTISCOPE_SAMPLES_DIR="${OPTISCOPE_SAMPLES_DIR}")
set_target_properties(tst_cli_export PROPERTIES AUTOMOC ON)
add_dependencies(tst_cli_export optiscope-cli)
add_test(NAME tst_cli_export COMMAND tst_cli_export)
set_tests_properties(tst_cli_export PROPERTIES LABELS cli TIMEOUT 600)

# optiscope-cli sweep and compress: rows vs single runs, resume, bad parameters, folder layout.
add_executable(tst_cli_sweep ${CMAKE_CURRENT_LIST_DIR}/tst_cli_sweep.cpp)
target_link_libraries(tst_cli_sweep PRIVATE Qt6::Test Qt6::Core)
target_compile_definitions(tst_cli_sweep PRIVATE
  OPTISCOPE_CLI_PATH="$<TARGET_FILE:optiscope-cli>"
  OPTISCOPE_FIXTURES_DIR="${OPTISCOPE_FIXTURES_DIR}"
  OPTISCOPE_SAMPLES_DIR="${OPTISCOPE_SAMPLES_DIR}")
set_target_properties(tst_cli_sweep PROPERTIES AUTOMOC ON)
add_dependencies(tst_cli_sweep optiscope-cli)
add_test(NAME tst_cli_sweep COMMAND tst_cli_sweep)
set_tests_properties(tst_cli_sweep PROPERTIES LABELS cli TIMEOUT 600)

# optiscope-cli probe: linear probe on USE Lite embeddings, recipe column, bad input.
add_executable(tst_cli_probe ${CMAKE_CURRENT_LIST_DIR}/tst_cli_probe.cpp)
target_link_libraries(tst_cli_probe PRIVATE Qt6::Test Qt6::Core)
target_compile_definitions(tst_cli_probe PRIVATE
  OPTISCOPE_CLI_PATH="$<TARGET_FILE:optiscope-cli>"
  OPTISCOPE_FIXTURES_DIR="${OPTISCOPE_FIXTURES_DIR}"
  OPTISCOPE_TEST_OUTPUT_DIR="${CMAKE_BINARY_DIR}/test-output")
set_target_properties(tst_cli_probe PROPERTIES AUTOMOC ON)
add_dependencies(tst_cli_probe optiscope-cli)
add_test(NAME tst_cli_probe COMMAND tst_cli_probe)
set_tests_properties(tst_cli_probe PROPERTIES LABELS cli TIMEOUT 600)

# SIGKILL during export and session saves: the previous file survives, no temporary stays behind.
add_executable(session_write_helper ${CMAKE_CURRENT_LIST_DIR}/session_write_helper.cpp)
target_link_libraries(session_write_helper PRIVATE optiscope::session)
add_executable(tst_kill_during_write ${CMAKE_CURRENT_LIST_DIR}/tst_kill_during_write.cpp)
target_link_libraries(tst_kill_during_write PRIVATE Qt6::Test Qt6::Core optiscope::session)
target_compile_definitions(tst_kill_during_write PRIVATE
  OPTISCOPE_CLI_PATH="$<TARGET_FILE:optiscope-cli>"
  OPTISCOPE_SESSION_HELPER_PATH="$<TARGET_FILE:session_write_helper>"
  OPTISCOPE_SAMPLES_DIR="${OPTISCOPE_SAMPLES_DIR}")
set_target_properties(tst_kill_during_write PROPERTIES AUTOMOC ON)
add_dependencies(tst_kill_during_write optiscope-cli session_write_helper)
add_test(NAME tst_kill_during_write COMMAND tst_kill_during_write)
set_tests_properties(tst_kill_during_write PROPERTIES LABELS cli TIMEOUT 600)
