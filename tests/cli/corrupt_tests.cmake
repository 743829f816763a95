# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# The corrupt-input corpus (tests/corrupt/cases.json) run through optiscope-cli as a black box.
add_executable(tst_corrupt ${CMAKE_CURRENT_LIST_DIR}/tst_corrupt.cpp)
target_link_libraries(tst_corrupt PRIVATE Qt6::Test Qt6::Core)
target_compile_definitions(tst_corrupt PRIVATE
  OPTISCOPE_CLI_PATH="$<TARGET_FILE:optiscope-cli>"
  OPTISCOPE_FIXTURES_DIR="${OPTISCOPE_FIXTURES_DIR}"
  OPTISCOPE_CORRUPT_DIR="${CMAKE_CURRENT_LIST_DIR}/../corrupt"
  OPTISCOPE_TEST_OUTPUT_DIR="${CMAKE_BINARY_DIR}/test-output")
set_target_properties(tst_corrupt PROPERTIES AUTOMOC ON)
add_dependencies(tst_corrupt optiscope-cli)
add_test(NAME tst_corrupt COMMAND tst_corrupt)
set_tests_properties(tst_corrupt PROPERTIES LABELS cli TIMEOUT 600)
