// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Held-out evaluation off the GUI thread, like Runner: one worker thread, a newer request
// supersedes (cancels) an older one, superseded results are dropped. The numbers come from
// core::evaluate / the text probe with the CLI's data and defaults, so they equal
// `optiscope-cli eval` and `optiscope-cli probe`.
#include "background_jobs.h"

#include "optiscope/core/model.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <memory>
#include <vector>

namespace optiscope::gui {

struct EvaluationRow {
    QString model; // "base", "compressed", "USE Lite"
    QString metric; // "perplexity", "accuracy", "probe accuracy"
    QString data; // what it was measured on
    double value = 0;
    qint64 samples = 0; // predicted tokens, images, held-out sentences
    double seconds = 0;
};

struct EvaluationSnapshot {
    std::vector<EvaluationRow> rows;
    QString command; // the CLI command that reproduces the first row
};

class EvaluationRunner : public BackgroundJobs {
    Q_OBJECT
public:
    explicit EvaluationRunner(QObject* parent = nullptr);
    ~EvaluationRunner() override; // cancels and waits

    // The base model on its default data set; with `compressed`, that model too (one row each).
    void evaluateModel(std::shared_ptr<const core::Model> base, std::shared_ptr<const core::Model> compressed);
    // USE Lite's held-out sentiment-probe accuracy on every data file in sentimentFolder; with a
    // recipe file, the compressed encoder's too (one row per file and encoder).
    void evaluateUseLite(const QString& distFolder, const QString& sentimentFolder, const QString& recipeFile = {});

signals:
    void finished(std::shared_ptr<const optiscope::gui::EvaluationSnapshot> snapshot);

    // Worker → GUI thread, queued.
    void jobDone(std::uint64_t generation, std::shared_ptr<const optiscope::gui::EvaluationSnapshot> snapshot);
};

} // namespace optiscope::gui

Q_DECLARE_METATYPE(std::shared_ptr<const optiscope::gui::EvaluationSnapshot>)
