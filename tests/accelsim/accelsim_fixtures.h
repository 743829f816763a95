// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Building blocks the accelsim tests share: a GEMM layer and a stepper from values that must be
// valid (a test whose own setup is rejected stops with the engine's message).
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/stepper.h"
#include "optiscope/accelsim/workload.h"

#include <QtGlobal>

#include <string>
#include <utility>
#include <vector>

namespace accelsim_fixtures {

template <typename T> T valueOrDie(optiscope::accelsim::Result<T> result)
{
    if (!result) {
        qFatal("%s", result.error().message.c_str());
    }
    return std::move(*result);
}

inline optiscope::accelsim::Layer gemm(std::int64_t m, std::int64_t n, std::int64_t k, std::string name = "g")
{
    return valueOrDie(optiscope::accelsim::layerFromGemm(std::move(name), m, n, k, "test"));
}

inline optiscope::accelsim::Stepper makeStepper(
    std::vector<optiscope::accelsim::Layer> layers, const optiscope::accelsim::ArrayConfig& config)
{
    optiscope::accelsim::Workload workload;
    workload.layers = std::move(layers);
    return valueOrDie(optiscope::accelsim::Stepper::create(std::move(workload), config));
}

} // namespace accelsim_fixtures
