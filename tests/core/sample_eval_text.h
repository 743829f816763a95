// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The compression tests' common ground: the bundled tiny-gpt2 sample and the evaluation text they
// calibrate and measure on (tests/fixtures/compression/eval_text.txt), tokenized by the model's own
// tokenizer. An unreadable text yields no tokens, which every caller's size check turns into a failure.
#include "optiscope/core/model.h"
#include "optiscope/core/tokenizer.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace optiscope::test {

inline const std::filesystem::path kTinyGpt2Sample = std::filesystem::path(OPTISCOPE_SAMPLES_DIR) / "tiny-gpt2";
inline const std::filesystem::path kEvalText
    = std::filesystem::path(OPTISCOPE_FIXTURES_DIR) / "compression" / "eval_text.txt";

inline std::string readWholeFile(const std::filesystem::path& path)
{
    std::ifstream stream(path, std::ios::binary);
    std::ostringstream text;
    text << stream.rdbuf();
    return text.str();
}

inline std::vector<std::int32_t> evalTextTokens(const core::Model& model)
{
    return model.tokenizer()->encode(readWholeFile(kEvalText));
}

} // namespace optiscope::test
