// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
#include <QString>

#include <cstdint>

namespace optiscope::core {
class Model;
}

namespace optiscope::gui {

// "1.2 MiB", "532 B"
QString formatBytes(std::int64_t bytes);
// "1.34 M", "950 k", "812"
QString formatCount(std::int64_t count);
// One status-bar line: "gpt2 (GPT2LMHeadModel) · 4 layers · 4 heads · hidden 128 · 1.33 M parameters · 5.1 MiB".
QString formatModelStats(const core::Model& model, std::int64_t fileBytes);

} // namespace optiscope::gui
