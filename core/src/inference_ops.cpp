// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "inference_ops.h"

#include "optiscope/core/check.h"
#include "optiscope/core/compression/activation_quantization.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <limits>
#include <mutex>

#ifdef EIGEN_USE_BLAS
extern "C" void openblas_set_num_threads(int threads);
#endif

namespace optiscope::core::detail {

namespace {

    // Below this many multiply-adds a product is not worth splitting across threads.
    constexpr std::int64_t kParallelGemmMacs = std::int64_t { 1 } << 22;
    // Column slices handed to threads start on a multiple of this (whole cache lines, whole
    // register blocks).
    constexpr Eigen::Index kGemmColumnAlign = 64;
    constexpr Eigen::Index kGemmSliceColumns = 1024;

    // Row-wise element work (LayerNorm, activations) is ~10 % of a GPT-2 forward pass; left serial
    // it kept two threads 8 % behind PyTorch. Rows are independent, so results do not depend on
    // the split.
    template <typename RowRangeFn> void forEachRowRange(Eigen::Index rows, Eigen::Index cols, RowRangeFn&& fn)
    {
        constexpr Eigen::Index kMinElementsPerTask = 16 * 1024;
        const Eigen::Index grain = std::max<Eigen::Index>(1, kMinElementsPerTask / std::max<Eigen::Index>(cols, 1));
        if (rows <= grain) {
            fn(Eigen::Index { 0 }, rows);
            return;
        }
        tbb::parallel_for(tbb::blocked_range<Eigen::Index>(0, rows, grain),
            [&](const tbb::blocked_range<Eigen::Index>& range) { fn(range.begin(), range.end()); });
    }

    void gemmSerial(const ConstMatrixRef& a, const ConstMatrixRef& b, bool bTransposed, MatrixRef out)
    {
#ifdef EIGEN_USE_BLAS
        // The engine owns parallelism (TBB column slices and heads). OpenBLAS threads inside
        // those tasks oversubscribe the cores: measured 255–450 ms vs 226 ms on GPT-2-small, 2 cores.
        static std::once_flag pinned;
        std::call_once(pinned, [] { openblas_set_num_threads(1); });
#endif
        if (bTransposed) {
            out.noalias() = a * b.transpose();
        } else {
            out.noalias() = a * b;
        }
    }

} // namespace

void gemm(const ConstMatrixRef& a, const ConstMatrixRef& b, bool bTransposed, MatrixRef out)
{
    const Eigen::Index m = a.rows(), k = a.cols(), n = out.cols();
    OPTISCOPE_CHECK(out.rows() == m);
    OPTISCOPE_CHECK((bTransposed ? b.cols() : b.rows()) == k);
    OPTISCOPE_CHECK((bTransposed ? b.rows() : b.cols()) == n);
    const int threads = tbb::this_task_arena::max_concurrency();
    const bool parallel = threads > 1 && static_cast<std::int64_t>(m) * k * n >= kParallelGemmMacs;
    if (n <= kGemmSliceColumns && !parallel) {
        gemmSerial(a, b, bTransposed, out);
        return;
    }
    // Work in column slices: each slice packs only its share of the weight matrix (splitting rows
    // would make every thread pack all of it), and narrow slices keep the row-major output's rows
    // near each other, which measured 185 → 135 ms for GPT-2's 128 × 768 × 50257 LM head.
    // Eigen is built without OpenMP here, so the slices are also how products use several cores.
    Eigen::Index width = kGemmSliceColumns;
    if (parallel) {
        const Eigen::Index share = (n + threads - 1) / threads;
        width = std::min(width, (share + kGemmColumnAlign - 1) / kGemmColumnAlign * kGemmColumnAlign);
    }
    const Eigen::Index slices = (n + width - 1) / width;
    auto slice = [&](Eigen::Index index) {
        const Eigen::Index begin = index * width;
        const Eigen::Index cols = std::min(width, n - begin);
        if (bTransposed) {
            gemmSerial(a, b.middleRows(begin, cols), true, out.middleCols(begin, cols));
        } else {
            gemmSerial(a, b.middleCols(begin, cols), false, out.middleCols(begin, cols));
        }
    };
    if (!parallel) {
        for (Eigen::Index index = 0; index < slices; ++index) {
            slice(index);
        }
        return;
    }
    tbb::parallel_for(Eigen::Index { 0 }, slices, slice);
}

void OpRecorder::record(
    const OpLabel& label, std::int64_t m, std::int64_t k, std::int64_t n, const Weight* weight, WeightLayout layout)
{
    if (!m_trace) {
        return;
    }
    optrace::MatMulOp op;
    op.name = label.name;
    op.kind = label.kind;
    op.layer = label.layer;
    op.head = label.head;
    op.m = m;
    op.k = k;
    op.n = n;
    op.aOperand = label.aOperand;
    op.bOperand = label.bOperand;
    // Only weights have annotations; activation operands ("k^T", "v") fall back to dense fp32.
    if (m_model && m_model->weight(label.bOperand)) {
        if (const ActivationQuantization* quantization = m_model->activationQuantization(label.bOperand)) {
            op.aBits = quantization->spec.bits;
        }
        const WeightAnnotation annotation = m_model->weightAnnotation(label.bOperand);
        op.bBits = annotation.bits;
        op.nmN = annotation.nmN;
        op.nmM = annotation.nmM;
        op.bDensity = annotation.density;
        // The simulator's unstructured zero skipping needs each output column's nonzeros (accelsim Layer::
        // filterColumnNonzeros); only sparse weights pay for the count.
        if (weight && annotation.density < 1.0 && weight->shape.size() == 2) {
            auto& counts = m_columnNonzeros[weight->data];
            if (!counts) {
                const std::int64_t rows = weight->shape[0], cols = weight->shape[1];
                auto columns = std::make_shared<std::vector<std::int64_t>>(static_cast<std::size_t>(n), 0);
                // B = W for [in, out] storage, W^T for [out, in].
                const bool outIn = layout == WeightLayout::OutIn;
                if ((outIn ? rows : cols) == n && (outIn ? cols : rows) == k) {
                    for (std::int64_t r = 0; r < rows; ++r) {
                        const float* values = weight->data + r * cols;
                        for (std::int64_t c = 0; c < cols; ++c) {
                            (*columns)[static_cast<std::size_t>(outIn ? r : c)] += values[c] != 0.0f ? 1 : 0;
                        }
                    }
                    counts = std::move(columns);
                }
            }
            op.bColumnNonzeros = counts;
        }
    }
    m_trace->ops.push_back(std::move(op));
}

void OpRecorder::noteLinearInput(const std::string& weight, const ConstMatrixRef& x)
{
    if (!m_linearInputs || weight.empty()) {
        return;
    }
    LinearInput& input = (*m_linearInputs)[weight];
    input.rows = x.rows();
    input.cols = x.cols();
    input.values.resize(static_cast<std::size_t>(x.size()));
    Eigen::Map<RowMatrix>(input.values.data(), x.rows(), x.cols()) = x; // x may be a strided block
}

void linear(const ConstMatrixRef& x, const Weight& weight, const Weight* bias, WeightLayout layout, MatrixRef out,
    OpRecorder& recorder, const OpLabel& label)
{
    OPTISCOPE_CHECK(weight.shape.size() == 2);
    const auto rows = weight.shape[0], cols = weight.shape[1];
    const ConstMatrixMap w(weight.data, rows, cols);
    recorder.noteLinearInput(label.bOperand, x);
    const ActivationQuantization* quantization = recorder.model() && !label.bOperand.empty()
        ? recorder.model()->activationQuantization(label.bOperand)
        : nullptr;
    if (quantization && quantization->mixedInt8) {
        recorder.noteOutliers(label.bOperand, mixedInt8Linear(x, weight, *quantization, layout, out));
    } else if (quantization) {
        const RowMatrix copy = x; // x may be a strided block
        const auto values
            = quantizeActivations(std::span<const float>(copy.data(), static_cast<std::size_t>(copy.size())), x.rows(),
                x.cols(), *quantization);
        gemm(Eigen::Map<const RowMatrix>(values.data(), x.rows(), x.cols()), w, layout == WeightLayout::OutIn, out);
    } else {
        gemm(x, w, layout == WeightLayout::OutIn, out);
    }
    if (bias) {
        OPTISCOPE_CHECK(bias->elementCount() == out.cols());
        out.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias->data, out.cols());
    }
    recorder.record(label, x.rows(), x.cols(), out.cols(), &weight, layout);
}

void layerNorm(const ConstMatrixRef& x, const Weight& gamma, const Weight& beta, double eps, MatrixRef out)
{
    const Eigen::Index d = x.cols();
    OPTISCOPE_CHECK(gamma.elementCount() == d && beta.elementCount() == d);
    const Eigen::Map<const Eigen::RowVectorXf> g(gamma.data, d), b(beta.data, d);
    forEachRowRange(x.rows(), d, [&](Eigen::Index firstRow, Eigen::Index endRow) {
        for (Eigen::Index row = firstRow; row < endRow; ++row) {
            // Sums in double: eps can be 1e-12 and activations large, so float sums would drift from
            // PyTorch's (Welford) statistics more than the test tolerance allows on wide layers.
            double sum = 0, squares = 0;
            const float* in = x.row(row).data();
            for (Eigen::Index i = 0; i < d; ++i) {
                sum += in[i];
            }
            const double mean = sum / static_cast<double>(d);
            for (Eigen::Index i = 0; i < d; ++i) {
                const double centred = in[i] - mean;
                squares += centred * centred;
            }
            const auto scale = static_cast<float>(1.0 / std::sqrt(squares / static_cast<double>(d) + eps));
            out.row(row) = ((x.row(row).array() - static_cast<float>(mean)) * scale * g.array() + b.array()).matrix();
        }
    });
}

void applyActivation(Activation activation, MatrixRef x)
{
    switch (activation) {
    case Activation::Relu:
        x = x.cwiseMax(0.0f);
        return;
    case Activation::GeluTanh: {
        // NewGELUActivation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        constexpr float kSqrt2OverPi = 0.7978845608028654f;
        forEachRowRange(x.rows(), x.cols(), [&](Eigen::Index firstRow, Eigen::Index endRow) {
            for (Eigen::Index row = firstRow; row < endRow; ++row) {
                auto a = x.row(row).array();
                a = 0.5f * a * (1.0f + (kSqrt2OverPi * (a + 0.044715f * a.cube())).tanh());
            }
        });
        return;
    }
    case Activation::GeluExact:
        forEachRowRange(x.rows(), x.cols(), [&](Eigen::Index firstRow, Eigen::Index endRow) {
            for (Eigen::Index row = firstRow; row < endRow; ++row) {
                float* values = x.row(row).data();
                for (Eigen::Index i = 0; i < x.cols(); ++i) {
                    values[i] = 0.5f * values[i] * (1.0f + std::erf(values[i] * 0.70710678118654752f));
                }
            }
        });
        return;
    }
}

void multiHeadAttention(const ConstMatrixRef& q, const ConstMatrixRef& k, const ConstMatrixRef& v, int heads,
    const AttentionMask& mask, float* probs, MatrixRef context, OpRecorder& recorder, int layer)
{
    const Eigen::Index tq = q.rows(), tk = k.rows(), d = q.cols();
    const Eigen::Index dh = d / heads;
    OPTISCOPE_CHECK(dh * heads == d && k.cols() == d && v.cols() == d && v.rows() == tk);
    OPTISCOPE_CHECK(context.rows() == tq && context.cols() == d);
    const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
    // HF adds finfo(float32).min to masked scores (and replaces causally hidden ones by it).
    constexpr float kMaskValue = std::numeric_limits<float>::lowest();

    tbb::parallel_for(0, heads, [&](int head) {
        Eigen::Map<RowMatrix> p(probs + static_cast<std::size_t>(head) * tq * tk, tq, tk);
        const auto columns = head * dh;
        gemm(q.middleCols(columns, dh), k.middleCols(columns, dh), true, p);
        // Softmax in an Eigen-aligned scratch row: on the probs buffer itself, Eigen's vectorised
        // exp and sum peel a different number of scalar elements depending on the row's address,
        // so equal inputs gave results differing by ~1e-7 from run to run.
        Eigen::ArrayXf scratch(tk);
        for (Eigen::Index i = 0; i < tq; ++i) {
            float* row = p.row(i).data();
            const Eigen::Index visible = mask.causal ? std::min<Eigen::Index>(tk, mask.queryOffset + i + 1) : tk;
            float maxScore = -std::numeric_limits<float>::infinity();
            for (Eigen::Index j = 0; j < tk; ++j) {
                float s = row[j] * scale;
                if (j >= visible) {
                    s = kMaskValue;
                }
                if (mask.keyValid && !mask.keyValid[j]) {
                    s += kMaskValue; // -inf for a key both hidden and padded, as in HF's float32 math
                }
                row[j] = s;
                maxScore = std::max(maxScore, s);
            }
            scratch = Eigen::Map<const Eigen::ArrayXf>(row, tk);
            scratch = (scratch - maxScore).exp();
            scratch /= scratch.sum();
            Eigen::Map<Eigen::ArrayXf>(row, tk) = scratch;
        }
        gemm(p, v.middleCols(columns, dh), false, context.middleCols(columns, dh));
    });
    if (recorder.enabled()) {
        for (int head = 0; head < heads; ++head) {
            const std::string prefix = "layer" + std::to_string(layer) + ".head" + std::to_string(head);
            recorder.record(
                { prefix + ".scores", optrace::OpKind::AttentionScores, layer, head, "q", "k^T" }, tq, dh, tk);
            recorder.record(
                { prefix + ".context", optrace::OpKind::AttentionContext, layer, head, "probs", "v" }, tq, tk, dh);
        }
    }
}

const Weight& requireWeight(const Model& model, const std::string& name)
{
    const Weight* weight = model.weight(name);
    OPTISCOPE_CHECK(weight != nullptr);
    return *weight;
}

} // namespace optiscope::core::detail
