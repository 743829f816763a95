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
