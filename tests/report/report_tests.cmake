# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# optiscope-cli report: a fixture session on the sample model; numbers checked against the engine's
# API and the CLI's simulate/sensitivity JSON, the HTML for external references, the PDF by rendering
# page 1 with pdftoppm (poppler-utils).
add_executable(tst_report ${CMAKE_CURRENT_LIST_DIR}/tst_report.cpp)
target_link_libraries(tst_report PRIVATE Qt6::Test Qt6::Core Qt6::Gui optiscope::core optiscope::accelsim)
target_compile_definitions(tst_report PRIVATE
  OPTISCOPE_CLI_PATH="$<TARGET_FILE:optiscope-cli>"
  OPTISCOPE_SAMPLES_DIR="${OPTISCOPE_SAMPLES_DIR}"
  OPTISCOPE_TEST_OUTPUT_DIR="${CMAKE_BINARY_DIR}/test-output")
set_target_properties(tst_report PROPERTIES AUTOMOC ON)
add_dependencies(tst_report optiscope-cli)
add_test(NAME tst_report COMMAND tst_report)
set_tests_properties(tst_report PROPERTIES LABELS cli TIMEOUT 600)
