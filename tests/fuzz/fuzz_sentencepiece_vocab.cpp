// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// SentencePiece unigram vocab.json (USE Lite) through fromVocabJson, then a short encode with it, so
// pieces that parse but break the trie or the lattice are found too.
#include "fuzz_support.h"

#include "optiscope/core/sentencepiece_unigram.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const auto path = optiscope::fuzz::writeScratch("vocab.json", data, size);
    auto vocab = optiscope::core::SentencePieceUnigram::fromVocabJson(path);
    if (vocab) {
        (void)vocab->encode("Hello world, \xc3\xa9t\xc3\xa9 \xe2\x96\x81 x");
    }
    return 0;
}
