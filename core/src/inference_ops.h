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
#include <map>
#include <memory>
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
    // weight / layout: B's data, to count a sparse weight's nonzeros per output column (bColumnNonzeros).
    void record(const OpLabel& label, std::int64_t m, std::int64_t k, std::int64_t n, const Weight* weight = nullptr,
        WeightLayout layout = WeightLayout::InOut);
    // The model whose activation quantization linear() applies (nullptr: none).
    const Model* model() const { return m_model; }
    // Where linear() reports LLM.int8 outlier columns per weight (nullptr: not reported).
    void setOutlierSink(std::map<std::string, std::int64_t>* sink) { m_outliers = sink; }
    void noteOutliers(const std::string& weight, std::int64_t columns)
    {
        if (m_outliers) {
            (*m_outliers)[weight] = columns;
        }
    }
    // Where linear() copies its inputs per weight (nullptr: not captured).
    void setLinearInputSink(std::map<std::string, LinearInput>* sink) { m_linearInputs = sink; }
    void noteLinearInput(const std::string& weight, const ConstMatrixRef& x);

private:
    optrace::OpTrace* m_trace;
    const Model* m_model;
    std::map<std::string, std::int64_t>* m_outliers = nullptr;
    std::map<std::string, LinearInput>* m_linearInputs = nullptr;
    // Column nonzero counts per weight, counted once per recorder (a forward pass meets each weight once or
    // per head).
    std::map<const float*, std::shared_ptr<const std::vector<std::int64_t>>> m_columnNonzeros;
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

// LLM.int8 product (activation_quantization.h): out = x · W through the int8 values of weight and
// the fp16 outlierWeights of quantization; returns the number of outlier columns of x.
std::int64_t mixedInt8Linear(const ConstMatrixRef& x, const Weight& weight, const ActivationQuantization& quantization,
    WeightLayout layout, MatrixRef out);

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
