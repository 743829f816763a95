// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// GPT-2's two tokenizer files (vocab.json + merges.txt) through loadGpt2Tokenizer. One input carries both:
// the bytes before the first NUL are vocab.json, the rest merges.txt (no NUL: an empty merges file), so the
// mutator can break either file and their agreement (merges naming tokens the vocabulary lacks). An accepted
// tokenizer must also encode and decode a fixed text.
#include "fuzz_support.h"

#include "optiscope/core/bpe_tokenizer.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace optiscope;
    const std::uint8_t* split = std::find(data, data + size, std::uint8_t { 0 });
    const auto vocabSize = static_cast<std::size_t>(split - data);
    const std::size_t mergesOffset = std::min(size, vocabSize + 1);
    const auto vocab = fuzz::writeScratch("vocab.json", data, vocabSize);
    const auto merges = fuzz::writeScratch("merges.txt", data + mergesOffset, size - mergesOffset);
    auto tokenizer = core::loadGpt2Tokenizer(vocab, merges);
    if (tokenizer) {
        const auto ids = (*tokenizer)->encode("Hello, world! the worldly h\xc3\xa9llo 1234 <|endoftext|>  tabs\there");
        (void)(*tokenizer)->decode(ids);
    }
    return 0;
}
