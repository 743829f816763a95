// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Immutable values the Runner hands to the GUI thread.
#include "attention_data.h"

#include "optiscope/core/image.h"
#include "optiscope/core/inference.h"
#include "optiscope/core/model.h"

#include <QMetaType>
#include <QString>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace optiscope::gui {

struct RunRequest {
    enum class Kind { Text, TokenIds, Image };
    Kind kind = Kind::Text;
    QString text; // Text: UTF-8 source; TokenIds: the ids as typed
    std::vector<std::int32_t> tokenIds;
    core::RawImage image;
    QString imageName; // file name for error messages
};

struct ModelSnapshot {
    std::shared_ptr<const core::Model> model;
    QString folder;
    std::int64_t fileBytes = 0; // weight files on disk
    double loadMs = 0;
};

struct RunSnapshot {
    std::uint64_t generation = 0;
    std::shared_ptr<const core::Model> model;
    core::RunResult result;
    widgets::AttentionDataPtr attention; // copy of result.attentions with token labels
    // The same input on the uncompressed model, when the run model is a compressed one; else nullptr.
    widgets::AttentionDataPtr baselineAttention;
    // Its matrix products, so the accelerator can price the baseline too (same condition).
    std::optional<optrace::OpTrace> baselineOpTrace;
    std::vector<std::int32_t> tokenIds; // empty for images
    double wallMs = 0; // input preparation + run, as the user waited for it
};

} // namespace optiscope::gui

Q_DECLARE_METATYPE(std::shared_ptr<const optiscope::gui::RunSnapshot>)
Q_DECLARE_METATYPE(std::shared_ptr<const optiscope::gui::ModelSnapshot>)
