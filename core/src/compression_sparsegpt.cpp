// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// GCC 12 reports -Wmaybe-uninitialized inside Eigen's AVX-512 double GEMM packing
// (_mm512_undefined_pd, a false positive); the pragma must precede the includes to cover them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "optiscope/core/compression/sparsegpt.h"

#include "optiscope/core/check.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace optiscope::core {

namespace {

    using Eigen::Index;
    using Eigen::MatrixXd;

    // keep is column-major [out × in] like W, so a block of input features is contiguous.
    struct Selection {
        std::vector<std::uint8_t> keep;
        Index rows = 0;
        std::uint8_t& at(Index r, Index c) { return keep[static_cast<std::size_t>(c * rows + r)]; }
    };

    double score(double w, double u, bool prunedBefore) { return prunedBefore ? -1.0 : w * w / (u * u); }

    // Unstructured: the lowest scores of the block [rows × (i2 − i1)].
    void selectBlock(
        const MatrixXd& w1, const MatrixXd& u, Index i1, double ratio, const Selection& previous, Selection& selection)
    {
        const Index rows = w1.rows(), count = w1.cols();
        const auto total = static_cast<std::int64_t>(rows * count);
        const auto pruned = std::llround(ratio * static_cast<double>(total));
        if (pruned == 0) {
            return;
        }
        std::vector<double> scores(static_cast<std::size_t>(total));
        for (Index r = 0; r < rows; ++r) {
            for (Index c = 0; c < count; ++c) {
                const bool before
                    = !previous.keep.empty() && previous.keep[static_cast<std::size_t>((i1 + c) * rows + r)] == 0;
                scores[static_cast<std::size_t>(r * count + c)] = score(w1(r, c), u(i1 + c, i1 + c), before);
            }
        }
        std::vector<std::int64_t> order(scores.size());
        std::iota(order.begin(), order.end(), 0);
        std::nth_element(order.begin(), order.begin() + pruned, order.end(),
            [&](std::int64_t a, std::int64_t b) { return scores[a] < scores[b] || (scores[a] == scores[b] && a < b); });
        for (auto i = order.begin(); i != order.begin() + pruned; ++i) {
            selection.at(*i / count, i1 + *i % count) = 0;
        }
    }

    // N:M: per output feature, the m − n lowest scores among input features [col, col + m).
    void selectGroup(const MatrixXd& w1, const MatrixXd& u, Index i1, Index i, int n, int m, const Selection& previous,
        Selection& selection)
    {
        const Index col = i1 + i;
        std::vector<std::pair<double, int>> group(m);
        for (Index r = 0; r < w1.rows(); ++r) {
            for (int j = 0; j < m; ++j) {
                const bool before
                    = !previous.keep.empty() && previous.keep[static_cast<std::size_t>((col + j) * w1.rows() + r)] == 0;
                group[j] = { score(w1(r, i + j), u(col + j, col + j), before), j };
            }
            std::sort(group.begin(), group.end()); // ties: lower input feature first
            for (int j = 0; j < m - n; ++j) {
                selection.at(r, col + group[j].second) = 0;
            }
        }
    }

} // namespace

Result<SparseGptResult> sparseGpt(std::span<const float> values, const MatrixShape& shape,
    std::span<const double> hessian, const Mask& previous, const SparseGptConfig& config)
{
    const Index rows = shape.outFeatures, cols = shape.inFeatures;
    OPTISCOPE_CHECK(static_cast<Index>(values.size()) == rows * cols);
    OPTISCOPE_CHECK(static_cast<Index>(hessian.size()) == cols * cols);
    OPTISCOPE_CHECK(previous.empty() || previous.size() == values.size());
    OPTISCOPE_CHECK(config.blockSize > 0 && config.dampening >= 0);
    const bool nm = config.m > 0;
    OPTISCOPE_CHECK(
        !nm || (0 < config.n && config.n < config.m && cols % config.m == 0 && config.blockSize % config.m == 0));
    OPTISCOPE_CHECK(nm || (config.ratio >= 0 && config.ratio < 1));

    MatrixXd w(rows, cols);
    Selection before { {}, rows };
    if (!previous.empty()) {
        before.keep.resize(values.size());
    }
    for (Index r = 0; r < rows; ++r) {
        for (Index c = 0; c < cols; ++c) {
            const auto offset = static_cast<std::size_t>(shape.index(r, c));
            w(r, c) = values[offset];
            if (!previous.empty()) {
                before.at(r, c) = previous[offset];
            }
        }
    }
    MatrixXd h = Eigen::Map<const MatrixXd>(hessian.data(), cols, cols);
    for (Index j = 0; j < cols; ++j) {
        if (h(j, j) == 0.0) { // an input that is always zero: its weights do nothing on the data
            h(j, j) = 1.0;
            w.col(j).setZero();
        }
    }
    h.diagonal().array() += config.dampening * h.diagonal().mean();
    Eigen::LLT<MatrixXd> factor(h);
    if (factor.info() != Eigen::Success) {
        return fail(ErrorCode::Input, "the Hessian plus dampening is not positive definite");
    }
    const MatrixXd hInverse = factor.solve(MatrixXd::Identity(cols, cols));
    Eigen::LLT<MatrixXd> inverseFactor(hInverse);
    if (inverseFactor.info() != Eigen::Success) {
        return fail(ErrorCode::Input, "the inverse Hessian is not positive definite (raise dampening)");
    }
    const MatrixXd u = inverseFactor.matrixU();

    SparseGptResult result;
    Selection selection { std::vector<std::uint8_t>(values.size(), 1), rows };
    for (Index i1 = 0; i1 < cols; i1 += config.blockSize) {
        const Index count = std::min<Index>(config.blockSize, cols - i1);
        MatrixXd w1 = w.middleCols(i1, count);
        MatrixXd errors = MatrixXd::Zero(rows, count);
        if (!nm) {
            selectBlock(w1, u, i1, config.ratio, before, selection);
        }
        for (Index i = 0; i < count; ++i) {
            const Index col = i1 + i;
            if (nm && col % config.m == 0) {
                selectGroup(w1, u, i1, i, config.n, config.m, before, selection);
            }
            const double d = u(col, col);
            Eigen::VectorXd q = w1.col(i);
            for (Index r = 0; r < rows; ++r) {
                if (!selection.at(r, col) || (!before.keep.empty() && !before.at(r, col))) {
                    selection.at(r, col) = 0;
                    q(r) = 0.0;
                }
            }
            const Eigen::VectorXd error = (w1.col(i) - q) / d;
            result.loss += 0.5 * error.squaredNorm();
            w1.rightCols(count - i).noalias() -= error * u.row(col).segment(col, count - i);
            w1.col(i) = q; // exact zeros, not a rounding residue
            errors.col(i) = error;
        }
        w.middleCols(i1, count) = w1;
        if (i1 + count < cols) {
            w.rightCols(cols - i1 - count).noalias() -= errors * u.block(i1, i1 + count, count, cols - i1 - count);
        }
    }

    result.mask.resize(values.size());
    result.values.resize(values.size());
    for (Index r = 0; r < rows; ++r) {
        for (Index c = 0; c < cols; ++c) {
            const auto offset = static_cast<std::size_t>(shape.index(r, c));
            result.mask[offset] = selection.at(r, c);
            result.values[offset] = static_cast<float>(w(r, c));
        }
    }
    return result;
}

} // namespace optiscope::core
