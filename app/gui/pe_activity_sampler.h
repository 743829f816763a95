// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The 3D PE activity view's data from the stepper: a window of cycles around the current one, inside the
// current matrix product, with the array reduced to at most maxCells x maxCells cells (blocks of PEs show
// their most common state) and the window bounded by a voxel budget, so a 128 x 128 array costs about as
// much as a 32 x 32 one: 64 stepped cycles, a few milliseconds. Steps a copy: the panel's cycle stays.
#include "pe_activity_scene.h"

#include "optiscope/accelsim/stepper.h"

namespace optiscope::gui {

struct PeActivityLimits {
    int maxCells = 32; // per side
    int voxelBudget = 65'536; // cells x cycles
    int minCycles = 16;
    int maxCycles = 128;
};

// Empty data (isValid() false) when the stepper is at its end or has no cycles.
widgets::PeActivityData samplePeActivity(const accelsim::Stepper& stepper, PeActivityLimits limits = {});

} // namespace optiscope::gui
