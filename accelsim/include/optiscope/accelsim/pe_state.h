// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include <cstdint>

namespace optiscope::accelsim {

// What one PE does in one cycle.
// Loading: the stationary operand (WS weights, IS inputs) is being shifted into the array.
// Mac: the PE multiplies and accumulates this cycle.
// Draining: its MACs for the fold are done but partial sums / outputs still pass through it.
// Stalled: the fold this PE works on waits for DRAM (USER bandwidth stalls, see simulate.h).
// Idle: unused by the fold (edge folds), or waiting for the systolic skew to reach it.
enum class PeState : std::uint8_t { Idle, Loading, Mac, Draining, Stalled };

} // namespace optiscope::accelsim
