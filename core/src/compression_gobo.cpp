// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// GOBO (Zadeh et al., MICRO 2020): Gaussian outliers kept in fp32, the rest clustered by 1-D k-means.
#include "optiscope/core/compression/quantization.h"

#include "optiscope/core/check.h"
#include "quant_detail.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace optiscope::core {

namespace {

    // ends[i] = one past the last sorted value that goes to centroid i: values up to the midpoint
    // between centroids i and i + 1 (a value on the midpoint goes to the lower one).
    template <typename T>
    void assignSorted(
        const std::vector<double>& sorted, const std::vector<T>& centroids, std::vector<std::size_t>& ends)
    {
        ends.resize(centroids.size());
        for (std::size_t i = 0; i + 1 < centroids.size(); ++i) {
            const double boundary = (static_cast<double>(centroids[i]) + static_cast<double>(centroids[i + 1])) / 2.0;
            ends[i]
                = static_cast<std::size_t>(std::upper_bound(sorted.begin(), sorted.end(), boundary) - sorted.begin());
        }
        ends.back() = sorted.size();
        // Boundaries are ascending because centroids are; keep ends monotone anyway.
        for (std::size_t i = 1; i < ends.size(); ++i) {
            ends[i] = std::max(ends[i], ends[i - 1]);
        }
    }

} // namespace

GoboClustering goboCluster(std::span<const float> values, int bits, double sigma, int maxIterations)
{
    OPTISCOPE_CHECK(bits >= 1 && bits <= 16 && sigma > 0 && maxIterations >= 1);
    GoboClustering result;
    result.values.assign(values.begin(), values.end());
    const auto n = static_cast<std::int64_t>(values.size());
    if (n == 0) {
        return result;
    }
    double sum = 0;
    for (float v : values) {
        sum += v;
    }
    result.mean = sum / static_cast<double>(n);
    double squares = 0;
    for (float v : values) {
        squares += (v - result.mean) * (v - result.mean);
    }
    result.sigma = std::sqrt(squares / static_cast<double>(n));
    const double limit = sigma * result.sigma;

    std::vector<std::int64_t> inlierOffsets;
    inlierOffsets.reserve(values.size());
    for (std::int64_t i = 0; i < n; ++i) {
        if (std::fabs(static_cast<double>(values[i]) - result.mean) > limit) {
            result.outlierOffsets.push_back(i);
        } else {
            inlierOffsets.push_back(i);
        }
    }
    if (inlierOffsets.empty()) {
        return result;
    }
    std::vector<double> sorted(inlierOffsets.size());
    for (std::size_t i = 0; i < inlierOffsets.size(); ++i) {
        sorted[i] = values[inlierOffsets[i]];
    }
    std::sort(sorted.begin(), sorted.end());

    const std::size_t k = std::size_t { 1 } << bits;
    std::vector<double> centroids(k);
    for (std::size_t i = 0; i < k; ++i) {
        centroids[i]
            = detail::percentileOfSorted(sorted, 100.0 * (static_cast<double>(i) + 0.5) / static_cast<double>(k));
    }
    std::vector<std::size_t> ends, previous;
    for (int iteration = 0; iteration < maxIterations; ++iteration) {
        assignSorted(sorted, centroids, ends);
        if (ends == previous) {
            result.converged = true;
            break;
        }
        double error = 0;
        std::size_t begin = 0;
        for (std::size_t c = 0; c < k; ++c) {
            if (ends[c] > begin) {
                double clusterSum = 0;
                for (std::size_t j = begin; j < ends[c]; ++j) {
                    clusterSum += sorted[j];
                }
                centroids[c] = clusterSum / static_cast<double>(ends[c] - begin);
                for (std::size_t j = begin; j < ends[c]; ++j) {
                    error += (sorted[j] - centroids[c]) * (sorted[j] - centroids[c]);
                }
            }
            begin = ends[c];
        }
        // Means of consecutive runs are ascending; a kept (empty) centroid may sit out of order.
        std::sort(centroids.begin(), centroids.end());
        result.inlierMse.push_back(error / static_cast<double>(sorted.size()));
        result.iterations = iteration + 1;
        previous = ends;
    }
    result.centroids.resize(k);
    std::transform(
        centroids.begin(), centroids.end(), result.centroids.begin(), [](double c) { return static_cast<float>(c); });
    std::sort(result.centroids.begin(), result.centroids.end());
    // Each inlier takes its nearest stored (float32) centroid, ties to the lower one.
    for (std::int64_t offset : inlierOffsets) {
        const double v = values[offset];
        const auto& c = result.centroids;
        auto above = std::lower_bound(c.begin(), c.end(), static_cast<float>(v));
        std::size_t index = static_cast<std::size_t>(above - c.begin());
        if (index == c.size()) {
            index = c.size() - 1;
        } else if (index > 0
            && std::fabs(v - static_cast<double>(c[index - 1])) <= std::fabs(static_cast<double>(c[index]) - v)) {
            --index;
        }
        result.values[offset] = c[index];
    }
    return result;
}

} // namespace optiscope::core
