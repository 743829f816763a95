// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// File ▸ Export Model…: the compressed model on screen as a Hugging Face folder, a compact
// safetensors file or a GGUF file (the same writers as `optiscope-cli export`), written off the
// GUI thread behind a progress dialog; errors in a message box. Every writer is atomic.
#include "optiscope/core/compression/compressed_model.h"

#include <QString>

#include <memory>

class QWidget;

namespace optiscope::gui {

enum class ModelExportFormat { HuggingFace, Compact, GgufF16, GgufQ8_0, GgufQ4_0 };

// Asks for the target and format, then exports in the background. Returns at once.
void exportModel(QWidget* parent, std::shared_ptr<const core::CompressedModel> model);

// The work behind it, without dialogs (tests call it); an existing target is replaced (the file
// dialog has asked). "" on success, else the one-line error naming the file.
QString writeModelExport(const core::CompressedModel& model, ModelExportFormat format, const QString& path);

} // namespace optiscope::gui
