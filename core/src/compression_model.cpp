// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/compression/compressed_model.h"

#include "model_names.h"
#include "optiscope/core/check.h"

#include <algorithm>

namespace optiscope::core {

std::shared_ptr<const CompressedTensor> makeCompressedTensor(std::string name, const MatrixShape& matrix,
    std::vector<std::int64_t> shape, std::vector<float> values, Mask mask, std::optional<QuantParams> quant,
    NmPattern nm)
{
    OPTISCOPE_CHECK((nm.n == 0 && nm.m == 0) || (nm.n > 0 && nm.n < nm.m && !mask.empty()));
    OPTISCOPE_CHECK(static_cast<std::int64_t>(values.size()) == matrix.elementCount());
    OPTISCOPE_CHECK(mask.empty() || mask.size() == values.size());
    auto tensor = std::make_shared<CompressedTensor>();
    tensor->name = std::move(name);
    tensor->matrix = matrix;
    tensor->values = std::move(values);
    tensor->mask = std::move(mask);
    tensor->quant = std::move(quant);
    tensor->nmN = nm.n;
    tensor->nmM = nm.m;
    tensor->weight.shape = std::move(shape);
    tensor->weight.data = tensor->values.data();
    OPTISCOPE_CHECK(tensor->weight.elementCount() == matrix.elementCount());
    return tensor;
}

CompressedModel::CompressedModel(std::shared_ptr<const Model> base)
    : m_base(std::move(base))
{
    OPTISCOPE_CHECK(m_base != nullptr);
    const ModelConfig& config = m_base->config();
    const std::string prefix = detail::hfPrefix(config.architecture);
    const auto& infos = m_base->tensorInfos();
    const auto stored = [&](const std::string& canonical) -> std::string {
        for (const auto& candidate : { canonical, prefix + canonical }) {
            if (std::any_of(infos.begin(), infos.end(), [&](const TensorInfo& i) { return i.name == candidate; })) {
                return candidate;
            }
        }
        return {};
    };
    for (const auto& spec : detail::expectedTensors(config)) {
        const std::string target = stored(spec.tiedTo.empty() ? spec.name : spec.tiedTo);
        if (target.empty()) {
            continue; // optional and absent, or an untied head that is not stored
        }
        m_aliases[spec.name] = target;
        m_aliases[prefix + spec.name] = target;
    }
    for (const auto& info : infos) {
        m_aliases.emplace(info.name, info.name);
    }
}

std::string CompressedModel::storedName(const std::string& name) const
{
    auto it = m_aliases.find(name);
    return it == m_aliases.end() ? std::string() : it->second;
}

const CompressedTensor* CompressedModel::compressed(const std::string& name) const
{
    auto alias = m_aliases.find(name);
    if (alias == m_aliases.end()) {
        return nullptr;
    }
    auto it = m_tensors.find(alias->second);
    return it == m_tensors.end() ? nullptr : it->second.get();
}

WeightAnnotation CompressedModel::weightAnnotation(const std::string& name) const
{
    const CompressedTensor* tensor = compressed(name);
    if (!tensor) {
        return m_base->weightAnnotation(name);
    }
    WeightAnnotation annotation;
    annotation.bits = tensor->quant ? tensor->quant->spec.storedBits() : 32;
    annotation.nmN = tensor->nmN;
    annotation.nmM = tensor->nmM;
    const auto nonzeros
        = std::count_if(tensor->values.begin(), tensor->values.end(), [](float v) { return v != 0.0f; });
    annotation.density
        = tensor->values.empty() ? 1.0 : static_cast<double>(nonzeros) / static_cast<double>(tensor->values.size());
    return annotation;
}

const ActivationQuantization* CompressedModel::activationQuantization(const std::string& name) const
{
    auto alias = m_aliases.find(name);
    if (alias == m_aliases.end()) {
        return m_base->activationQuantization(name);
    }
    auto it = m_activations.find(alias->second);
    return it == m_activations.end() ? m_base->activationQuantization(name) : it->second.get();
}

std::shared_ptr<const CompressedModel> CompressedModel::withActivationQuantization(
    std::vector<std::pair<std::string, std::shared_ptr<const ActivationQuantization>>> activations,
    std::vector<std::shared_ptr<const CompressedTensor>> changed) const
{
    auto copy = std::const_pointer_cast<CompressedModel>(with(std::move(changed)));
    for (auto& [name, quantization] : activations) {
        OPTISCOPE_CHECK(quantization && m_aliases.contains(name));
        copy->m_activations[name] = std::move(quantization);
    }
    return copy;
}

const Weight* CompressedModel::weight(const std::string& name) const
{
    if (const CompressedTensor* tensor = compressed(name)) {
        return &tensor->weight;
    }
    return m_base->weight(name);
}

std::shared_ptr<const CompressedModel> CompressedModel::with(
    std::vector<std::shared_ptr<const CompressedTensor>> changed) const
{
    auto copy = std::make_shared<CompressedModel>(*this);
    for (auto& tensor : changed) {
        OPTISCOPE_CHECK(tensor && m_aliases.contains(tensor->name));
        copy->m_tensors[tensor->name] = std::move(tensor);
    }
    return copy;
}

std::shared_ptr<const CompressedModel> CompressedModel::withSkippedLayers(
    const std::vector<int>& layers, std::vector<std::shared_ptr<const CompressedTensor>> changed) const
{
    auto copy = std::const_pointer_cast<CompressedModel>(with(std::move(changed)));
    for (int layer : layers) {
        OPTISCOPE_CHECK(layer >= 0 && layer < config().layers);
        copy->m_skippedLayers.push_back(layer);
    }
    auto& skipped = copy->m_skippedLayers;
    std::sort(skipped.begin(), skipped.end());
    skipped.erase(std::unique(skipped.begin(), skipped.end()), skipped.end());
    return copy;
}

bool CompressedModel::layerSkipped(int layer) const
{
    return std::binary_search(m_skippedLayers.begin(), m_skippedLayers.end(), layer) || m_base->layerSkipped(layer);
}

Result<std::vector<std::string>> selectTensors(
    const Model& model, const RecipeStep& step, const std::string& file, std::size_t stepIndex)
{
    const std::string prefix = detail::hfPrefix(model.config().architecture);
    const auto matches = [&](const std::string& pattern, const std::string& name) {
        const std::string canonical = name.starts_with(prefix) ? name.substr(prefix.size()) : name;
        return globMatch(pattern, name) || globMatch(pattern, canonical);
    };
    std::vector<std::string> candidates;
    for (const auto& info : model.tensorInfos()) {
        if (info.shape.size() >= 2 && model.weight(info.name) != nullptr) {
            candidates.push_back(info.name);
        }
    }
    const std::string where = file + ": steps[" + std::to_string(stepIndex) + "].";
    for (std::size_t i = 0; i < step.targets.size(); ++i) {
        const bool any = std::any_of(candidates.begin(), candidates.end(),
            [&](const std::string& name) { return matches(step.targets[i], name); });
        if (!any) {
            return fail(ErrorCode::Config,
                where + "targets[" + std::to_string(i) + "]: '" + step.targets[i] + "' matches no weight matrix");
        }
    }
    std::vector<std::string> selected;
    for (const auto& name : candidates) {
        const auto hit = [&](const std::vector<std::string>& patterns) {
            return std::any_of(
                patterns.begin(), patterns.end(), [&](const std::string& pattern) { return matches(pattern, name); });
        };
        if (hit(step.targets) && !hit(step.exclude)) {
            selected.push_back(name);
        }
    }
    if (selected.empty()) {
        return fail(ErrorCode::Config, where + "exclude: removes every tensor the targets select");
    }
    return selected;
}

CompressionReport compressionReport(const CompressedModel& model)
{
    CompressionReport report;
    for (const auto& [name, tensor] : model.compressedTensors()) {
        TensorReport row;
        row.name = name;
        row.elements = tensor->matrix.elementCount();
        row.kept = tensor->mask.empty() ? row.elements : countKept(tensor->mask);
        row.nonzeros = std::count_if(tensor->values.begin(), tensor->values.end(), [](float v) { return v != 0.0f; });
        row.sparsity = row.elements ? 1.0 - static_cast<double>(row.kept) / row.elements : 0.0;
        row.storedBits = tensor->quant ? tensor->quant->spec.storedBits() : 32;
        row.format = tensor->quant ? numberFormatName(tensor->quant->spec.format) : "fp32";
        const Weight* base = model.base()->weight(name);
        OPTISCOPE_CHECK(base != nullptr && base->elementCount() == row.elements);
        const auto error
            = quantError(std::span<const float>(base->data, static_cast<std::size_t>(row.elements)), tensor->values);
        row.mse = error.mse;
        row.maxAbsError = error.maxAbsError;
        row.sqnrDb = error.sqnrDb;
        row.bitsPerElement = tensor->quant && row.elements > 0 ? tensor->quant->bitsPerElement(row.elements) : 32.0;
        row.outliers = tensor->quant ? static_cast<std::int64_t>(tensor->quant->outlierOffsets.size()) : 0;
        if (const ActivationQuantization* activation = model.activationQuantization(name)) {
            row.activationBits = activation->spec.bits;
        }
        report.elements += row.elements;
        report.kept += row.kept;
        report.nonzeros += row.nonzeros;
        report.tensors.push_back(std::move(row));
    }
    return report;
}

} // namespace optiscope::core
