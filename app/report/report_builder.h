// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Runs everything a session report shows through the engine: the recipe applied to the model,
// baseline and compressed metrics on the session input, per-tensor sparsity and bits, the optional
// per-layer sensitivity scan, attention of both models for the view's layer and head, mask corners,
// and the simulation of the compressed model's op trace on the session's array. Synchronous; call it
// off the GUI thread.
#include "report_data.h"

#include "optiscope/core/cancel.h"

#include <expected>
#include <functional>
#include <memory>

namespace optiscope::report {

struct ReportError {
    QString message; // one line naming the file and field
    bool cancelled = false;
};

// fraction in [0, 1] and what runs now ("applying the recipe"); called on the builder's thread.
using ReportProgress = std::function<void(double fraction, const QString& stage)>;

// A session file as the report reads it (session.h errors: missing file, model folder, bad field).
std::expected<ReportRequest, ReportError> requestFromSession(const QString& sessionFile);
// A recipe file with a model folder and input text (errors name the recipe file, step and field).
std::expected<ReportRequest, ReportError> requestFromRecipe(
    const QString& recipeFile, const QString& modelFolder, const QString& text);

std::expected<std::shared_ptr<const ReportData>, ReportError> buildReport(
    const ReportRequest& request, const core::CancelToken* cancel = nullptr, const ReportProgress& progress = {});

} // namespace optiscope::report
