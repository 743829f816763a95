// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Applies recipes and evaluates them off the GUI thread, like Runner: one worker thread, a newer
// request supersedes (cancels) an older one, superseded results are dropped. The RecipeApplier
// (not thread-safe) is only touched by the single worker, so its step cache survives requests.
#include "optiscope/core/cancel.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/compression_metrics.h"

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QThreadPool>

#include <memory>
#include <optional>
#include <vector>

namespace optiscope::core {
class RecipeApplier;
}

namespace optiscope::gui {

struct CompressionSnapshot {
    std::shared_ptr<const core::CompressedModel> model;
    std::size_t steps = 0;
    std::size_t reusedSteps = 0; // taken from the applier's cache
    // Evaluation on the input tokens; empty with evaluationError set when not possible
    // (fewer than 2 tokens, not a language model, image input).
    std::optional<core::CompressionMetrics> baseline; // the identity model against the base
    std::optional<core::CompressionMetrics> current;
    QString evaluationError;
    double wallMs = 0;
};

class CompressionRunner : public QObject {
    Q_OBJECT
public:
    explicit CompressionRunner(QObject* parent = nullptr);
    ~CompressionRunner() override; // cancels and waits

    // A new base model drops the applier and its cache.
    void setBaseModel(std::shared_ptr<const core::Model> base);
    // recipeJson: the schema-1 document; tokens: what to evaluate on (may be empty); calibration:
    // the token sequences data-aware steps (Wanda, SparseGPT, head ablation) measure activations
    // on. A different calibration set starts a fresh applier (cached steps depend on it).
    void apply(const QByteArray& recipeJson, std::vector<std::int32_t> tokens,
        std::vector<std::vector<std::int32_t>> calibration = {});
    bool isBusy() const { return m_busy; }

signals:
    void busyChanged(bool busy);
    void finished(std::shared_ptr<const optiscope::gui::CompressionSnapshot> snapshot);
    void failed(const QString& message);

    // Worker → GUI thread, queued.
    void jobDone(std::uint64_t generation, std::shared_ptr<const optiscope::gui::CompressionSnapshot> snapshot);
    void jobFailed(std::uint64_t generation, const QString& message, bool wasCancelled);

private:
    struct Worker; // state owned by the worker thread
    void finishJob(std::uint64_t generation);

    QThreadPool m_pool;
    std::shared_ptr<Worker> m_worker;
    std::uint64_t m_generation = 0;
    std::shared_ptr<core::CancelToken> m_cancel;
    bool m_busy = false;
};

} // namespace optiscope::gui

Q_DECLARE_METATYPE(std::shared_ptr<const optiscope::gui::CompressionSnapshot>)
