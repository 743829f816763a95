# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# The corrupt-input corpus (tests/corrupt/cases.json) run through optiscope-cli as a black box.
optiscope_cli_test(tst_corrupt DEFINITIONS OPTISCOPE_CORRUPT_DIR="${CMAKE_CURRENT_LIST_DIR}/../corrupt")
