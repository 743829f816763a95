// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The report's accuracy-vs-size section reads an `optiscope-cli sweep` results CSV (core/sweep.h's
// columns) and marks its Pareto front in (bytes_sparse, perplexity).
#include "report_data.h"

namespace optiscope::report {

// "" on success, else one line naming the file and the line or column.
QString readSweepResults(const QString& file, std::vector<SweepPointData>* points, double* basePerplexity);

} // namespace optiscope::report
