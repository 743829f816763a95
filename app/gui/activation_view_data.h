// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The input activations of one linear layer from the last run, as a histogram with what the run's model
// does to them: a static per-tensor grid overlaid as levels and clip range, dynamic scales named, and
// the quantize-dequantize error (the engine's own quantizeActivations on these very values).
#include "histogram_view.h"

#include "optiscope/core/inference.h"
#include "optiscope/core/model.h"

#include <map>
#include <string>

namespace optiscope::gui {

// The captured input of weight `name` (inspector names may carry the "transformer." / "bert." / "vit."
// prefix the op trace leaves out, or the other way round); nullptr when the run did not capture it.
const core::LinearInput* findLinearInput(const std::map<std::string, core::LinearInput>& inputs, const std::string& name);

// model: the model that ran (its activationQuantization decides the overlay).
widgets::HistogramData activationHistogram(const core::LinearInput& input, const core::Model& model, const std::string& name);

} // namespace optiscope::gui
