// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "evaluation_runner.h"

#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/evaluate.h"
#include "optiscope/core/text_probe.h"
#include "optiscope/core/use_lite_model.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include <chrono>
#include <exception>

namespace optiscope::gui {

namespace {
    using Clock = std::chrono::steady_clock;

    double secondsSince(Clock::time_point start)
    {
        return std::chrono::duration<double>(Clock::now() - start).count();
    }

    // Where the CLI looks for named data sets (cli_eval.cpp): above the working directory and
    // above the executable.
    std::vector<std::filesystem::path> dataSearchRoots()
    {
        return { std::filesystem::path(QDir::currentPath().toStdString()),
            std::filesystem::path(QCoreApplication::applicationDirPath().toStdString()) };
    }

    QString fromStd(const std::string& text) { return QString::fromStdString(text); }
} // namespace

EvaluationRunner::EvaluationRunner(QObject* parent)
    : BackgroundJobs(parent)
{
    qRegisterMetaType<std::shared_ptr<const EvaluationSnapshot>>();
    connect(
        this, &EvaluationRunner::jobDone, this,
        [this](std::uint64_t generation, std::shared_ptr<const EvaluationSnapshot> snapshot) {
            if (finishJob(generation)) {
                emit finished(snapshot);
            }
        },
        Qt::QueuedConnection);
}

EvaluationRunner::~EvaluationRunner() { stopWorker(); }

void EvaluationRunner::evaluateModel(std::shared_ptr<const core::Model> base, std::shared_ptr<const core::Model> compressed)
{
    const std::uint64_t generation = startJob(tr("Evaluating\u2026"), 0);
    auto cancel = cancelToken();
    pool().start([this, generation, cancel, base, compressed] {
        try {
            auto task = core::evalTaskFor(*base);
            if (!task) {
                emit jobFailed(generation, fromStd(task.error().message), false);
                return;
            }
            const std::string dataName = core::defaultEvalDataName(*task);
            auto data = core::loadEvalData(*base, dataName, dataSearchRoots());
            if (!data) {
                emit jobFailed(generation, fromStd(data.error().message), false);
                return;
            }
            auto snapshot = std::make_shared<EvaluationSnapshot>();
            snapshot->command = QStringLiteral("optiscope-cli eval %1 --data %2")
                                    .arg(QString::fromStdString(base->folder().string()), fromStd(dataName));
            const std::vector<std::pair<QString, std::shared_ptr<const core::Model>>> models = compressed
                ? std::vector<std::pair<QString, std::shared_ptr<const core::Model>>> { { tr("base"), base },
                      { tr("compressed"), compressed } }
                : std::vector<std::pair<QString, std::shared_ptr<const core::Model>>> { { tr("base"), base } };
            for (std::size_t m = 0; m < models.size(); ++m) {
                const double share = 1.0 / static_cast<double>(models.size());
                auto progress = [this, generation, m, share](double fraction) {
                    emit jobProgress(generation, (static_cast<double>(m) + fraction) * share);
                };
                auto result = core::evaluate(*models[m].second, nullptr, *data, {}, progress, cancel.get());
                if (!result) {
                    emit jobFailed(generation, fromStd(result.error().message),
                        result.error().code == core::ErrorCode::Cancelled);
                    return;
                }
                EvaluationRow row;
                row.model = models[m].first;
                row.metric = result->task == core::EvalTask::Perplexity ? tr("perplexity") : tr("accuracy");
                row.data = fromStd(result->dataName);
                row.value = result->model.value;
                row.samples = result->samples;
                row.seconds = result->seconds;
                snapshot->rows.push_back(row);
            }
            emit jobDone(generation, std::move(snapshot));
        } catch (const std::exception& error) {
            emit jobFailed(generation, tr("internal error while evaluating: %1").arg(error.what()), false);
        }
    });
}

void EvaluationRunner::evaluateUseLite(const QString& distFolder, const QString& sentimentFolder, const QString& recipeFile)
{
    const std::uint64_t generation = startJob(tr("Evaluating USE Lite\u2026"), 0);
    auto cancel = cancelToken();
    pool().start([this, generation, cancel, distFolder, sentimentFolder, recipeFile] {
        try {
            const auto start = Clock::now();
            const QStringList files = QDir(sentimentFolder).entryList({ QStringLiteral("*.json") }, QDir::Files, QDir::Name);
            if (files.isEmpty()) {
                emit jobFailed(generation,
                    tr("%1: no sentiment data; run scripts/fetch_sentiment.sh").arg(QDir::toNativeSeparators(sentimentFolder)),
                    false);
                return;
            }
            auto model = core::UseLiteModel::load(distFolder.toStdString());
            if (!model) {
                emit jobFailed(generation, fromStd(model.error().message), false);
                return;
            }
            // The encoders to score: the base one and, with a recipe, the compressed one.
            std::vector<std::pair<QString, std::shared_ptr<const core::UseLiteModel>>> encoders {
                { QStringLiteral("USE Lite"), std::make_shared<const core::UseLiteModel>(std::move(*model)) }
            };
            if (!recipeFile.isEmpty()) {
                auto recipe = core::loadRecipe(recipeFile.toStdString());
                if (!recipe) {
                    emit jobFailed(generation, fromStd(recipe.error().message), false);
                    return;
                }
                auto compressed = encoders.front().second->compressed(*recipe);
                if (!compressed) {
                    emit jobFailed(generation, fromStd(compressed.error().message), false);
                    return;
                }
                encoders.emplace_back(tr("USE Lite compressed"), std::make_shared<const core::UseLiteModel>(std::move(*compressed)));
            }
            auto snapshot = std::make_shared<EvaluationSnapshot>();
            snapshot->command = QStringLiteral("optiscope-cli probe %1 --data %2%3")
                                    .arg(distFolder, sentimentFolder,
                                        recipeFile.isEmpty() ? QString() : QStringLiteral(" --recipe ") + recipeFile);
            double loadSeconds = secondsSince(start);
            const int jobs = static_cast<int>(files.size() * encoders.size());
            for (int job = 0; job < jobs; ++job) {
                const int f = job / static_cast<int>(encoders.size());
                const auto& [encoderName, encoder] = encoders[static_cast<std::size_t>(job) % encoders.size()];
                const auto fileStart = Clock::now();
                const QString path = sentimentFolder + QLatin1Char('/') + files[f];
                auto texts = core::loadLabelledTexts(path.toStdString());
                if (!texts) {
                    emit jobFailed(generation, fromStd(texts.error().message), false);
                    return;
                }
                auto progress = [this, generation, job, jobs](double fraction) {
                    emit jobProgress(generation, (job + fraction) / jobs);
                };
                auto embeddings = core::embedTexts(*encoder, texts->items, progress, cancel.get());
                if (!embeddings) {
                    emit jobFailed(generation, files[f] + QStringLiteral(": ") + fromStd(embeddings.error().message),
                        embeddings.error().code == core::ErrorCode::Cancelled);
                    return;
                }
                // The CLI's defaults (ProbeOptions): l2 1e-3, 80 % train, seed 20240601.
                auto probe = core::runTextProbe(*embeddings, encoder->embeddingSize(), texts->items, {});
                if (!probe) {
                    emit jobFailed(generation, files[f] + QStringLiteral(": ") + fromStd(probe.error().message), false);
                    return;
                }
                EvaluationRow row;
                row.model = encoderName;
                row.metric = tr("probe accuracy");
                row.data = files[f];
                row.value = probe->testAccuracy;
                row.samples = probe->testCount;
                row.seconds = secondsSince(fileStart) + loadSeconds;
                loadSeconds = 0; // counted once, in the first row
                snapshot->rows.push_back(row);
            }
            emit jobDone(generation, std::move(snapshot));
        } catch (const std::exception& error) {
            emit jobFailed(generation, tr("internal error while evaluating: %1").arg(error.what()), false);
        }
    });
}

} // namespace optiscope::gui
