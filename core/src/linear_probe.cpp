// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/linear_probe.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace optiscope::core {

namespace {

    std::uint64_t splitmix64(std::uint64_t& state)
    {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    // log(1 + e^z) without overflow.
    double softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

    double sigmoid(double z)
    {
        if (z >= 0) {
            return 1.0 / (1.0 + std::exp(-z));
        }
        const double e = std::exp(z);
        return e / (1.0 + e);
    }

    // Design matrix with a trailing 1 column for the bias: [rows, dim + 1].
    using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

    double objective(const Matrix& x, const Eigen::VectorXd& y, const Eigen::VectorXd& theta, double l2)
    {
        const Eigen::VectorXd z = x * theta;
        double sum = 0;
        for (Eigen::Index i = 0; i < z.size(); ++i) {
            sum += softplus(z[i]) - y[i] * z[i];
        }
        const auto dim = theta.size() - 1;
        return sum / static_cast<double>(z.size()) + 0.5 * l2 * theta.head(dim).squaredNorm();
    }

} // namespace

ProbeSplit splitRows(int count, double trainFraction, std::uint64_t seed)
{
    std::vector<int> order(static_cast<std::size_t>(std::max(count, 0)));
    for (int i = 0; i < count; ++i) {
        order[static_cast<std::size_t>(i)] = i;
    }
    std::uint64_t state = seed;
    for (int i = count - 1; i > 0; --i) {
        // Multiply-shift maps 64 random bits onto [0, i] with negligible bias for these sizes.
        const auto j = static_cast<int>(
            (static_cast<unsigned __int128>(splitmix64(state)) * static_cast<unsigned>(i + 1)) >> 64);
        std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
    }
    const auto trainCount = static_cast<std::size_t>(std::lround(std::clamp(trainFraction, 0.0, 1.0) * count));
    ProbeSplit split;
    split.train.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(trainCount));
    split.test.assign(order.begin() + static_cast<std::ptrdiff_t>(trainCount), order.end());
    return split;
}

double LogisticProbe::probability(std::span<const float> x) const
{
    double z = bias;
    for (std::size_t k = 0; k < weights.size(); ++k) {
        z += weights[k] * static_cast<double>(x[k]);
    }
    return sigmoid(z);
}

Result<LogisticProbe> trainLogisticProbe(std::span<const float> features, int dim, std::span<const int> labels,
    std::span<const int> rows, const LogisticProbeOptions& options)
{
    if (dim <= 0 || features.size() % static_cast<std::size_t>(dim) != 0) {
        return fail(ErrorCode::Input,
            "probe: features: size " + std::to_string(features.size()) + " is not a multiple of the dimension "
                + std::to_string(dim));
    }
    const auto count = static_cast<std::int64_t>(features.size() / static_cast<std::size_t>(dim));
    if (static_cast<std::int64_t>(labels.size()) != count) {
        return fail(ErrorCode::Input,
            "probe: labels: " + std::to_string(labels.size()) + " labels for " + std::to_string(count)
                + " feature rows");
    }
    if (rows.empty()) {
        return fail(ErrorCode::Input, "probe: no training rows");
    }
    if (!(options.l2 > 0) || !std::isfinite(options.l2)) {
        return fail(ErrorCode::Input, "probe: l2: " + std::to_string(options.l2) + " must be positive");
    }
    const auto n = static_cast<Eigen::Index>(rows.size());
    Matrix x(n, dim + 1);
    Eigen::VectorXd y(n);
    for (Eigen::Index r = 0; r < n; ++r) {
        const int row = rows[static_cast<std::size_t>(r)];
        if (row < 0 || row >= count) {
            return fail(ErrorCode::Input,
                "probe: rows: index " + std::to_string(row) + " outside [0, " + std::to_string(count) + ")");
        }
        const int label = labels[static_cast<std::size_t>(row)];
        if (label != 0 && label != 1) {
            return fail(ErrorCode::Input,
                "probe: labels[" + std::to_string(row) + "]: " + std::to_string(label) + " is not 0 or 1");
        }
        for (int k = 0; k < dim; ++k) {
            const float v
                = features[static_cast<std::size_t>(row) * static_cast<std::size_t>(dim) + static_cast<std::size_t>(k)];
            if (!std::isfinite(v)) {
                return fail(ErrorCode::Input, "probe: features: row " + std::to_string(row) + " is not finite");
            }
            x(r, k) = v;
        }
        x(r, dim) = 1.0;
        y[r] = label;
    }

    // Newton: H = Xᵀ diag(p(1-p)) X / n + λ·I (not on the bias), g = Xᵀ(p - y) / n + λ·w.
    // H is positive definite (λ > 0, and the bias column gets p(1-p) > 0), so LDLT always solves.
    const double inverseN = 1.0 / static_cast<double>(n);
    Eigen::VectorXd theta = Eigen::VectorXd::Zero(dim + 1);
    double loss = objective(x, y, theta, options.l2);
    LogisticProbe probe;
    Eigen::VectorXd gradient;
    for (int iteration = 0;; ++iteration) {
        const Eigen::VectorXd z = x * theta;
        Eigen::VectorXd residual(n), curvature(n);
        for (Eigen::Index i = 0; i < n; ++i) {
            const double p = sigmoid(z[i]);
            residual[i] = p - y[i];
            curvature[i] = p * (1.0 - p);
        }
        gradient = x.transpose() * residual * inverseN;
        gradient.head(dim) += options.l2 * theta.head(dim);
        if (gradient.cwiseAbs().maxCoeff() < options.gradientTolerance || iteration >= options.maxIterations) {
            probe.iterations = iteration;
            break;
        }
        Matrix hessian = x.transpose() * curvature.asDiagonal() * x * inverseN;
        hessian.diagonal().head(dim).array() += options.l2;
        const Eigen::VectorXd step = hessian.ldlt().solve(gradient);
        // Backtracking (Armijo): far from the optimum a full Newton step can overshoot.
        double t = 1.0;
        Eigen::VectorXd next = theta - step;
        double nextLoss = objective(x, y, next, options.l2);
        const double slope = gradient.dot(step);
        while (nextLoss > loss - 1e-4 * t * slope && t > 1e-10) {
            t *= 0.5;
            next = theta - t * step;
            nextLoss = objective(x, y, next, options.l2);
        }
        // Near the optimum the loss change (~ g²/H) drops below double rounding while the gradient
        // still shrinks quadratically, so only a step that is worse beyond rounding stops the solver.
        if (nextLoss > loss + 8 * std::numeric_limits<double>::epsilon() * std::abs(loss)) {
            probe.iterations = iteration + 1;
            break;
        }
        theta = next;
        loss = nextLoss;
    }
    probe.weights.assign(theta.data(), theta.data() + dim);
    probe.bias = theta[dim];
    probe.loss = loss;
    probe.gradientMaxAbs = gradient.cwiseAbs().maxCoeff();
    return probe;
}

double probeAccuracy(
    const LogisticProbe& probe, std::span<const float> features, std::span<const int> labels, std::span<const int> rows)
{
    if (rows.empty()) {
        return 0;
    }
    const std::size_t dim = probe.weights.size();
    int correct = 0;
    for (const int row : rows) {
        const auto x = features.subspan(static_cast<std::size_t>(row) * dim, dim);
        const int predicted = probe.probability(x) >= 0.5 ? 1 : 0;
        correct += predicted == labels[static_cast<std::size_t>(row)] ? 1 : 0;
    }
    return static_cast<double>(correct) / static_cast<double>(rows.size());
}

} // namespace optiscope::core
