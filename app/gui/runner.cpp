// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "runner.h"

#include <chrono>
#include <exception>
#include <filesystem>
#include <system_error>

namespace optiscope::gui {
namespace {
    using Clock = std::chrono::steady_clock;

    double msSince(Clock::time_point start)
    {
        return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    }

    std::filesystem::path toPath(const QString& path)
    {
        return std::filesystem::path(path.toStdString());
    }

    std::int64_t weightFileBytes(const std::filesystem::path& folder)
    {
        std::int64_t total = 0;
        std::error_code error;
        for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
            if (entry.path().extension() == ".safetensors" && entry.is_regular_file(error)) {
                total += static_cast<std::int64_t>(entry.file_size(error));
            }
        }
        return total;
    }

    QStringList tokenLabels(const core::Model& model, const std::vector<std::int32_t>& ids, int tokens)
    {
        QStringList labels;
        const core::ModelConfig& config = model.config();
        if (config.architecture == core::Architecture::Vit) {
            const int perRow = config.patchSize > 0 ? config.imageSize / config.patchSize : 1;
            labels << QStringLiteral("[CLS]");
            for (int i = 1; i < tokens; ++i) {
                labels << QStringLiteral("p%1,%2").arg((i - 1) / perRow).arg((i - 1) % perRow);
            }
            return labels;
        }
        const core::Tokenizer* tokenizer = model.tokenizer();
        for (int i = 0; i < tokens; ++i) {
            const std::int32_t id = i < static_cast<int>(ids.size()) ? ids[static_cast<std::size_t>(i)] : -1;
            labels << (tokenizer && id >= 0 ? QString::fromStdString(tokenizer->tokenLabel(id))
                                            : QStringLiteral("#%1").arg(id));
        }
        return labels;
    }

    core::Result<core::RunInput> prepareInput(const ModelSnapshot& snapshot, const RunRequest& request)
    {
        const core::Model& model = *snapshot.model;
        switch (request.kind) {
        case RunRequest::Kind::Text:
            return core::textInput(model, request.text.toStdString());
        case RunRequest::Kind::TokenIds:
            return core::idsInput(model, request.tokenIds);
        case RunRequest::Kind::Image: {
            auto normalization = core::loadImageNormalization(toPath(snapshot.folder));
            if (!normalization) {
                return std::unexpected(normalization.error());
            }
            auto pixels = core::imageToPixels(request.image, model.config(), *normalization, request.imageName.toStdString());
            if (!pixels) {
                return std::unexpected(pixels.error());
            }
            core::RunInput input;
            input.pixels = std::move(*pixels);
            return input;
        }
        }
        return core::fail(core::ErrorCode::Internal, "unknown request kind");
    }
}

Runner::Runner(QObject* parent)
    : BackgroundJobs(parent)
{
    qRegisterMetaType<std::shared_ptr<const RunSnapshot>>();
    qRegisterMetaType<std::shared_ptr<const ModelSnapshot>>();
    connect(
        this, &Runner::jobLoaded, this,
        [this](std::uint64_t generation, std::shared_ptr<const ModelSnapshot> model) {
            if (finishJob(generation)) {
                m_model = model;
                m_runModel.reset();
                emit modelLoaded(model);
            }
        },
        Qt::QueuedConnection);
    connect(
        this, &Runner::jobRan, this,
        [this](std::uint64_t generation, std::shared_ptr<const RunSnapshot> snapshot) {
            if (finishJob(generation)) {
                emit runFinished(snapshot);
            }
        },
        Qt::QueuedConnection);
}

Runner::~Runner() { stopWorker(); }

void Runner::loadModel(const QString& folder)
{
    const std::uint64_t generation = startJob(tr("Loading %1\u2026").arg(folder), -1);
    m_loading = true;
    auto cancel = cancelToken();
    pool().start([this, generation, cancel, folder] {
        try {
            const auto start = Clock::now();
            auto progress = [this, generation](double fraction) { emit jobProgress(generation, fraction); };
            auto model = core::loadModel(toPath(folder), cancel.get(), progress);
            if (!model) {
                emit jobFailed(generation, QString::fromStdString(model.error().message),
                    model.error().code == core::ErrorCode::Cancelled);
                return;
            }
            auto snapshot = std::make_shared<ModelSnapshot>();
            snapshot->model = std::move(*model);
            snapshot->folder = folder;
            snapshot->fileBytes = weightFileBytes(toPath(folder));
            snapshot->loadMs = msSince(start);
            emit jobLoaded(generation, std::move(snapshot));
        } catch (const std::exception& error) {
            emit jobFailed(generation, tr("internal error while loading: %1").arg(error.what()), false);
        }
    });
}

void Runner::run(RunRequest request)
{
    m_loading = false; // before startJob announces the job
    const std::uint64_t generation = startJob(tr("Running\u2026"), -1);
    auto model = m_model;
    if (!model) {
        emit jobFailed(generation, tr("No model is loaded: open a model folder first (File \u25b8 Open)."), false);
        return;
    }
    if (m_runModel) {
        auto replaced = std::make_shared<ModelSnapshot>(*model);
        replaced->model = m_runModel;
        model = std::move(replaced);
    }
    auto cancel = cancelToken();
    // A compressed run model is compared with the loaded one on the same input (before/after views).
    std::shared_ptr<const core::Model> baseline = m_runModel && m_model ? m_model->model : nullptr;
    pool().start([this, generation, cancel, model, baseline, request = std::move(request)] {
        try {
            const auto start = Clock::now();
            auto input = prepareInput(*model, request);
            if (!input) {
                emit jobFailed(generation, QString::fromStdString(input.error().message), false);
                return;
            }
            core::CaptureOptions capture;
            capture.attention = true;
            capture.opTrace = true; // the accelerator simulates the run's matrix products
            capture.linearInputs = true; // the Weights dock's activation histograms
            auto result = core::run(*model->model, *input, capture, cancel.get());
            if (!result) {
                emit jobFailed(generation, QString::fromStdString(result.error().message),
                    result.error().code == core::ErrorCode::Cancelled || cancel->isCancelled());
                return;
            }
            auto snapshot = std::make_shared<RunSnapshot>();
            snapshot->generation = generation;
            snapshot->model = model->model;
            snapshot->tokenIds = input->tokenIds;
            auto attention = std::make_shared<widgets::AttentionData>();
            attention->layers = result->layers;
            attention->heads = result->heads;
            attention->tokens = result->tokens;
            attention->values = result->attentions;
            attention->tokenLabels = tokenLabels(*model->model, input->tokenIds, result->tokens);
            attention->keptTokens = result->keptTokens;
            if (baseline && baseline != model->model) {
                auto before = core::run(*baseline, *input, capture, cancel.get());
                if (!before) {
                    emit jobFailed(generation, QString::fromStdString(before.error().message),
                        before.error().code == core::ErrorCode::Cancelled || cancel->isCancelled());
                    return;
                }
                auto baselineAttention = std::make_shared<widgets::AttentionData>(*attention);
                baselineAttention->values = std::move(before->attentions);
                baselineAttention->keptTokens = std::move(before->keptTokens);
                snapshot->baselineAttention = std::move(baselineAttention);
                snapshot->baselineOpTrace = std::move(before->opTrace);
            }
            snapshot->attention = std::move(attention);
            snapshot->result = std::move(*result);
            snapshot->wallMs = msSince(start);
            emit jobRan(generation, std::move(snapshot));
        } catch (const std::exception& error) {
            emit jobFailed(generation, tr("internal error while running: %1").arg(error.what()), false);
        }
    });
}

} // namespace optiscope::gui
