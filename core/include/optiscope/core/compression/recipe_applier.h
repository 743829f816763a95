// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Applies recipes to one base model, caching the result after every step: applying a recipe
// whose first k steps equal (by RecipeStep::cacheKey) the cached ones recomputes only steps
// k+1.. ; undo drops the last step. Not thread-safe; results are immutable and shareable.
#include "optiscope/core/compression/compressed_model.h"

namespace optiscope::core {

class RecipeApplier {
public:
    // The calibration data is fixed for the applier's life, so cached Wanda steps stay valid.
    explicit RecipeApplier(std::shared_ptr<const Model> base, CalibrationData calibration = {});

    Result<std::shared_ptr<const CompressedModel>> apply(const Recipe& recipe);
    // Drops the last applied step and returns the model after the remaining ones (the identity
    // model when none remain).
    std::shared_ptr<const CompressedModel> undo();

    std::size_t appliedSteps() const { return m_keys.size(); }
    std::size_t lastReusedSteps() const { return m_lastReused; }
    std::size_t lastComputedSteps() const { return m_lastComputed; }

private:
    std::shared_ptr<const CompressedModel> m_identity;
    CalibrationData m_calibration;
    std::vector<std::string> m_keys; // cacheKey of step i
    std::vector<std::shared_ptr<const CompressedModel>> m_results; // model after step i
    std::size_t m_lastReused = 0;
    std::size_t m_lastComputed = 0;
};

} // namespace optiscope::core
