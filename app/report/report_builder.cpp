// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "report_builder.h"

#include "report_sweep.h"

#include "optiscope/accelsim/config_json.h"
#include "optiscope/accelsim/scalesim_io.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/inference.h"
#include "optiscope/core/model.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>
#include <chrono>
#include <exception>

namespace optiscope::report {

namespace {

    std::unexpected<ReportError> failed(const QString& message) { return std::unexpected(ReportError { message }); }
    std::unexpected<ReportError> failed(const std::string& message) { return failed(QString::fromStdString(message)); }
    std::unexpected<ReportError> failed(const core::Error& error)
    {
        return std::unexpected(
            ReportError { QString::fromStdString(error.message), error.code == core::ErrorCode::Cancelled });
    }

    QJsonArray currentSteps(const gui::SessionState& session)
    {
        QJsonArray steps;
        if (session.recipeIndex >= 0 && session.recipeIndex < session.recipeHistory.size()) {
            for (const QJsonObject& step : session.recipeHistory[session.recipeIndex]) {
                steps.append(step);
            }
        }
        return steps;
    }

    bool stepNeedsCalibration(const QJsonObject& step)
    {
        const QString saliency = step.value(QStringLiteral("saliency")).toString();
        return saliency == QLatin1String("wanda") || saliency == QLatin1String("sparsegpt")
            || saliency == QLatin1String("ablation");
    }

    // The --quant spec of the scan: the recipe's last quantize step without its selection fields.
    std::optional<QJsonObject> sensitivitySpec(const QJsonArray& steps, bool force)
    {
        std::optional<QJsonObject> spec;
        for (const QJsonValue& value : steps) {
            QJsonObject step = value.toObject();
            if (step.value(QStringLiteral("type")).toString() == QLatin1String("quantize")) {
                for (const char* key : { "type", "targets", "exclude", "comment" }) {
                    step.remove(QLatin1String(key));
                }
                spec = step;
            }
        }
        if (!spec && force) {
            spec = QJsonObject { { QStringLiteral("bits"), 8 }, { QStringLiteral("granularity"), QStringLiteral("per_channel") } };
        }
        return spec;
    }

    std::vector<float> headAttention(const core::RunResult& run, int layer, int head)
    {
        const auto t = static_cast<std::size_t>(run.tokens);
        std::vector<float> matrix(t * t, 0.0f);
        if (run.attentions.empty()) {
            return matrix;
        }
        for (std::size_t q = 0; q < t; ++q) {
            for (std::size_t k = 0; k < t; ++k) {
                matrix[q * t + k] = run.attention(layer, head, static_cast<int>(q), static_cast<int>(k));
            }
        }
        return matrix;
    }

    // Masks worth a thumbnail: the session's selected tensor first, then one of each kind in layer 0.
    std::vector<MaskThumbnail> maskThumbnails(const core::CompressedModel& model, const QString& preferred)
    {
        constexpr int kCorner = 64; // elements per side: enough to see 2:4 groups and blocks at 2 px each
        constexpr std::size_t kMaxThumbnails = 4;
        std::vector<const core::CompressedTensor*> chosen;
        if (const core::CompressedTensor* tensor = model.compressed(preferred.toStdString());
            tensor && !tensor->mask.empty()) {
            chosen.push_back(tensor);
        }
        for (const auto& [name, tensor] : model.compressedTensors()) {
            if (chosen.size() >= kMaxThumbnails) {
                break;
            }
            if (!tensor->mask.empty() && std::find(chosen.begin(), chosen.end(), tensor.get()) == chosen.end()) {
                chosen.push_back(tensor.get());
            }
        }
        std::vector<MaskThumbnail> thumbnails;
        for (const core::CompressedTensor* tensor : chosen) {
            MaskThumbnail thumbnail;
            thumbnail.tensor = QString::fromStdString(tensor->name);
            thumbnail.outFeatures = tensor->matrix.outFeatures;
            thumbnail.inFeatures = tensor->matrix.inFeatures;
            thumbnail.rows = static_cast<int>(std::min<std::int64_t>(kCorner, tensor->matrix.outFeatures));
            thumbnail.cols = static_cast<int>(std::min<std::int64_t>(kCorner, tensor->matrix.inFeatures));
            thumbnail.nmN = tensor->nmN;
            thumbnail.nmM = tensor->nmM;
            for (int r = 0; r < thumbnail.rows; ++r) {
                for (int c = 0; c < thumbnail.cols; ++c) {
                    thumbnail.kept.push_back(tensor->mask[static_cast<std::size_t>(tensor->matrix.index(r, c))] ? 1 : 0);
                }
            }
            thumbnail.sparsity = 1.0 - static_cast<double>(core::countKept(tensor->mask)) / tensor->mask.size();
            thumbnails.push_back(std::move(thumbnail));
        }
        return thumbnails;
    }

    std::expected<accelsim::ArrayConfig, ReportError> arrayConfig(const ReportRequest& request, QString* source)
    {
        if (!request.configFile.isEmpty()) {
            *source = request.configFile;
            const std::string file = request.configFile.toStdString();
            auto config = request.configFile.endsWith(QStringLiteral(".cfg"), Qt::CaseInsensitive)
                ? accelsim::readScaleSimConfig(file)
                : request.configFile.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive)
                ? accelsim::readArrayConfigJson(file)
                : accelsim::Result<accelsim::ArrayConfig>(
                      accelsim::fail(accelsim::ErrorCode::Input, file + ": --config: expected a .cfg or .json file"));
            return config ? std::expected<accelsim::ArrayConfig, ReportError>(*config) : failed(config.error().message);
        }
        if (!request.session.accelerator.isEmpty()) {
            *source = QStringLiteral("session");
            auto config = accelsim::parseArrayConfigJson(
                QJsonDocument(request.session.accelerator).toJson().toStdString(),
                QFileInfo(request.sourceFile).fileName().toStdString() + ": accelerator");
            return config ? std::expected<accelsim::ArrayConfig, ReportError>(*config) : failed(config.error().message);
        }
        *source = QStringLiteral("defaults");
        auto config = accelsim::ArrayConfig::create(accelsim::ArrayParams {});
        return config ? std::expected<accelsim::ArrayConfig, ReportError>(*config) : failed(config.error().message);
    }

    std::expected<void, ReportError> runModels(ReportData& data, const core::RunInput& input, const core::CancelToken* cancel)
    {
        core::CaptureOptions capture;
        capture.attention = true;
        auto baseRun = core::run(*data.base, input, capture, cancel);
        if (!baseRun) {
            return failed(baseRun.error());
        }
        capture.opTrace = true;
        auto compressedRun = core::run(*data.compressed, input, capture, cancel);
        if (!compressedRun) {
            return failed(compressedRun.error());
        }
        const core::ModelConfig& config = data.base->config();
        data.layer = std::clamp(data.request.session.layer, 0, std::max(0, config.layers - 1));
        data.head = std::clamp(data.request.session.head, 0, std::max(0, config.heads - 1));
        data.attentionTokens = baseRun->tokens;
        data.attentionBaseline = headAttention(*baseRun, data.layer, data.head);
        data.attentionCompressed = headAttention(*compressedRun, data.layer, data.head);
        auto workload = accelsim::workloadFromOpTrace(
            compressedRun->opTrace, QFileInfo(data.request.session.modelFolder).fileName().toStdString());
        if (!workload) {
            return failed(workload.error().message);
        }
        auto simulation = accelsim::simulate(*workload, *data.array);
        if (!simulation) {
            return failed(simulation.error().message);
        }
        data.workload = std::move(*workload);
        data.simulation = std::move(*simulation);
        return {};
    }

    std::expected<std::shared_ptr<const ReportData>, ReportError> build(
        const ReportRequest& request, const core::CancelToken* cancel, const ReportProgress& progress)
    {
        const auto start = std::chrono::steady_clock::now();
        const auto report = [&progress](double fraction, const QString& stage) {
            if (progress) {
                progress(fraction, stage);
            }
        };
        auto data = std::make_shared<ReportData>();
        data->request = request;
        data->steps = currentSteps(request.session);
        data->recipeJson = QJsonDocument(QJsonObject { { QStringLiteral("schema"), 1 }, { QStringLiteral("steps"), data->steps } })
                               .toJson(QJsonDocument::Indented);
        for (const QJsonValue& step : data->steps) {
            data->needsCalibration = data->needsCalibration || stepNeedsCalibration(step.toObject());
        }
        const QString sourceName = QFileInfo(request.sourceFile).fileName();
        auto recipe = core::parseRecipe(data->recipeJson.toStdString(), sourceName.toStdString() + ": recipe");
        if (!recipe) {
            return failed(recipe.error());
        }
        QString arraySource;
        auto array = arrayConfig(request, &arraySource);
        if (!array) {
            return std::unexpected(array.error());
        }
        data->array = *array;
        data->arraySource = arraySource;
        data->arrayJson = QByteArray::fromStdString(accelsim::formatArrayConfigJson(*array));

        if (!request.sweepFile.isEmpty()) {
            if (const QString error = readSweepResults(request.sweepFile, &data->sweep, &data->sweepBasePerplexity);
                !error.isEmpty()) {
                return failed(error);
            }
        }

        report(0.0, QStringLiteral("loading the model"));
        const QString folder = request.session.modelFolder;
        if (!QFileInfo(folder).isDir()) {
            return failed(QStringLiteral("%1: model folder does not exist").arg(folder));
        }
        auto base = core::loadModel(folder.toStdString(), cancel);
        if (!base) {
            return failed(base.error());
        }
        data->base = *base;
        for (const core::TensorInfo& info : data->base->tensorInfos()) {
            QStringList dims;
            for (std::int64_t d : info.shape) {
                dims << QString::number(d);
            }
            data->tensorSummary << QStringLiteral("%1 [%2]").arg(QString::fromStdString(info.name), dims.join(QStringLiteral(", ")));
        }
        if (QFile readme(folder + QStringLiteral("/README.md")); readme.open(QIODevice::ReadOnly)) {
            data->modelReadme = QString::fromUtf8(readme.read(256 * 1024));
        }

        auto input = [&]() -> core::Result<core::RunInput> {
            if (!request.session.inputIsTokenIds) {
                return core::textInput(*data->base, request.session.inputText.toStdString());
            }
            std::vector<std::int32_t> ids;
            static const QRegularExpression separator(QStringLiteral("[\\s,]+"));
            for (const QString& part : request.session.inputText.split(separator, Qt::SkipEmptyParts)) {
                bool ok = false;
                ids.push_back(part.toInt(&ok));
                if (!ok) {
                    return core::fail(core::ErrorCode::Input, "input: '" + part.toStdString() + "' is not a token id");
                }
            }
            return core::idsInput(*data->base, std::move(ids));
        }();
        if (!input) {
            return failed(sourceName + QStringLiteral(": ") + QString::fromStdString(input.error().message));
        }
        data->tokens = input->tokenIds;
        for (std::int32_t id : data->tokens) {
            data->tokenLabels << (data->base->tokenizer() ? QString::fromStdString(data->base->tokenizer()->tokenLabel(id))
                                                         : QString::number(id));
        }

        report(0.1, QStringLiteral("applying the recipe"));
        const core::CalibrationData calibration { .sequences = { data->tokens } };
        auto compressed = core::applyRecipe(data->base, *recipe, &calibration);
        if (!compressed) {
            return failed(compressed.error());
        }
        data->compressed = *compressed;
        data->tensors = core::compressionReport(*data->compressed);
        data->masks = maskThumbnails(*data->compressed, request.session.tensor);

        report(0.3, QStringLiteral("measuring baseline and compressed model"));
        const core::CompressedModel identity(data->base);
        auto baseline = core::evaluateCompression(identity, data->tokens, cancel);
        auto current = baseline ? core::evaluateCompression(*data->compressed, data->tokens, cancel) : baseline;
        if (baseline && current) {
            data->baseline = *baseline;
            data->current = *current;
        } else if ((baseline ? current : baseline).error().code == core::ErrorCode::Cancelled) {
            return failed((baseline ? current : baseline).error());
        } else {
            data->metricsNote = QString::fromStdString((baseline ? current : baseline).error().message);
        }

        report(0.5, QStringLiteral("running both models and simulating the array"));
        if (auto ok = runModels(*data, *input, cancel); !ok) {
            return std::unexpected(ok.error());
        }

        const auto spec = sensitivitySpec(data->steps, request.forceSensitivity);
        if (!spec) {
            data->sensitivityNote = QStringLiteral("The recipe does not quantize; pass --sensitivity to scan int8 per channel.");
        } else if (!data->baseline) {
            data->sensitivityNote = QStringLiteral("No scan: ") + data->metricsNote;
        } else {
            report(0.7, QStringLiteral("per-layer sensitivity scan"));
            data->sensitivityQuantJson = QString::fromUtf8(QJsonDocument(*spec).toJson(QJsonDocument::Compact));
            auto quant = core::parseQuantSpec(data->sensitivityQuantJson.toStdString(), sourceName.toStdString() + ": quantize step");
            if (!quant) {
                return failed(quant.error());
            }
            // The CLI's sensitivity command reads a text file through the tokenizer; do the same.
            const std::vector<std::int32_t> tokens = data->base->tokenizer() && !request.session.inputIsTokenIds
                ? data->base->tokenizer()->encode(request.session.inputText.toStdString())
                : data->tokens;
            auto scan = core::scanLayerSensitivity(data->base, *quant, tokens, cancel,
                [&report](double fraction) { report(0.7 + 0.3 * fraction, QStringLiteral("per-layer sensitivity scan")); });
            if (!scan) {
                return failed(scan.error());
            }
            data->sensitivity = std::move(*scan);
        }
        report(1.0, QStringLiteral("done"));
        data->buildMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        return std::shared_ptr<const ReportData>(std::move(data));
    }

} // namespace

std::expected<ReportRequest, ReportError> requestFromSession(const QString& sessionFile)
{
    ReportRequest request;
    request.sourceFile = sessionFile;
    if (const QString error = gui::readSessionFile(sessionFile, &request.session); !error.isEmpty()) {
        return failed(error);
    }
    return request;
}

std::expected<ReportRequest, ReportError> requestFromRecipe(
    const QString& recipeFile, const QString& modelFolder, const QString& text)
{
    // Parsed twice: by the engine for its field-level errors, then as JSON for the report's steps.
    if (auto recipe = core::loadRecipe(recipeFile.toStdString()); !recipe) {
        return failed(recipe.error());
    }
    QFile file(recipeFile);
    if (!file.open(QIODevice::ReadOnly)) {
        return failed(QStringLiteral("%1: cannot open: %2").arg(recipeFile, file.errorString()));
    }
    ReportRequest request;
    request.sourceFile = recipeFile;
    request.fromSession = false;
    QList<QJsonObject> steps;
    for (const QJsonValue& step : QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("steps")).toArray()) {
        steps.append(step.toObject());
    }
    request.session.recipeHistory = { QList<QJsonObject> {}, steps };
    request.session.recipeIndex = 1;
    request.session.modelFolder = QFileInfo(modelFolder).absoluteFilePath();
    request.session.inputText = text;
    return request;
}

std::expected<std::shared_ptr<const ReportData>, ReportError> buildReport(
    const ReportRequest& request, const core::CancelToken* cancel, const ReportProgress& progress)
{
    try {
        return build(request, cancel, progress);
    } catch (const std::bad_alloc&) {
        return failed(QStringLiteral("out of memory while building the report"));
    } catch (const std::exception& error) {
        return failed(QStringLiteral("internal error while building the report: %1").arg(QString::fromUtf8(error.what())));
    }
}

} // namespace optiscope::report
