// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// config.json through parseModelConfig.
#include "fuzz_support.h"

#include "optiscope/core/model_config.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    (void)optiscope::core::parseModelConfig(std::string(optiscope::fuzz::asText(data, size)), "config.json");
    return 0;
}
