// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// TF.js model.json (weightsManifest: paths, names, shapes, dtypes, quantization) through
// TfjsWeights::load. One 64-byte shard "group1-shard1of1.bin" sits beside it, so a manifest that
// names it gets as far as checking shapes and byte counts against real data.
#include "fuzz_support.h"

#include "optiscope/core/tfjs_model.h"

#include <array>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const bool shardWritten = [] {
        std::array<std::uint8_t, 64> shard {};
        for (std::size_t i = 0; i < shard.size(); ++i) {
            shard[i] = static_cast<std::uint8_t>(i * 37);
        }
        optiscope::fuzz::writeScratch("group1-shard1of1.bin", shard.data(), shard.size());
        return true;
    }();
    (void)shardWritten;
    const auto path = optiscope::fuzz::writeScratch("model.json", data, size);
    (void)optiscope::core::TfjsWeights::load(path);
    return 0;
}
