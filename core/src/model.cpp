// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "optiscope/core/model.h"

#include "model_names.h"
#include "optiscope/core/check.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <deque>
#include <unordered_map>

namespace optiscope::core {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

std::int64_t Weight::elementCount() const
{
    std::int64_t count = 1;
    for (auto dim : shape) {
        count *= dim;
    }
    return count;
}

namespace {

    std::string shapeText(const std::vector<std::int64_t>& shape)
    {
        std::string text = "[";
        for (std::size_t i = 0; i < shape.size(); ++i) {
            text += (i ? ", " : "") + std::to_string(shape[i]);
        }
        return text + "]";
    }

    class LoadedModel final : public Model {
    public:
        const ModelConfig& config() const override { return m_config; }
        const std::filesystem::path& folder() const override { return m_folder; }
        const Tokenizer* tokenizer() const override { return m_tokenizer.get(); }
        const std::vector<TensorInfo>& tensorInfos() const override { return m_infos; }
        std::int64_t parameterCount() const override { return m_parameters; }

        const Weight* weight(const std::string& name) const override
        {
            if (auto it = m_weights.find(name); it != m_weights.end()) {
                return &it->second;
            }
            const std::string prefix = detail::hfPrefix(m_config.architecture);
            if (name.starts_with(prefix)) {
                if (auto it = m_weights.find(name.substr(prefix.size())); it != m_weights.end()) {
                    return &it->second;
                }
            }
            return nullptr;
        }

        ModelConfig m_config;
        std::filesystem::path m_folder;
        std::unique_ptr<Tokenizer> m_tokenizer;
        std::vector<TensorInfo> m_infos;
        std::int64_t m_parameters = 0;
        // Keys are canonical names (without the HF class prefix); tied heads appear as aliases.
        std::unordered_map<std::string, Weight> m_weights;
        std::unique_ptr<Checkpoint> m_checkpoint; // keeps the mappings behind zero-copy weights
        std::deque<std::vector<float>> m_converted; // owned float32 copies (F16/BF16, unaligned F32)
    };

    bool hasTokenizerFiles(const std::filesystem::path& folder)
    {
        std::error_code ec;
        for (const char* name : { "tokenizer.json", "vocab.json", "merges.txt", "vocab.txt" }) {
            if (std::filesystem::exists(folder / name, ec)) {
                return true;
            }
        }
        return false;
    }

    // Which file to name in tensor errors.
    std::string checkpointLabel(const std::filesystem::path& folder)
    {
        std::error_code ec;
        if (std::filesystem::exists(folder / "model.safetensors", ec)) {
            return "model.safetensors";
        }
        return "model.safetensors.index.json";
    }

    Result<std::shared_ptr<const Model>> load(
        const std::filesystem::path& folder, const CancelToken* cancel, const ProgressCallback& progress);

} // namespace

Result<std::shared_ptr<const Model>> loadModel(
    const std::filesystem::path& folder, const CancelToken* cancel, const ProgressCallback& progress)
{
    try {
        return load(folder, cancel, progress);
    } catch (const std::bad_alloc&) {
        return fail(ErrorCode::Internal, folder.filename().string() + ": out of memory while loading");
    }
}

namespace {

    Result<std::shared_ptr<const Model>> load(
        const std::filesystem::path& folder, const CancelToken* cancel, const ProgressCallback& progress)
    {
        auto model = std::make_shared<LoadedModel>();
        model->m_folder = folder;

        auto config = loadModelConfig(folder / "config.json");
        if (!config) {
            return std::unexpected(config.error());
        }
        model->m_config = std::move(*config);
        const ModelConfig& c = model->m_config;

        auto checkpoint = Checkpoint::open(folder);
        if (!checkpoint) {
            return std::unexpected(checkpoint.error());
        }
        model->m_checkpoint = std::make_unique<Checkpoint>(std::move(*checkpoint));
        const Checkpoint& ckpt = *model->m_checkpoint;

        for (const TensorView* view : ckpt.tensors()) {
            const auto bytes = static_cast<std::int64_t>(view->bytes.size());
            model->m_infos.push_back(TensorInfo { view->name, view->dtype, view->shape, bytes });
            model->m_parameters += view->elementCount();
        }

        const std::string file = checkpointLabel(folder);
        const std::string prefix = detail::hfPrefix(c.architecture);
        const auto required = detail::expectedTensors(c);
        bool prefixed = false;
        for (const auto& info : model->m_infos) {
            prefixed = prefixed || info.name.starts_with(prefix);
        }
        for (std::size_t index = 0; index < required.size(); ++index) {
            if (cancel && cancel->isCancelled()) {
                return fail(ErrorCode::Cancelled, "loadModel: cancelled");
            }
            const auto& spec = required[index];
            if (!spec.tiedTo.empty()) {
                continue; // resolved below, once every stored tensor is in
            }
            const TensorView* view = ckpt.find(spec.name);
            if (!view) {
                view = ckpt.find(prefix + spec.name);
            }
            if (!view) {
                if (spec.optional) {
                    continue;
                }
                // Name it as this file would: with the class prefix if the file uses one, except for
                // the head tensors HF keeps outside the base model.
                const bool topLevel = spec.name.starts_with("lm_head.") || spec.name.starts_with("cls.")
                    || spec.name.starts_with("classifier.");
                return fail(ErrorCode::Shape,
                    file + ": tensor '" + (prefixed && !topLevel ? prefix : std::string()) + spec.name + "' missing");
            }
            if (view->shape != spec.shape) {
                return fail(ErrorCode::Shape,
                    file + ": tensor '" + view->name + "' shape " + shapeText(view->shape) + " expected "
                        + shapeText(spec.shape));
            }
            if (view->dtype != DType::F32 && view->dtype != DType::F16 && view->dtype != DType::BF16) {
                return fail(ErrorCode::Format,
                    file + ": tensor '" + view->name + "' has dtype " + dtypeName(view->dtype)
                        + ", expected F32, F16 or BF16");
            }
            Weight weight;
            weight.shape = view->shape;
            const auto address = reinterpret_cast<std::uintptr_t>(view->bytes.data());
            if (view->dtype == DType::F32 && address % alignof(float) == 0) {
                weight.data = reinterpret_cast<const float*>(view->bytes.data());
            } else {
                model->m_converted.push_back(toFloat32(*view));
                OPTISCOPE_CHECK(static_cast<std::int64_t>(model->m_converted.back().size()) == view->elementCount());
                weight.data = model->m_converted.back().data();
            }
            // A NaN or Inf weight poisons every logit downstream; refuse it here, where the tensor can be named.
            const std::int64_t count = view->elementCount();
            for (std::int64_t i = 0; i < count; ++i) {
                if (!std::isfinite(weight.data[i])) {
                    return fail(ErrorCode::Format,
                        file + ": tensor '" + view->name + "' element " + std::to_string(i) + " is "
                            + (std::isnan(weight.data[i]) ? "NaN" : "infinite"));
                }
            }
            model->m_weights.emplace(spec.name, std::move(weight));
            if (progress) {
                progress(static_cast<double>(index + 1) / static_cast<double>(required.size()));
            }
        }
        for (const auto& spec : required) {
            if (spec.tiedTo.empty()) {
                continue;
            }
            auto tied = model->m_weights.find(spec.tiedTo);
            OPTISCOPE_CHECK(tied != model->m_weights.end());
            OPTISCOPE_CHECK(tied->second.shape == spec.shape);
            model->m_weights.emplace(spec.name, tied->second);
        }

        if (hasTokenizerFiles(folder)) {
            auto tokenizer = loadTokenizer(folder);
            if (!tokenizer) {
                return std::unexpected(tokenizer.error());
            }
            model->m_tokenizer = std::move(*tokenizer);
        }
        return std::shared_ptr<const Model>(std::move(model));
    }

} // namespace

} // namespace optiscope::core
