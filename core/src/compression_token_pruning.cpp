// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Token pruning: the prune_tokens recipe step and the per-run TokenPruner (SpAtten cascade,
// LTP-style threshold, EViT fusion). Semantics in RECIPE_SCHEMA.md.
#include "optiscope/core/check.h"
#include "token_pruner.h"
#include "token_pruning_step.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace optiscope::core {

const char* tokenPruningMethodName(TokenPruningMethod method)
{
    switch (method) {
    case TokenPruningMethod::None:
        return "none";
    case TokenPruningMethod::Cascade:
        return "cascade";
    case TokenPruningMethod::Threshold:
        return "threshold";
    case TokenPruningMethod::Evit:
        return "evit";
    }
    return "none";
}

const TokenPruningPolicy* CompressedModel::tokenPruning() const
{
    return m_tokenPruning.enabled() ? &m_tokenPruning : m_base->tokenPruning();
}

std::shared_ptr<const CompressedModel> CompressedModel::withTokenPruning(const TokenPruningPolicy& policy) const
{
    auto copy = std::make_shared<CompressedModel>(*this);
    copy->m_tokenPruning = policy;
    return copy;
}

} // namespace optiscope::core

namespace optiscope::core::detail {

namespace {

    // Half away from zero, as every count in the recipe schema; ratio · count is exact enough in
    // double that 0.5 · 7 = 3.5 rounds to 4 on every platform.
    int roundedCount(double ratio, int count) { return static_cast<int>(std::floor(ratio * count + 0.5)); }

    // Candidate rows sorted by importance, highest first; ties keep the lower row (= earlier
    // position) first so decisions are deterministic.
    std::vector<int> ranked(std::vector<int> rows, const std::function<double(int)>& importance)
    {
        std::stable_sort(rows.begin(), rows.end(), [&](int a, int b) { return importance(a) > importance(b); });
        return rows;
    }

} // namespace

TokenPruner::TokenPruner(
    const TokenPruningPolicy& policy, const ModelConfig& config, int tokens, const std::uint8_t* keyValid)
    : m_policy(policy)
    , m_causal(config.architecture == Architecture::Gpt2)
    , m_tokens(tokens)
    , m_protectedToken(config.architecture == Architecture::Gpt2 ? tokens - 1 : 0)
    , m_rowTokens(static_cast<std::size_t>(tokens))
    , m_score(static_cast<std::size_t>(tokens), 0.0)
    , m_history(static_cast<std::size_t>(config.layers))
    , m_fusedHistory(static_cast<std::size_t>(config.layers), 0)
{
    std::iota(m_rowTokens.begin(), m_rowTokens.end(), 0);
    if (keyValid) {
        m_keyValid.assign(keyValid, keyValid + tokens);
        m_rowValid = m_keyValid;
    }
}

bool TokenPruner::isProtected(int token) const { return token == m_protectedToken; }

void TokenPruner::observe(const float* probs, int heads)
{
    const int r = rows();
    const auto at = [&](int head, int query, int key) {
        return static_cast<double>(probs[(static_cast<std::size_t>(head) * r + query) * r + key]);
    };
    m_observed = true;
    m_rowImportance.assign(static_cast<std::size_t>(r), 0.0);
    switch (m_policy.method) {
    case TokenPruningMethod::None:
        return;
    case TokenPruningMethod::Cascade:
        for (int head = 0; head < heads; ++head) {
            for (int query = 0; query < r; ++query) {
                for (int key = 0; key < r; ++key) {
                    m_score[static_cast<std::size_t>(m_rowTokens[key])] += at(head, query, key);
                }
            }
        }
        return;
    case TokenPruningMethod::Threshold:
        for (int key = 0; key < r; ++key) {
            // Causal: only queries at or after the key may attend to it (rows are in position order).
            const int firstQuery = m_causal ? key : 0;
            double sum = 0;
            for (int head = 0; head < heads; ++head) {
                for (int query = firstQuery; query < r; ++query) {
                    sum += at(head, query, key);
                }
            }
            m_rowImportance[key] = sum / (static_cast<double>(heads) * (r - firstQuery));
        }
        return;
    case TokenPruningMethod::Evit:
        for (int key = 0; key < r; ++key) {
            double sum = 0;
            for (int head = 0; head < heads; ++head) {
                sum += at(head, 0, key); // row 0 is always CLS
            }
            m_rowImportance[key] = sum / heads;
        }
        return;
    }
}

void TokenPruner::decide(std::vector<int>& keep, std::vector<int>& fuse) const
{
    const int r = rows();
    std::vector<int> candidates;
    for (int row = 0; row < r; ++row) {
        if (!isProtected(m_rowTokens[row])) {
            candidates.push_back(row);
        }
    }
    const int protectedRows = r - static_cast<int>(candidates.size());
    const auto rowImportance = [&](int row) { return m_rowImportance[static_cast<std::size_t>(row)]; };
    std::vector<int> chosen;
    switch (m_policy.method) {
    case TokenPruningMethod::None:
        return;
    case TokenPruningMethod::Cascade: {
        // keep_ratio / keep_count count every alive token, the protected one included.
        const int total
            = m_policy.keepCount > 0 ? std::min(m_policy.keepCount, r) : roundedCount(m_policy.keepRatio, r);
        const int fromCandidates = std::max(0, total - protectedRows);
        auto order = ranked(candidates, [&](int row) { return m_score[static_cast<std::size_t>(m_rowTokens[row])]; });
        chosen.assign(order.begin(), order.begin() + std::min<std::size_t>(order.size(), fromCandidates));
        break;
    }
    case TokenPruningMethod::Threshold:
        for (int row : candidates) {
            if (!(rowImportance(row) < m_policy.threshold)) {
                chosen.push_back(row);
            }
        }
        break;
    case TokenPruningMethod::Evit: {
        // keep_ratio / keep_count count the patches (and earlier fused tokens), never CLS.
        const int count = static_cast<int>(candidates.size());
        const int kept
            = m_policy.keepCount > 0 ? std::min(m_policy.keepCount, count) : roundedCount(m_policy.keepRatio, count);
        auto order = ranked(candidates, rowImportance);
        chosen.assign(order.begin(), order.begin() + kept);
        fuse.assign(order.begin() + kept, order.end());
        std::sort(fuse.begin(), fuse.end());
        break;
    }
    }
    if (static_cast<int>(chosen.size()) == static_cast<int>(candidates.size())) {
        fuse.clear();
        return; // nothing pruned
    }
    for (int row = 0; row < r; ++row) {
        if (isProtected(m_rowTokens[row])) {
            keep.push_back(row);
        }
    }
    keep.insert(keep.end(), chosen.begin(), chosen.end());
    std::sort(keep.begin(), keep.end()); // current row order: positions ascending, fused rows last
}

void TokenPruner::compact(const std::vector<int>& keep, const std::vector<int>& fuse, RowMatrix& h)
{
    if (m_carried.rows() == 0) {
        m_carried.resize(m_tokens, h.cols());
    }
    std::vector<bool> kept(static_cast<std::size_t>(rows()), false);
    for (int row : keep) {
        kept[row] = true;
    }
    for (int row = 0; row < rows(); ++row) {
        if (!kept[row] && m_rowTokens[row] != kFusedToken) {
            m_carried.row(m_rowTokens[row]) = h.row(row);
        }
    }
    const int newRows = static_cast<int>(keep.size()) + (fuse.empty() ? 0 : 1);
    RowMatrix next(newRows, h.cols());
    std::vector<int> tokens;
    std::vector<std::uint8_t> valid;
    for (std::size_t i = 0; i < keep.size(); ++i) {
        next.row(static_cast<Eigen::Index>(i)) = h.row(keep[i]);
        tokens.push_back(m_rowTokens[keep[i]]);
        if (!m_keyValid.empty()) {
            valid.push_back(m_rowValid[keep[i]]);
        }
    }
    int fused = 0;
    for (int token : tokens) {
        fused += token == kFusedToken;
    }
    if (!fuse.empty()) {
        // Weighted average by CLS attention (positive after softmax; equal weights if it underflowed).
        double total = 0;
        for (int row : fuse) {
            total += m_rowImportance[row];
        }
        Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(h.cols());
        for (int row : fuse) {
            const double weight = total > 0 ? m_rowImportance[row] / total : 1.0 / static_cast<double>(fuse.size());
            sum += weight * h.row(row).cast<double>();
        }
        next.row(newRows - 1) = sum.cast<float>();
        tokens.push_back(kFusedToken);
        if (!m_keyValid.empty()) {
            valid.push_back(1);
        }
        ++fused;
    }
    h = std::move(next);
    m_rowTokens = std::move(tokens);
    m_rowValid = std::move(valid);
    m_fused = fused;
}

void TokenPruner::beforeLayer(int layer, bool skipped, RowMatrix& h)
{
    OPTISCOPE_CHECK(h.rows() == rows());
    if (!skipped && m_observed && layer >= m_policy.startLayer) {
        std::vector<int> keep, fuse;
        decide(keep, fuse);
        if (!keep.empty()) {
            compact(keep, fuse, h);
        }
    }
    auto& kept = m_history[static_cast<std::size_t>(layer)];
    kept.clear();
    for (int token : m_rowTokens) {
        if (token != kFusedToken) {
            kept.push_back(token);
        }
    }
    std::sort(kept.begin(), kept.end());
    m_fusedHistory[static_cast<std::size_t>(layer)] = m_fused;
}

void TokenPruner::expand(const RowMatrix& h, MatrixRef out) const
{
    OPTISCOPE_CHECK(out.rows() == m_tokens && out.cols() == h.cols() && h.rows() == rows());
    if (m_carried.rows() != 0) {
        out = m_carried;
    }
    for (int row = 0; row < rows(); ++row) {
        if (m_rowTokens[row] != kFusedToken) {
            out.row(m_rowTokens[row]) = h.row(row);
        }
    }
}

void TokenPruner::scatterAttention(const float* compact, int heads, float* full) const
{
    const std::size_t t = static_cast<std::size_t>(m_tokens);
    const int r = rows();
    std::fill(full, full + static_cast<std::size_t>(heads) * t * t, 0.0f);
    for (int head = 0; head < heads; ++head) {
        for (int query = 0; query < r; ++query) {
            const int q = m_rowTokens[query];
            if (q == kFusedToken) {
                continue;
            }
            const float* in = compact + (static_cast<std::size_t>(head) * r + query) * r;
            float* out = full + (static_cast<std::size_t>(head) * t + q) * t;
            for (int key = 0; key < r; ++key) {
                if (m_rowTokens[key] != kFusedToken) {
                    out[m_rowTokens[key]] = in[key];
                }
            }
        }
    }
}

Result<void> readTokenPruningFields(const nlohmann::json& step, std::set<std::string>& used,
    const std::function<std::string(const std::string&)>& where, TokenPruningPolicy& policy, nlohmann::json& key)
{
    const auto error = [&](const std::string& field, const std::string& problem) {
        return fail(ErrorCode::Config, where(field) + ": " + problem);
    };
    const auto find = [&](const std::string& field) -> const nlohmann::json* {
        used.insert(field);
        auto it = step.find(field);
        return it == step.end() ? nullptr : &*it;
    };
    const nlohmann::json* method = find("method");
    if (!method) {
        return error("method", "missing");
    }
    const std::string name = method->is_string() ? method->get<std::string>() : std::string();
    if (name == "cascade") {
        policy.method = TokenPruningMethod::Cascade;
    } else if (name == "threshold") {
        policy.method = TokenPruningMethod::Threshold;
    } else if (name == "evit") {
        policy.method = TokenPruningMethod::Evit;
    } else {
        return error("method", method->dump() + " is not one of cascade, threshold, evit");
    }
    key["method"] = name;
    if (const auto* start = find("start_layer")) {
        if (!start->is_number_integer() || start->get<long long>() < 1 || start->get<long long>() > 100000) {
            return error("start_layer",
                "must be an integer >= 1 (importance comes from the attention of an earlier layer), got "
                    + start->dump());
        }
        policy.startLayer = start->get<int>();
    }
    key["start_layer"] = policy.startLayer;
    const nlohmann::json* ratio = find("keep_ratio");
    const nlohmann::json* count = find("keep_count");
    const nlohmann::json* threshold = find("threshold");
    if (policy.method == TokenPruningMethod::Threshold) {
        if (ratio || count) {
            return error(ratio ? "keep_ratio" : "keep_count", "does not apply to method 'threshold'");
        }
        if (!threshold) {
            return error("threshold", "missing");
        }
        if (!threshold->is_number() || !(threshold->get<double>() >= 0.0 && threshold->get<double>() <= 1.0)) {
            return error("threshold", "must be a number in [0, 1], got " + threshold->dump());
        }
        policy.threshold = threshold->get<double>();
        key["threshold"] = policy.threshold;
        return {};
    }
    if (threshold) {
        return error("threshold", "only applies to method 'threshold'");
    }
    if (ratio && count) {
        return error("keep_count", "give keep_ratio or keep_count, not both");
    }
    if (!ratio && !count) {
        return error("keep_ratio", "missing (or give keep_count)");
    }
    if (ratio) {
        if (!ratio->is_number() || !(ratio->get<double>() > 0.0 && ratio->get<double>() <= 1.0)) {
            return error("keep_ratio", "must be a number in (0, 1], got " + ratio->dump());
        }
        policy.keepRatio = ratio->get<double>();
        key["keep_ratio"] = policy.keepRatio;
    } else {
        if (!count->is_number_integer() || count->get<long long>() < 1 || count->get<long long>() > 1000000) {
            return error("keep_count", "must be an integer >= 1, got " + count->dump());
        }
        policy.keepCount = count->get<int>();
        key["keep_count"] = policy.keepCount;
    }
    return {};
}

Result<std::shared_ptr<const CompressedModel>> setTokenPruning(
    const std::shared_ptr<const CompressedModel>& current, const TokenPruningPolicy& policy, const std::string& where)
{
    const ModelConfig& c = current->config();
    if (policy.startLayer >= c.layers) {
        return fail(ErrorCode::Config,
            where + "start_layer: " + std::to_string(policy.startLayer) + " out of range, the model has "
                + std::to_string(c.layers) + " layers");
    }
    if (policy.method == TokenPruningMethod::Evit && c.architecture != Architecture::Vit) {
        return fail(
            ErrorCode::Config, where + "method: 'evit' fuses image patches, it needs a ViT model, not " + c.className);
    }
    return current->withTokenPruning(policy);
}

} // namespace optiscope::core::detail
