// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// tokenizer.json through loadTokenizerJson; an accepted tokenizer must also encode and decode a fixed text
// (a vocabulary that loads but breaks encoding is as much a parser defect as a crash on load).
#include "fuzz_support.h"

#include "optiscope/core/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace optiscope;
    auto tokenizer = core::loadTokenizerJson(fuzz::writeScratch("tokenizer.json", data, size));
    if (tokenizer) {
        const auto ids = (*tokenizer)->encode("Hello, world! h\xc3\xa9llo 1234 [MASK]  tabs\there");
        (void)(*tokenizer)->decode(ids);
    }
    return 0;
}
