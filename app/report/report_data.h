// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// What a session report shows, computed once by buildReport() (report_builder.h) and then laid out
// as HTML and PDF (report_writer.h). Plain data: built on any thread, read on another.
#include "session.h"

#include "optiscope/accelsim/array_config.h"
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/workload.h"
#include "optiscope/core/compression/compressed_model.h"
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/sensitivity.h"

#include <QJsonArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace optiscope::report {

struct ReportRequest {
    gui::SessionState session; // model folder, input, recipe history and index, accelerator, view
    QString sourceFile; // the session or recipe file as the user named it (shown, and used in commands)
    bool fromSession = true; // false: sourceFile is a recipe, session holds --model/--text
    QString configFile; // --config: overrides the session's accelerator; empty: session's, else defaults
    bool forceSensitivity = false; // scan even when the recipe does not quantize (int8 per channel)
    QString sweepFile; // --sweep: an `optiscope-cli sweep` results CSV for the accuracy-vs-size plot
};

// One row of a sweep's results table, as the Pareto plot needs it.
struct SweepPointData {
    QString label; // the parameter values, "steps[0].ratio=0.5"
    double bytes = 0; // bytes_sparse
    double macs = 0; // macs_effective
    double perplexity = 0;
    bool onFront = false; // Pareto-optimal in (bytes, perplexity)
};

// One weight mask's top-left corner for a thumbnail: [rows][cols] of 0/1, out features × in features.
struct MaskThumbnail {
    QString tensor;
    std::int64_t outFeatures = 0;
    std::int64_t inFeatures = 0;
    int rows = 0;
    int cols = 0;
    std::vector<std::uint8_t> kept;
    double sparsity = 0; // of the whole mask
    int nmN = 0, nmM = 0;
};

struct ReportData {
    ReportRequest request;
    QJsonArray steps; // the session's current recipe (history[index])
    QByteArray recipeJson; // {"schema": 1, "steps": [...]}, indented: what the commands call recipe.json
    bool needsCalibration = false; // a step scores weights on activations (Wanda, SparseGPT, head ablation)

    std::shared_ptr<const core::Model> base;
    std::shared_ptr<const core::CompressedModel> compressed;
    QString modelReadme; // the model folder's README.md (model card), empty when none
    QStringList tensorSummary; // "name dtype [shape]" of the stored tensors

    std::vector<std::int32_t> tokens; // the session input, tokenized
    QStringList tokenLabels;
    std::optional<core::CompressionMetrics> baseline;
    std::optional<core::CompressionMetrics> current;
    QString metricsNote; // why metrics are missing (not a language model, < 2 tokens)
    core::CompressionReport tensors;

    std::optional<core::SensitivityScan> sensitivity;
    QString sensitivityQuantJson; // the --quant argument that reproduces it
    QString sensitivityNote; // why there is no scan

    int layer = 0; // the session's view layer and head (clamped to the model)
    int head = 0;
    int attentionTokens = 0; // T
    std::vector<float> attentionBaseline; // [T][T] row-major, query × key
    std::vector<float> attentionCompressed;

    std::vector<MaskThumbnail> masks;

    std::optional<accelsim::ArrayConfig> array;
    QByteArray arrayJson; // formatArrayConfigJson: what the commands call array.json
    QString arraySource; // "session", the --config file, or "defaults"
    accelsim::Workload workload;
    accelsim::SimulationResult simulation;

    std::vector<SweepPointData> sweep; // empty: no --sweep
    double sweepBasePerplexity = 0;

    double buildMs = 0;
};

} // namespace optiscope::report
