// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_data.h"

#include <algorithm>

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

float AttentionData::maxOf(int layer, int head) const
{
    const float* m = matrix(layer, head);
    return *std::max_element(m, m + static_cast<std::size_t>(tokens) * tokens);
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
