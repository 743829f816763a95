// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The operand values at every PE of the current cycle as short lines for the PE grid (teaching):
// "a 0.42 →" for an ifmap value, "b −0.13 ↓" for a filter value, "Σ 1.27" for the partial sum; the
// arrow says where the value moves next cycle, "■" marks a value held in place (stationary).
#include "optiscope/accelsim/stepper.h"

#include <QStringList>

#include <vector>

namespace optiscope::gui {

// Arrays up to this many PEs get operand values (the views can only print them on small arrays, and
// computing them is O(R·C·R) per cycle).
inline constexpr std::int64_t kMaxOperandPes = 16 * 16;

// Empty when the stepper has no operand values or the array is larger than kMaxOperandPes.
std::vector<QStringList> peOperandTexts(const accelsim::Stepper& stepper);

} // namespace optiscope::gui
