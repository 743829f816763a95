// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// SCALE-Sim topology and GEMM CSV; an accepted workload is written back and re-read (round trip must parse).
#include "fuzz_support.h"

#include "optiscope/accelsim/scalesim_io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace optiscope;
    const auto text = fuzz::asText(data, size);
    if (auto topology = accelsim::parseTopologyCsv(text, "topology.csv")) {
        if (!accelsim::parseTopologyCsv(accelsim::formatTopologyCsv(*topology), "round trip")) {
            __builtin_trap();
        }
    }
    if (auto gemm = accelsim::parseGemmCsv(text, "gemm.csv")) {
        if (!accelsim::parseGemmCsv(accelsim::formatGemmCsv(*gemm), "round trip")) {
            __builtin_trap();
        }
    }
    return 0;
}
