// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The sweep results table: columns, one row's cells, and an RFC 4180 CSV writer and reader.
#include "optiscope/core/compression/sweep.h"

#include <array>
#include <charconv>
#include <cmath>

namespace optiscope::core {

namespace {

    // Shortest text that reads back to the same double ("0.1", not "0.10000000000000001").
    std::string number(double value)
    {
        if (!std::isfinite(value)) {
            return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
        }
        std::array<char, 32> buffer {};
        const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
        return ec == std::errc() ? std::string(buffer.data(), end) : std::string("nan");
    }

    std::string number(std::int64_t value) { return std::to_string(value); }

    double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

} // namespace

const std::vector<std::string>& sweepMetricColumns()
{
    static const std::vector<std::string> columns { "perplexity", "base_perplexity", "delta_perplexity", "kl_mean",
        "top1_agreement", "tokens_predicted", "parameters", "nonzeros", "density", "bytes_dense", "bytes_sparse",
        "base_bytes", "compression_ratio", "macs_dense", "macs_effective", "seconds" };
    return columns;
}

std::vector<std::string> sweepColumns(const std::vector<SweepParameter>& parameters)
{
    std::vector<std::string> columns;
    for (const auto& parameter : parameters) {
        columns.push_back(std::string(kSweepParamPrefix) + parameter.path);
    }
    const auto& metrics = sweepMetricColumns();
    columns.insert(columns.end(), metrics.begin(), metrics.end());
    columns.emplace_back("recipe");
    return columns;
}

std::vector<std::string> sweepRowCells(const SweepPoint& point, const CompressionMetrics& m, double elapsedSeconds)
{
    std::vector<std::string> cells = point.cells;
    const std::vector<std::string> metrics { number(m.compressedPerplexity), number(m.basePerplexity),
        number(m.compressedPerplexity - m.basePerplexity), number(m.klMean), number(m.top1Agreement),
        number(m.tokensPredicted), number(m.parameters), number(m.nonzeros),
        number(ratio(static_cast<double>(m.nonzeros), static_cast<double>(m.parameters))), number(m.bytesDense),
        number(m.bytesSparse), number(m.baseBytes),
        number(ratio(static_cast<double>(m.baseBytes), static_cast<double>(m.bytesSparse))), number(m.macsDense),
        number(m.macsEffective), number(elapsedSeconds) };
    cells.insert(cells.end(), metrics.begin(), metrics.end());
    cells.push_back(point.recipeJson);
    return cells;
}

std::string formatCsvLine(const std::vector<std::string>& cells)
{
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i > 0) {
            line += ',';
        }
        const std::string& cell = cells[i];
        if (cell.find_first_of(",\"\r\n") == std::string::npos) {
            line += cell;
            continue;
        }
        line += '"';
        for (char c : cell) {
            line += c;
            if (c == '"') {
                line += '"';
            }
        }
        line += '"';
    }
    line += '\n';
    return line;
}

int CsvTable::column(std::string_view name) const
{
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i] == name) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

Result<CsvTable> parseCsv(std::string_view text, const std::string& fileNameForErrors)
{
    std::vector<std::vector<std::string>> records;
    std::vector<std::string> record;
    std::string cell;
    bool quoted = false, cellStarted = false;
    int line = 1, recordLine = 1;
    const auto endRecord = [&] {
        record.push_back(std::move(cell));
        cell.clear();
        // A blank line (one empty unquoted cell) is not a record.
        if (!(record.size() == 1 && record.front().empty() && !cellStarted)) {
            records.push_back(std::move(record));
        }
        record.clear();
        cellStarted = false;
    };
    std::vector<int> recordLines;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                cell += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                line += c == '\n';
                cell += c;
            }
            continue;
        }
        if (c == '"' && cell.empty()) {
            quoted = cellStarted = true;
        } else if (c == ',') {
            record.push_back(std::move(cell));
            cell.clear();
            cellStarted = true;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
            const std::size_t before = records.size();
            endRecord();
            if (records.size() > before) {
                recordLines.push_back(recordLine);
            }
            recordLine = ++line;
        } else {
            cell += c;
            cellStarted = true;
        }
    }
    if (quoted) {
        return fail(ErrorCode::Format,
            fileNameForErrors + ": line " + std::to_string(recordLine) + ": quoted field never closed");
    }
    if (cellStarted || !cell.empty() || !record.empty()) {
        endRecord();
        recordLines.push_back(recordLine);
    }
    if (records.empty()) {
        return fail(ErrorCode::Format, fileNameForErrors + ": no header line");
    }
    CsvTable table;
    table.columns = std::move(records.front());
    for (std::size_t r = 1; r < records.size(); ++r) {
        if (records[r].size() != table.columns.size()) {
            return fail(ErrorCode::Format,
                fileNameForErrors + ": line " + std::to_string(recordLines[r]) + ": "
                    + std::to_string(records[r].size()) + " fields, the header has "
                    + std::to_string(table.columns.size()));
        }
        table.rows.push_back(std::move(records[r]));
    }
    return table;
}

} // namespace optiscope::core
