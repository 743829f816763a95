// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The plain value every attention view is fed: no engine types, immutable once shared.
#include <QColor>
#include <QStringList>

#include <memory>
#include <vector>

namespace optiscope::widgets {

struct AttentionData {
    int layers = 0;
    int heads = 0;
    int tokens = 0; // T
    std::vector<float> values; // [layer][head][query][key] row-major, probabilities
    QStringList tokenLabels; // T entries, already readable (see displayTokenLabel)
    // Differences of two runs (attentionDifference) rather than probabilities: drawn on a diverging scale
    // symmetric around zero.
    bool signedValues = false;
    // Token pruning: [layer] → the positions that layer computed, ascending; empty = every token in
    // every layer. A pruned token's row and column are zero and drawn as pruned.
    std::vector<std::vector<int>> keptTokens;

    bool isValid() const;
    bool contains(int layer, int head) const { return layer >= 0 && layer < layers && head >= 0 && head < heads; }
    // [query][key] row-major, T*T floats.
    const float* matrix(int layer, int head) const;
    float at(int layer, int head, int query, int key) const { return matrix(layer, head)[query * tokens + key]; }
    float maxOf(int layer, int head) const;
    // The colour scale's end of one head: its largest value, or largest |value| when signed (never 0).
    float scaleOf(int layer, int head) const;
    QRgb rgb(float value, float scale) const;
    bool prunesTokens() const { return !keptTokens.empty(); }
    bool isKept(int layer, int token) const;
    int keptCount(int layer) const; // tokens when nothing is pruned
};

using AttentionDataPtr = std::shared_ptr<const AttentionData>;

// after - before, element by element, signed; nullptr unless both are valid with equal shapes.
AttentionDataPtr attentionDifference(const AttentionData& after, const AttentionData& before);

// Makes a token label fit on an axis: control characters shown as symbols, whitespace-only
// tokens as "␣", long ones elided.
QString displayTokenLabel(const QString& raw, int maxChars = 14);

} // namespace optiscope::widgets
