// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_summary.h"

#include <cmath>
#include <cstddef>

namespace optiscope::widgets {

namespace {
    bool summarisable(const AttentionData& data) { return data.isValid() && !data.signedValues; }

    // A row the layer did not compute (token pruning) is all zero.
    bool rowComputed(const float* row, int length)
    {
        for (int key = 0; key < length; ++key) {
            if (row[key] != 0.0f) {
                return true;
            }
        }
        return false;
    }

    bool isCausal(const AttentionData& data)
    {
        for (int head = 0; head < data.heads; ++head) {
            for (int query = 0; query < data.tokens; ++query) {
                for (int key = query + 1; key < data.tokens; ++key) {
                    if (data.at(0, head, query, key) != 0.0f) {
                        return false;
                    }
                }
            }
        }
        return true;
    }
} // namespace

double rowEntropyBits(const float* row, int length)
{
    double entropy = 0;
    for (int key = 0; key < length; ++key) {
        const double p = row[key];
        if (p > 0) {
            entropy -= p * std::log2(p);
        }
    }
    return entropy;
}

std::vector<float> headEntropies(const AttentionData& data)
{
    if (!summarisable(data)) {
        return {};
    }
    const int t = data.tokens;
    std::vector<float> out(static_cast<std::size_t>(data.layers) * data.heads, 0.0f);
    for (int layer = 0; layer < data.layers; ++layer) {
        for (int head = 0; head < data.heads; ++head) {
            const float* matrix = data.matrix(layer, head);
            double sum = 0;
            int rows = 0;
            for (int query = 0; query < t; ++query) {
                const float* row = matrix + static_cast<std::ptrdiff_t>(query) * t;
                if (rowComputed(row, t)) {
                    sum += rowEntropyBits(row, t);
                    ++rows;
                }
            }
            out[static_cast<std::size_t>(layer) * data.heads + head] = rows > 0 ? static_cast<float>(sum / rows) : 0.0f;
        }
    }
    return out;
}

float maximumMeanEntropy(const AttentionData& data)
{
    if (!summarisable(data)) {
        return 0.0f;
    }
    if (!isCausal(data)) {
        return static_cast<float>(std::log2(static_cast<double>(data.tokens)));
    }
    double sum = 0;
    for (int query = 0; query < data.tokens; ++query) {
        sum += std::log2(static_cast<double>(query + 1));
    }
    return static_cast<float>(sum / data.tokens);
}

AttentionDataPtr attentionRollout(const AttentionData& data)
{
    if (!summarisable(data)) {
        return nullptr;
    }
    const int t = data.tokens;
    const auto square = static_cast<std::size_t>(t) * t;
    auto out = std::make_shared<AttentionData>();
    out->layers = data.layers;
    out->heads = 1;
    out->tokens = t;
    out->tokenLabels = data.tokenLabels;
    out->values.assign(square * data.layers, 0.0f);

    std::vector<double> mixed(square);
    std::vector<double> rollout(square); // R_{l-1}; starts as the identity
    for (int i = 0; i < t; ++i) {
        rollout[static_cast<std::size_t>(i) * t + i] = 1.0;
    }
    std::vector<double> next(square);
    for (int layer = 0; layer < data.layers; ++layer) {
        for (int query = 0; query < t; ++query) {
            double rowSum = 0;
            for (int key = 0; key < t; ++key) {
                double mean = 0;
                for (int head = 0; head < data.heads; ++head) {
                    mean += data.at(layer, head, query, key);
                }
                const double value = 0.5 * mean / data.heads + (query == key ? 0.5 : 0.0);
                mixed[static_cast<std::size_t>(query) * t + key] = value;
                rowSum += value;
            }
            for (int key = 0; key < t; ++key) {
                mixed[static_cast<std::size_t>(query) * t + key] /= rowSum; // ≥ 0.5, never zero
            }
        }
        for (int query = 0; query < t; ++query) {
            for (int key = 0; key < t; ++key) {
                double value = 0;
                for (int middle = 0; middle < t; ++middle) {
                    value += mixed[static_cast<std::size_t>(query) * t + middle]
                        * rollout[static_cast<std::size_t>(middle) * t + key];
                }
                next[static_cast<std::size_t>(query) * t + key] = value;
            }
        }
        rollout.swap(next);
        float* target = out->values.data() + square * layer;
        for (std::size_t i = 0; i < square; ++i) {
            target[i] = static_cast<float>(rollout[i]);
        }
    }
    return out;
}

} // namespace optiscope::widgets
