// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_data.h"

#include "color_map.h"

#include <algorithm>
#include <cmath>

namespace optiscope::widgets {

bool AttentionData::isValid() const
{
    const auto expected = static_cast<std::size_t>(layers) * heads * tokens * tokens;
    return layers > 0 && heads > 0 && tokens > 0 && values.size() == expected && tokenLabels.size() == tokens;
}

const float* AttentionData::matrix(int layer, int head) const
{
    return values.data() + (static_cast<std::size_t>(layer) * heads + head) * tokens * tokens;
}

bool AttentionData::isKept(int layer, int token) const
{
    if (keptTokens.empty() || layer < 0 || static_cast<std::size_t>(layer) >= keptTokens.size()) {
        return true;
    }
    const auto& kept = keptTokens[static_cast<std::size_t>(layer)];
    return std::binary_search(kept.begin(), kept.end(), token);
}

int AttentionData::keptCount(int layer) const
{
    if (keptTokens.empty() || layer < 0 || static_cast<std::size_t>(layer) >= keptTokens.size()) {
        return tokens;
    }
    return static_cast<int>(keptTokens[static_cast<std::size_t>(layer)].size());
}

float AttentionData::maxOf(int layer, int head) const
{
    const float* m = matrix(layer, head);
    return *std::max_element(m, m + static_cast<std::size_t>(tokens) * tokens);
}

float AttentionData::scaleOf(int layer, int head) const
{
    const float* m = matrix(layer, head);
    float scale = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(tokens) * tokens; ++i) {
        scale = std::max(scale, signedValues ? std::fabs(m[i]) : m[i]);
    }
    return std::max(scale, 1e-6f);
}

QRgb AttentionData::rgb(float value, float scale) const
{
    return signedValues ? differenceRgb(value, scale) : attentionRgb(value, scale);
}

AttentionDataPtr attentionDifference(const AttentionData& after, const AttentionData& before)
{
    if (!after.isValid() || !before.isValid() || after.layers != before.layers || after.heads != before.heads
        || after.tokens != before.tokens) {
        return nullptr;
    }
    auto difference = std::make_shared<AttentionData>(after);
    difference->signedValues = true;
    for (std::size_t i = 0; i < difference->values.size(); ++i) {
        difference->values[i] = after.values[i] - before.values[i];
    }
    return difference;
}

QString displayTokenLabel(const QString& raw, int maxChars)
{
    QString label;
    label.reserve(raw.size());
    for (const QChar c : raw) {
        if (c == u'\n') {
            label += QChar(0x21B5); // ↵
        } else if (c == u'\t') {
            label += QChar(0x21E5); // ⇥
        } else if (c.category() == QChar::Other_Control) {
            label += QChar(0xFFFD);
        } else {
            label += c;
        }
    }
    if (label.trimmed().isEmpty()) {
        return QString(QChar(0x2423)); // ␣
    }
    if (label.size() > maxChars) {
        label = label.left(maxChars - 1) + QChar(0x2026);
    }
    return label;
}

} // namespace optiscope::widgets
