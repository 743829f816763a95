// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "compression_runner.h"

#include "optiscope/core/compression/recipe_applier.h"

#include <chrono>
#include <exception>

namespace optiscope::gui {

struct CompressionRunner::Worker {
    std::shared_ptr<const core::Model> base;
    std::unique_ptr<core::RecipeApplier> applier;
    std::vector<std::vector<std::int32_t>> calibration; // the applier's
    // The identity model's metrics depend only on the tokens: kept so undo/redo only evaluate once.
    std::vector<std::int32_t> baselineTokens;
    std::optional<core::CompressionMetrics> baseline;
};

CompressionRunner::CompressionRunner(QObject* parent)
    : QObject(parent)
{
    qRegisterMetaType<std::shared_ptr<const CompressionSnapshot>>();
    qRegisterMetaType<std::uint64_t>("std::uint64_t");
    m_pool.setMaxThreadCount(1);
    connect(
        this, &CompressionRunner::jobDone, this,
        [this](std::uint64_t generation, std::shared_ptr<const CompressionSnapshot> snapshot) {
            if (generation == m_generation) {
                finishJob(generation);
                emit finished(snapshot);
            }
        },
        Qt::QueuedConnection);
    connect(
        this, &CompressionRunner::jobFailed, this,
        [this](std::uint64_t generation, const QString& message, bool wasCancelled) {
            if (generation == m_generation) {
                finishJob(generation);
                if (!wasCancelled) {
                    emit failed(message);
                }
            }
        },
        Qt::QueuedConnection);
}

CompressionRunner::~CompressionRunner()
{
    if (m_cancel) {
        m_cancel->cancel();
    }
    m_pool.waitForDone();
}

void CompressionRunner::setBaseModel(std::shared_ptr<const core::Model> base)
{
    if (m_cancel) {
        m_cancel->cancel();
    }
    ++m_generation;
    finishJob(m_generation);
    // A fresh worker state; a job still running keeps the old one alive through its capture.
    m_worker = std::make_shared<Worker>();
    m_worker->base = std::move(base);
}

void CompressionRunner::finishJob(std::uint64_t generation)
{
    if (generation == m_generation && m_busy) {
        m_busy = false;
        emit busyChanged(false);
    }
}

void CompressionRunner::apply(const QByteArray& recipeJson, std::vector<std::int32_t> tokens,
    std::vector<std::vector<std::int32_t>> calibration)
{
    if (m_cancel) {
        m_cancel->cancel();
    }
    m_cancel = std::make_shared<core::CancelToken>();
    const std::uint64_t generation = ++m_generation;
    if (!m_worker || !m_worker->base) {
        emit jobFailed(generation, tr("No model is loaded: open a model folder first (File \u25b8 Open)."), false);
        return;
    }
    if (!m_busy) {
        m_busy = true;
        emit busyChanged(true);
    }
    auto worker = m_worker;
    auto cancel = m_cancel;
    m_pool.start([this, generation, worker, cancel, json = recipeJson.toStdString(), tokens = std::move(tokens),
                     calibration = std::move(calibration)] {
        try {
            if (cancel->isCancelled()) {
                emit jobFailed(generation, {}, true);
                return;
            }
            const auto start = std::chrono::steady_clock::now();
            auto recipe = core::parseRecipe(json, "recipe");
            if (!recipe) {
                emit jobFailed(generation, QString::fromStdString(recipe.error().message), false);
                return;
            }
            if (!worker->applier || worker->calibration != calibration) {
                worker->applier = std::make_unique<core::RecipeApplier>(
                    worker->base, core::CalibrationData { .sequences = calibration });
                worker->calibration = calibration;
            }
            auto model = worker->applier->apply(*recipe);
            if (!model) {
                emit jobFailed(generation, QString::fromStdString(model.error().message), false);
                return;
            }
            auto snapshot = std::make_shared<CompressionSnapshot>();
            snapshot->model = *model;
            snapshot->steps = recipe->steps.size();
            snapshot->reusedSteps = worker->applier->lastReusedSteps();
            if (tokens.size() < 2) {
                snapshot->evaluationError = tr("Metrics need at least 2 input tokens.");
            } else {
                if (!worker->baseline || worker->baselineTokens != tokens) {
                    worker->baseline.reset();
                    const core::CompressedModel identity(worker->base);
                    auto baseline = core::evaluateCompression(identity, tokens, cancel.get());
                    if (baseline) {
                        worker->baseline = *baseline;
                        worker->baselineTokens = tokens;
                    } else if (baseline.error().code == core::ErrorCode::Cancelled) {
                        emit jobFailed(generation, {}, true);
                        return;
                    } else {
                        snapshot->evaluationError = QString::fromStdString(baseline.error().message);
                    }
                }
                if (worker->baseline) {
                    auto current = core::evaluateCompression(**model, tokens, cancel.get());
                    if (!current) {
                        const bool wasCancelled = current.error().code == core::ErrorCode::Cancelled;
                        emit jobFailed(generation, QString::fromStdString(current.error().message), wasCancelled);
                        return;
                    }
                    snapshot->baseline = worker->baseline;
                    snapshot->current = *current;
                }
            }
            snapshot->wallMs
                = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
            emit jobDone(generation, std::move(snapshot));
        } catch (const std::exception& error) {
            emit jobFailed(generation, tr("internal error while compressing: %1").arg(error.what()), false);
        }
    });
}

} // namespace optiscope::gui
