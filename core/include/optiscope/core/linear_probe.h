// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// A linear probe: binary logistic regression on fixed feature vectors (e.g. sentence
// embeddings), with a deterministic train/test split. Plain value types, no threads.
#include "optiscope/core/result.h"

#include <cstdint>
#include <span>
#include <vector>

namespace optiscope::core {

struct ProbeSplit {
    std::vector<int> train; // row indices, in shuffled order
    std::vector<int> test;
};

// Fisher–Yates shuffle of 0..count-1 driven by splitmix64(seed) (the same on every platform,
// unlike std::shuffle); the first round(trainFraction · count) rows train, the rest test.
ProbeSplit splitRows(int count, double trainFraction, std::uint64_t seed);

struct LogisticProbeOptions {
    double l2 = 1e-3; // λ in mean log-loss + λ/2 · ‖w‖² (the bias is not penalised); must be > 0
    int maxIterations = 100; // Newton steps
    double gradientTolerance = 1e-9; // stop when max |∂loss| falls below this
};

struct LogisticProbe {
    std::vector<double> weights; // [dim]
    double bias = 0;
    int iterations = 0; // Newton steps taken
    double loss = 0; // the regularised objective at the solution
    double gradientMaxAbs = 0; // max |∂loss| at the solution (convergence check)

    // P(label = 1 | x) = σ(w·x + b); x has weights.size() values.
    double probability(std::span<const float> x) const;
};

// Minimises the mean log-loss over `rows` of features [rows of dim floats, row-major] with labels
// in {0, 1}, plus λ/2 · ‖w‖², by Newton's method (IRLS) from w = 0 with a backtracking line search.
// The objective is strictly convex, so the minimiser is unique and independent of the solver:
// any correct optimiser must reach the same weights. Errors: bad sizes, labels outside {0, 1},
// λ ≤ 0, no rows.
Result<LogisticProbe> trainLogisticProbe(std::span<const float> features, int dim, std::span<const int> labels,
    std::span<const int> rows, const LogisticProbeOptions& options = {});

// Fraction of `rows` whose predicted label (probability ≥ 0.5) equals the label.
double probeAccuracy(const LogisticProbe& probe, std::span<const float> features, std::span<const int> labels,
    std::span<const int> rows);

} // namespace optiscope::core
