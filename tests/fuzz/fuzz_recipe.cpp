// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Compression recipe JSON through parseRecipe.
#include "fuzz_support.h"

#include "optiscope/core/compression/recipe.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    (void)optiscope::core::parseRecipe(optiscope::fuzz::asText(data, size), "recipe.json");
    return 0;
}
