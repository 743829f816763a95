// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Run-time quantization of linear-layer inputs, and LLM.int8's mixed decomposition.
#include "optiscope/core/compression/activation_quantization.h"

#include "inference_ops.h"
#include "optiscope/core/check.h"
#include "optiscope/core/compression/number_format.h"
#include "quant_detail.h"

#include <algorithm>
#include <cmath>

namespace optiscope::core {

namespace {

    QuantSpec intSpec(const ActivationQuantSpec& a)
    {
        QuantSpec spec;
        spec.format = NumberFormat::Int;
        spec.bits = a.bits;
        spec.symmetric = a.symmetric;
        return spec;
    }

    detail::IntGrid minMaxGrid(const float* begin, const float* end, const QuantSpec& spec)
    {
        detail::ClipRange range;
        for (const float* p = begin; p != end; ++p) {
            if (spec.symmetric) {
                range.hi = std::max(range.hi, std::fabs(static_cast<double>(*p)));
            } else {
                range.lo = std::min(range.lo, static_cast<double>(*p));
                range.hi = std::max(range.hi, static_cast<double>(*p));
            }
        }
        if (spec.symmetric) {
            range.lo = -range.hi;
        }
        return detail::makeIntGrid(range, spec);
    }

    void quantizeRange(float* begin, float* end, const detail::IntGrid& grid)
    {
        for (float* p = begin; p != end; ++p) {
            *p = detail::dequantizeOnGrid(*p, grid, -1.0);
        }
    }

} // namespace

std::vector<float> quantizeActivations(
    std::span<const float> x, std::int64_t rows, std::int64_t cols, const ActivationQuantization& quantization)
{
    OPTISCOPE_CHECK(static_cast<std::int64_t>(x.size()) == rows * cols);
    const ActivationQuantSpec& a = quantization.spec;
    OPTISCOPE_CHECK(a.bits >= 2 && a.bits <= 16);
    std::vector<float> out(x.begin(), x.end());
    const QuantSpec spec = intSpec(a);
    if (a.scaling == ActivationScaling::Static) {
        detail::IntGrid grid = detail::makeIntGrid({}, spec);
        grid.scale = quantization.scale;
        grid.zero = quantization.zeroPoint;
        quantizeRange(out.data(), out.data() + out.size(), grid);
        return out;
    }
    if (a.granularity == ActivationGranularity::PerTensor) {
        quantizeRange(out.data(), out.data() + out.size(), minMaxGrid(out.data(), out.data() + out.size(), spec));
        return out;
    }
    for (std::int64_t r = 0; r < rows; ++r) {
        float* row = out.data() + r * cols;
        quantizeRange(row, row + cols, minMaxGrid(row, row + cols, spec));
    }
    return out;
}

namespace detail {

    std::int64_t mixedInt8Linear(const ConstMatrixRef& x, const Weight& weight,
        const ActivationQuantization& quantization, WeightLayout layout, MatrixRef out)
    {
        const Eigen::Index rows = x.rows(), in = x.cols();
        OPTISCOPE_CHECK(weight.shape.size() == 2
            && static_cast<std::int64_t>(quantization.outlierWeights.size()) == weight.elementCount());
        std::vector<Eigen::Index> outliers;
        RowMatrix rest = x;
        for (Eigen::Index j = 0; j < in; ++j) {
            bool outlier = false;
            for (Eigen::Index t = 0; t < rows && !outlier; ++t) {
                outlier = std::fabs(static_cast<double>(x(t, j))) > quantization.outlierThreshold;
            }
            if (outlier) {
                outliers.push_back(j);
                rest.col(j).setZero();
            }
        }
        // int8 per token over the non-outlier columns (the zeroed ones do not raise the absmax).
        ActivationQuantSpec int8;
        const QuantSpec spec = intSpec(int8);
        for (Eigen::Index t = 0; t < rows; ++t) {
            float* row = rest.data() + t * in;
            quantizeRange(row, row + in, minMaxGrid(row, row + in, spec));
        }
        const ConstMatrixMap w(weight.data, weight.shape[0], weight.shape[1]);
        gemm(rest, w, layout == WeightLayout::OutIn, out);
        if (!outliers.empty()) {
            const auto count = static_cast<Eigen::Index>(outliers.size());
            const Eigen::Index outFeatures = out.cols();
            const ConstMatrixMap w16(quantization.outlierWeights.data(), weight.shape[0], weight.shape[1]);
            RowMatrix xs(rows, count), ws(count, outFeatures), ys(rows, outFeatures);
            for (Eigen::Index c = 0; c < count; ++c) {
                xs.col(c) = x.col(outliers[c]);
                if (layout == WeightLayout::InOut) {
                    ws.row(c) = w16.row(outliers[c]);
                } else {
                    ws.row(c) = w16.col(outliers[c]).transpose();
                }
            }
            gemm(xs, ws, false, ys);
            out += ys;
        }
        return static_cast<std::int64_t>(outliers.size());
    }

} // namespace detail

MixedInt8Product llmInt8Matmul(std::span<const float> x, std::span<const float> w, std::int64_t rows, std::int64_t in,
    std::int64_t out, double threshold)
{
    OPTISCOPE_CHECK(static_cast<std::int64_t>(x.size()) == rows * in);
    OPTISCOPE_CHECK(static_cast<std::int64_t>(w.size()) == in * out);
    QuantSpec spec;
    spec.bits = 8;
    spec.granularity = QuantGranularity::PerChannel;
    const MatrixShape shape { out, in, true }; // [in × out] storage: input-major
    QuantizedTensor weights = quantizeDequantize(w, shape, spec);
    ActivationQuantization quantization;
    quantization.mixedInt8 = true;
    quantization.outlierThreshold = threshold;
    quantization.outlierWeights.resize(w.size());
    std::transform(w.begin(), w.end(), quantization.outlierWeights.begin(), roundToFp16);
    Weight weight;
    weight.shape = { in, out };
    weight.data = weights.values.data();
    MixedInt8Product product;
    product.y.resize(static_cast<std::size_t>(rows * out));
    detail::RowMatrix xm = detail::ConstMatrixMap(x.data(), rows, in);
    Eigen::Map<detail::RowMatrix> y(product.y.data(), rows, out);
    detail::mixedInt8Linear(xm, weight, quantization, detail::WeightLayout::InOut, y);
    for (std::int64_t j = 0; j < in; ++j) {
        for (std::int64_t t = 0; t < rows; ++t) {
            if (std::fabs(static_cast<double>(x[t * in + j])) > threshold) {
                product.outlierColumns.push_back(j);
                break;
            }
        }
    }
    return product;
}

} // namespace optiscope::core
