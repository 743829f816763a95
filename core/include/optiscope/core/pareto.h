// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The Pareto front of (cost x, quality y) points: those no other point dominates (at most as costly
// and at least as good, strictly better in one). Header-only and dependency-free, so the report
// (core) and the sweep plot (widgets, which links no engine code) use the same definition.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

namespace optiscope::core {

// Indices of the front, sorted by x then y; points with a non-finite coordinate are never on it
// and never dominate. x and y have the same length.
inline std::vector<int> paretoFront(std::span<const double> x, std::span<const double> y, bool lowerYIsBetter)
{
    const auto better = [lowerYIsBetter](double a, double b) { return lowerYIsBetter ? a < b : a > b; };
    const auto finite = [&](std::size_t i) { return std::isfinite(x[i]) && std::isfinite(y[i]); };
    std::vector<int> front;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!finite(i)) {
            continue;
        }
        bool dominated = false;
        for (std::size_t j = 0; j < x.size() && !dominated; ++j) {
            const bool noWorse = x[j] <= x[i] && !better(y[i], y[j]);
            const bool strictly = x[j] < x[i] || better(y[j], y[i]);
            dominated = j != i && finite(j) && noWorse && strictly;
        }
        if (!dominated) {
            front.push_back(static_cast<int>(i));
        }
    }
    std::sort(front.begin(), front.end(), [&](int a, int b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
    return front;
}

} // namespace optiscope::core
