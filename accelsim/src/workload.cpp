// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/accelsim/workload.h"
#include "text_util.h"

#include <limits>

namespace optiscope::accelsim {
namespace {
    // Keeps M*N*K and every cycle count of the stall-free model inside int64.
    constexpr std::int64_t kMaxDimension = std::int64_t { 1 } << 40;
    constexpr std::int64_t kMaxMacs = std::int64_t { 1 } << 60;

    Result<void> checkMacs(std::int64_t m, std::int64_t n, std::int64_t k, std::string_view where)
    {
        if (m > kMaxMacs / n || m * n > kMaxMacs / k) {
            return fail(ErrorCode::TooLarge, formatText("{}: M*N*K: {}*{}*{} exceeds 2^60 MACs", where, m, n, k));
        }
        return {};
    }
} // namespace

Result<Layer> layerFromGemm(std::string name, std::int64_t m, std::int64_t n, std::int64_t k, std::string_view where)
{
    for (const auto& [field, v] : { std::pair<std::string_view, std::int64_t> { "M", m }, { "N", n }, { "K", k } }) {
        if (v <= 0 || v > kMaxDimension) {
            return fail(ErrorCode::Shape, formatText("{}: {}: must be in [1, 2^40], got {}", where, field, v));
        }
    }
    if (auto ok = checkMacs(m, n, k, where); !ok) {
        return std::unexpected(ok.error());
    }
    Layer layer;
    layer.name = std::move(name);
    layer.m = m;
    layer.n = n;
    layer.k = k;
    return layer;
}

Result<Layer> layerFromConv(std::string name, const ConvShape& c, std::string_view where)
{
    struct Field {
        std::string_view name;
        std::int64_t value;
    };
    for (const Field& f : { Field { "IFMAP Height", c.ifmapHeight }, Field { "IFMAP Width", c.ifmapWidth },
             Field { "Filter Height", c.filterHeight }, Field { "Filter Width", c.filterWidth },
             Field { "Channels", c.channels }, Field { "Num Filter", c.numFilters },
             Field { "Stride Height", c.strideHeight }, Field { "Stride Width", c.strideWidth } }) {
        if (f.value <= 0 || f.value > kMaxDimension) {
            return fail(ErrorCode::Shape, formatText("{}: {}: must be in [1, 2^40], got {}", where, f.name, f.value));
        }
    }
    if (c.filterHeight > c.ifmapHeight) {
        return fail(ErrorCode::Shape,
            formatText("{}: Filter Height: {} is larger than IFMAP Height {}", where, c.filterHeight, c.ifmapHeight));
    }
    if (c.filterWidth > c.ifmapWidth) {
        return fail(ErrorCode::Shape,
            formatText("{}: Filter Width: {} is larger than IFMAP Width {}", where, c.filterWidth, c.ifmapWidth));
    }
    // Compare by division: each factor may be up to 2^40, so the products themselves can overflow int64
    // (found by fuzz_scalesim_csv: ofmap 112147483646 x 184273879035).
    const std::int64_t ofmapHeight = c.ofmapHeight();
    const std::int64_t ofmapWidth = c.ofmapWidth();
    if (ofmapHeight > kMaxDimension / ofmapWidth || c.filterHeight > kMaxDimension / c.filterWidth / c.channels) {
        return fail(ErrorCode::TooLarge, formatText("{}: layer dimensions exceed 2^40", where));
    }
    const std::int64_t m = ofmapHeight * ofmapWidth;
    auto layer = layerFromGemm(std::move(name), m, c.numFilters, c.filterHeight * c.filterWidth * c.channels, where);
    if (!layer) {
        return layer;
    }
    layer->conv = c;
    return layer;
}

Result<void> checkLayerData(const Layer& layer, std::string_view where)
{
    if (const GemmOperands* data = layer.operands.get()) {
        // Dimensions are <= 2^40 each but data that exists in memory is far smaller; compare without overflow.
        const auto fits = [](std::size_t size, std::int64_t rows, std::int64_t cols) {
            return rows <= std::numeric_limits<std::int64_t>::max() / cols
                && static_cast<std::uint64_t>(rows * cols) == size;
        };
        if (!fits(data->a.size(), layer.m, layer.k)) {
            return fail(ErrorCode::Input,
                formatText("{}: operands a: need M*K = {}*{} values, got {}", where, layer.m, layer.k, data->a.size()));
        }
        if (!fits(data->b.size(), layer.k, layer.n)) {
            return fail(ErrorCode::Input,
                formatText("{}: operands b: need K*N = {}*{} values, got {}", where, layer.k, layer.n, data->b.size()));
        }
    }
    if (const auto* counts = layer.filterColumnNonzeros.get()) {
        if (static_cast<std::int64_t>(counts->size()) != layer.n) {
            return fail(ErrorCode::Input,
                formatText("{}: filterColumnNonzeros: need N = {} counts, got {}", where, layer.n, counts->size()));
        }
        for (std::size_t c = 0; c < counts->size(); ++c) {
            if ((*counts)[c] < 0 || (*counts)[c] > layer.k) {
                return fail(ErrorCode::Input,
                    formatText("{}: filterColumnNonzeros[{}]: must be in [0, K = {}], got {}", where, c, layer.k,
                        (*counts)[c]));
            }
        }
    }
    return {};
}

Result<void> attachOperands(Layer& layer, std::vector<float> a, std::vector<float> b)
{
    Layer probe;
    probe.m = layer.m;
    probe.n = layer.n;
    probe.k = layer.k;
    probe.operands = std::make_shared<const GemmOperands>(GemmOperands { std::move(a), std::move(b) });
    if (auto ok = checkLayerData(probe, formatText("layer '{}'", layer.name)); !ok) {
        return ok;
    }
    layer.operands = std::move(probe.operands);
    return {};
}

std::vector<std::int64_t> columnNonzeros(const std::vector<float>& b, std::int64_t k, std::int64_t n)
{
    std::vector<std::int64_t> counts(static_cast<std::size_t>(n), 0);
    for (std::int64_t row = 0; row < k; ++row) {
        const float* values = b.data() + row * n;
        for (std::int64_t col = 0; col < n; ++col) {
            counts[static_cast<std::size_t>(col)] += values[col] != 0.0f ? 1 : 0;
        }
    }
    return counts;
}

Result<Workload> workloadFromOpTrace(const optrace::OpTrace& trace, std::string name)
{
    Workload workload;
    workload.name = std::move(name);
    workload.layers.reserve(trace.ops.size());
    for (std::size_t i = 0; i < trace.ops.size(); ++i) {
        const optrace::MatMulOp& op = trace.ops[i];
        const std::string where = formatText("{}: op {} '{}'", workload.name, i, op.name);
        auto layer = layerFromGemm(op.name, op.m, op.n, op.k, where);
        if (!layer) {
            return std::unexpected(layer.error());
        }
        if (op.aBits < 1 || op.aBits > 32 || op.bBits < 1 || op.bBits > 32) {
            return fail(ErrorCode::Input,
                formatText("{}: aBits/bBits: must be in [1, 32], got {}/{}", where, op.aBits, op.bBits));
        }
        if (op.nmN < 0 || op.nmM < 0 || op.nmN > op.nmM || !(op.bDensity >= 0 && op.bDensity <= 1)) {
            return fail(ErrorCode::Input,
                formatText("{}: sparsity: need 0 <= nmN <= nmM and 0 <= bDensity <= 1, got {}:{} density {}", where,
                    op.nmN, op.nmM, op.bDensity));
        }
        layer->ifmapBits = op.aBits;
        layer->filterBits = op.bBits;
        layer->nmN = op.nmN;
        layer->nmM = op.nmM;
        layer->filterDensity = op.bDensity;
        if (op.bColumnNonzeros) {
            layer->filterColumnNonzeros = op.bColumnNonzeros;
            if (auto ok = checkLayerData(*layer, where); !ok) {
                return std::unexpected(ok.error());
            }
        }
        workload.layers.push_back(std::move(*layer));
    }
    return workload;
}

} // namespace optiscope::accelsim
