// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Array configs: SCALE-Sim .cfg and Optiscope's array-config JSON.
#include "fuzz_support.h"

#include "optiscope/accelsim/config_json.h"
#include "optiscope/accelsim/scalesim_io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace optiscope;
    const auto text = fuzz::asText(data, size);
    if (auto config = accelsim::parseScaleSimConfig(text, "array.cfg")) {
        (void)accelsim::formatScaleSimConfig(*config);
    }
    (void)accelsim::parseArrayConfigJson(text, "array.json");
    return 0;
}
