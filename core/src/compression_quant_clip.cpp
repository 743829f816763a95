// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "quant_detail.h"

#include "optiscope/core/check.h"

#include <algorithm>
#include <cmath>

namespace optiscope::core::detail {

namespace {

    constexpr int kMseCandidates = 100; // clipping ratios 0.01, 0.02, ..., 1.00

    ClipRange minMaxRange(const std::vector<double>& group, bool symmetric)
    {
        ClipRange range;
        for (double v : group) {
            if (symmetric) {
                range.hi = std::max(range.hi, std::fabs(v));
            } else {
                range.lo = std::min(range.lo, v);
                range.hi = std::max(range.hi, v);
            }
        }
        range.lo = symmetric ? -range.hi : range.lo;
        return range;
    }

    double groupMse(const std::vector<double>& group, const IntGrid& grid)
    {
        double sum = 0;
        for (double v : group) {
            const double diff = static_cast<double>(dequantizeOnGrid(v, grid, -1.0)) - v;
            sum += diff * diff;
        }
        return sum;
    }

} // namespace

double percentileOfSorted(const std::vector<double>& sorted, double percentile)
{
    OPTISCOPE_CHECK(!sorted.empty());
    const double rank = percentile / 100.0 * static_cast<double>(sorted.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(rank));
    const std::size_t above = std::min(below + 1, sorted.size() - 1);
    const double t = rank - static_cast<double>(below);
    return sorted[below] + t * (sorted[above] - sorted[below]);
}

ClipRange chooseClipRange(const std::vector<double>& group, const QuantSpec& spec)
{
    const ClipRange full = minMaxRange(group, spec.symmetric);
    switch (spec.clip) {
    case QuantClip::MinMax:
        return full;
    case QuantClip::Percentile: {
        std::vector<double> sorted(group);
        if (spec.symmetric) {
            for (double& v : sorted) {
                v = std::fabs(v);
            }
        }
        std::sort(sorted.begin(), sorted.end());
        const double hi = percentileOfSorted(sorted, spec.percentile);
        if (spec.symmetric) {
            return { -hi, hi };
        }
        return { std::min(percentileOfSorted(sorted, 100.0 - spec.percentile), 0.0), std::max(hi, 0.0) };
    }
    case QuantClip::Mse: {
        // From the full range down, so a tie keeps the larger range (and ratio 1 is min/max).
        ClipRange best = full;
        double bestError = groupMse(group, makeIntGrid(full, spec));
        for (int k = kMseCandidates - 1; k >= 1; --k) {
            const double ratio = static_cast<double>(k) / kMseCandidates;
            const ClipRange candidate { full.lo * ratio, full.hi * ratio };
            const double error = groupMse(group, makeIntGrid(candidate, spec));
            if (error < bestError) {
                best = candidate;
                bestError = error;
            }
        }
        return best;
    }
    }
    OPTISCOPE_CHECK(false);
    return full;
}

IntGrid makeIntGrid(const ClipRange& range, const QuantSpec& spec)
{
    IntGrid grid;
    if (spec.symmetric) {
        grid.qmax = std::ldexp(1.0, spec.bits - 1) - 1;
        grid.qmin = -grid.qmax;
        grid.scale = static_cast<float>(range.hi / grid.qmax);
        return grid;
    }
    grid.qmax = std::ldexp(1.0, spec.bits) - 1;
    const double lo = std::min(range.lo, 0.0), hi = std::max(range.hi, 0.0);
    grid.scale = static_cast<float>((hi - lo) / grid.qmax);
    grid.zero = grid.scale == 0.0f ? 0.0 : std::clamp(std::nearbyint(-lo / grid.scale), 0.0, grid.qmax);
    return grid;
}

float dequantizeOnGrid(double x, const IntGrid& grid, double u)
{
    if (grid.scale == 0.0f) {
        return 0.0f;
    }
    const double scaled = x / static_cast<double>(grid.scale);
    const double rounded = u < 0 ? std::nearbyint(scaled) : std::floor(scaled + u);
    const double q = std::clamp(rounded + grid.zero, grid.qmin, grid.qmax);
    return static_cast<float>((q - grid.zero) * grid.scale);
}

} // namespace optiscope::core::detail
