// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Test oracle, independent of accelsim's closed forms: rebuilds SCALE-Sim v2's per-fold demand matrices
// (compute/systolic_compute_{os,ws,is}.py) literally — null-request padding, row flips, prefix/suffix gaps and
// the diagonal skew — and counts valid requests per row, as its stall-free memory system steps one row per
// cycle. Only validity is kept (1 = request, 0 = SCALE-Sim's -1), not addresses.
#include <algorithm>
#include <cstdint>
#include <vector>

namespace scalesim_reference {

using Mat = std::vector<std::vector<char>>; // [rows][cols]

inline Mat block(std::int64_t rows, std::int64_t cols, std::int64_t validRows, std::int64_t validCols)
{
    Mat m(rows, std::vector<char>(cols, 0));
    for (std::int64_t i = 0; i < std::min(rows, validRows); ++i) {
        for (std::int64_t j = 0; j < std::min(cols, validCols); ++j) {
            m[i][j] = 1;
        }
    }
    return m;
}

inline Mat nulls(std::int64_t rows, std::int64_t cols) { return block(rows, cols, 0, 0); }

inline Mat vcat(Mat a, const Mat& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

inline Mat flipRows(Mat m)
{
    std::reverse(m.begin(), m.end());
    return m;
}

// skew_matrix(): column c moves down by c rows; the result has rows + cols - 1 rows.
inline Mat skew(const Mat& m)
{
    const std::int64_t rows = static_cast<std::int64_t>(m.size());
    const std::int64_t cols = rows ? static_cast<std::int64_t>(m[0].size()) : 0;
    Mat out(rows + cols - 1, std::vector<char>(cols, 0));
    for (std::int64_t c = 0; c < cols; ++c) {
        for (std::int64_t r = 0; r < rows; ++r) {
            out[r + c][c] = m[r][c];
        }
    }
    return out;
}

struct Trace {
    std::vector<std::int64_t> ifmapPerRow;
    std::vector<std::int64_t> filterPerRow;
    std::vector<std::int64_t> ofmapPerRow;
    std::int64_t ofmapWritesCounted = 0; // SCALE-Sim's ofmap_writes counter (OS adds R+C per fold)
    double mappingEfficiency = 0; // mean over folds
    double computeUtil = 0; // mean over folds
    std::int64_t rows() const { return static_cast<std::int64_t>(ofmapPerRow.size()); }
};

enum class Df { Os, Ws, Is };

inline void append(std::vector<std::int64_t>& perRow, const Mat& m)
{
    for (const auto& row : m) {
        std::int64_t n = 0;
        for (char v : row) {
            n += v;
        }
        perRow.push_back(n);
    }
}

inline Trace run(Df df, std::int64_t M, std::int64_t N, std::int64_t K, std::int64_t R, std::int64_t C)
{
    std::int64_t Sr = 0, Sc = 0, T = 0;
    switch (df) {
    case Df::Os:
        Sr = M, Sc = N, T = K;
        break;
    case Df::Ws:
        Sr = K, Sc = N, T = M;
        break;
    case Df::Is:
        Sr = K, Sc = M, T = N;
        break;
    }
    const std::int64_t rowFolds = (Sr + R - 1) / R;
    const std::int64_t colFolds = (Sc + C - 1) / C;
    Trace t;
    std::vector<double> eff, util;
    for (std::int64_t fc = 0; fc < colFolds; ++fc) {
        for (std::int64_t fr = 0; fr < rowFolds; ++fr) {
            const std::int64_t ru = std::min(R, Sr - fr * R);
            const std::int64_t cu = std::min(C, Sc - fc * C);
            Mat ifm, fil, ofm;
            std::int64_t cyclesThisFold = 0;
            if (df == Df::Os) {
                ifm = skew(vcat(block(T, R, T, ru), nulls(C - 1, R)));
                fil = skew(vcat(block(T, C, T, cu), nulls(R - 1, C)));
                ofm = flipRows(block(R, C, ru, cu));
                t.ofmapWritesCounted += ru * cu + R + C;
                ofm = vcat(nulls(T - 1, C), ofm);
                cyclesThisFold = static_cast<std::int64_t>(ofm.size()) + C - 1;
                ofm = skew(ofm);
            } else if (df == Df::Ws) {
                ifm = skew(vcat(vcat(nulls(R, R), block(T, R, T, ru)), nulls(C - 1, R)));
                fil = vcat(flipRows(block(R, C, ru, cu)), nulls(R + C + T - 2, C));
                cyclesThisFold = static_cast<std::int64_t>(fil.size()) + C - 1;
                ofm = skew(vcat(nulls(2 * R - 1, C), block(T, C, T, cu)));
                t.ofmapWritesCounted += T * cu;
            } else {
                ifm = vcat(flipRows(block(R, C, ru, cu)), nulls(R + C + T - 2, C));
                cyclesThisFold = static_cast<std::int64_t>(ifm.size()) + C - 1;
                fil = skew(vcat(vcat(nulls(R, R), block(T, R, T, ru)), nulls(C - 1, R)));
                ofm = skew(vcat(nulls(2 * R - 1, C), block(T, C, T, cu)));
                t.ofmapWritesCounted += T * cu;
            }
            eff.push_back(static_cast<double>(ru * cu) / static_cast<double>(R * C));
            util.push_back(static_cast<double>(ru * cu * T) / static_cast<double>(R * C * cyclesThisFold));
            append(t.ifmapPerRow, ifm);
            append(t.filterPerRow, fil);
            append(t.ofmapPerRow, ofm);
        }
    }
    for (double e : eff) {
        t.mappingEfficiency += e / static_cast<double>(eff.size());
    }
    for (double u : util) {
        t.computeUtil += u / static_cast<double>(util.size());
    }
    return t;
}

inline std::int64_t sum(const std::vector<std::int64_t>& v)
{
    std::int64_t s = 0;
    for (auto x : v) {
        s += x;
    }
    return s;
}

inline std::int64_t firstActive(const std::vector<std::int64_t>& v)
{
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] > 0) {
            return static_cast<std::int64_t>(i);
        }
    }
    return -1;
}

inline std::int64_t lastActive(const std::vector<std::int64_t>& v)
{
    for (std::size_t i = v.size(); i-- > 0;) {
        if (v[i] > 0) {
            return static_cast<std::int64_t>(i);
        }
    }
    return -1;
}

} // namespace scalesim_reference
