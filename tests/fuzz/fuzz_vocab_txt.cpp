// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// BERT vocab.txt through loadWordPieceTokenizer with default options; accepted vocabularies encode and decode
// a fixed text.
#include "fuzz_support.h"

#include "optiscope/core/wordpiece_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace optiscope;
    auto tokenizer = core::loadWordPieceTokenizer(fuzz::writeScratch("vocab.txt", data, size), {});
    if (tokenizer) {
        const auto ids = (*tokenizer)->encode("Hello, world! h\xc3\xa9llo unaffable 1234 [MASK]");
        (void)(*tokenizer)->decode(ids);
    }
    return 0;
}
