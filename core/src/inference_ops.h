// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Building blocks of the fp32 forward passes. Every matrix product goes through gemm(), the one
// place to swap in another GEMM (BLAS, a quantized kernel) later.
#include "optiscope/core/cancel.h"
#include "optiscope/core/inference.h"
#include "optiscope/core/model.h"
#include "optiscope/optrace/op_trace.h"

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace optiscope::core::detail {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixRef = Eigen::Ref<RowMatrix>;
using ConstMatrixRef = Eigen::Ref<const RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;

// out[M×N] = a[M×K] · b, where b is stored [K×N] or, when bTransposed, [N×K] (both row-major).
void gemm(const ConstMatrixRef& a, const ConstMatrixRef& b, bool bTransposed, MatrixRef out);

// HF Conv1D (GPT-2) stores [in, out]; torch.nn.Linear stores [out, in].
enum class WeightLayout { InOut, OutIn };

// What the op trace should say about a product.
struct OpLabel {
    std::string name;
    optrace::OpKind kind = optrace::OpKind::Other;
    int layer = -1;
    int head = -1;
    std::string aOperand;
    std::string bOperand;
};

// Appends ops when enabled; no-op otherwise. Not thread-safe: record from the calling thread.
// With a model, each op's B operand gets the model's weightAnnotation (bits, N:M, density).
class OpRecorder {
public:
    explicit OpRecorder(optrace::OpTrace* trace, const Model* model = nullptr)
        : m_trace(trace)
        , m_model(model)
    {
    }
    bool enabled() const { return m_trace != nullptr; }
    void record(const OpLabel& label, std::int64_t m, std::int64_t k, std::int64_t n);

private:
    optrace::OpTrace* m_trace;
    const Model* m_model;
};

// out = x · W (+ bias), W viewed by layout. Records the product under label.
void linear(const ConstMatrixRef& x, const Weight& weight, const Weight* bias, WeightLayout layout, MatrixRef out,
    OpRecorder& recorder, const OpLabel& label);

void layerNorm(const ConstMatrixRef& x, const Weight& gamma, const Weight& beta, double eps, MatrixRef out);

void applyActivation(Activation activation, MatrixRef x);

// Which keys a query may see. Query i sits at absolute position queryOffset + i.
struct AttentionMask {
    bool causal = false;
    int queryOffset = 0;
    const std::uint8_t* keyValid = nullptr; // [keys]: 0 = padding; nullptr = all valid
};

// Multi-head scaled dot-product attention. q [Tq×D], k and v [Tk×D] (heads side by side in
// columns); probs receives [heads][Tq][Tk]; context [Tq×D]. Heads run in parallel.
void multiHeadAttention(const ConstMatrixRef& q, const ConstMatrixRef& k, const ConstMatrixRef& v, int heads,
    const AttentionMask& mask, float* probs, MatrixRef context, OpRecorder& recorder, int layer);

// Looks up a weight the loader guaranteed to exist (aborts otherwise).
const Weight& requireWeight(const Model& model, const std::string& name);

inline ConstMatrixMap asMatrix(const Weight& w, std::int64_t rows, std::int64_t cols)
{
    return ConstMatrixMap(w.data, rows, cols);
}

inline bool cancelled(const CancelToken* cancel) { return cancel && cancel->isCancelled(); }

// Encoder forward passes (inference_encoder.cpp) and GPT-2 (inference_gpt2.cpp); input checked.
Result<void> runBert(const Model& model, const RunInput& input, const CaptureOptions& capture, RunResult& result,
    const CancelToken* cancel);
Result<void> runVit(const Model& model, const RunInput& input, const CaptureOptions& capture, RunResult& result,
    const CancelToken* cancel);
Result<void> runGpt2(const Model& model, const RunInput& input, const CaptureOptions& capture, RunResult& result,
    const CancelToken* cancel);

} // namespace optiscope::core::detail
