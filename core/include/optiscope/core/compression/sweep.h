// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Recipe sweeps: a recipe template (a recipe JSON file) plus parameters, each a JSON path into the
// template and a list of values; the Cartesian product of the values gives one recipe per point.
// The results table (one CSV row per point) is written and read here so the CLI and the GUI agree
// on it; evaluating the points is the caller's (applyRecipe + evaluateCompression).
//
// Parameter path: segments separated by '.', each an object key or an array index; an index may
// also follow a key in brackets: "steps[0].ratio" and "steps.0.ratio" are the same path. Keys
// cannot contain '.', '[' or ']'. A number indexes an array (a key when the value there is an
// object). The path must exist in the template, and every value must have the JSON type of the
// template's value there (numbers match numbers; null in the template accepts any type).
#include "optiscope/core/compression/compression_metrics.h"
#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace optiscope::core {

struct SweepParameter {
    std::string path; // as given, e.g. "steps[0].ratio"
    // Each value as compact JSON text: "0.5", "\"wanda\"", "[1,2]".
    std::vector<std::string> values;
};

// "NAME=v1,v2,..." split at commas outside brackets and quotes; a value that is not valid JSON is
// taken as a string (so wanda and "wanda" are the same). Errors name the argument: no '=', empty
// path, an empty list or an empty value.
Result<SweepParameter> parseSweepParameter(std::string_view argument);

struct SweepPoint {
    std::vector<std::string> cells; // one per parameter: its value as a CSV cell (strings bare)
    std::string recipeJson; // the template with the values set, one line, template key order
    Recipe recipe; // recipeJson parsed and validated
};

// The product in row-major order (the first parameter varies slowest). Errors name the template
// file and the parameter: a path missing from the template, a value of another JSON type, the
// same path twice, and a point whose recipe does not validate (with its parameter values).
Result<std::vector<SweepPoint>> expandSweep(
    std::string_view templateJson, const std::string& templateName, const std::vector<SweepParameter>& parameters);

// The CSV cell of a JSON value: strings without quotes, everything else compact JSON.
std::string sweepCellOf(std::string_view valueJson);

// Column names of a results table: "param:<path>" per parameter, then the metric columns (see
// sweepMetricColumns), then "recipe".
std::vector<std::string> sweepColumns(const std::vector<SweepParameter>& parameters);
const std::vector<std::string>& sweepMetricColumns();
inline constexpr std::string_view kSweepParamPrefix = "param:";

// The cells of one row, in sweepColumns order.
std::vector<std::string> sweepRowCells(
    const SweepPoint& point, const CompressionMetrics& metrics, double elapsedSeconds);

// RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled; lines end in "\n".
std::string formatCsvLine(const std::vector<std::string>& cells);

struct CsvTable {
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows; // every row has columns.size() cells
    int column(std::string_view name) const; // -1 when absent
};

// Errors name the file and the line: an unterminated quote, a row with another cell count, no
// header line.
Result<CsvTable> parseCsv(std::string_view text, const std::string& fileNameForErrors);

} // namespace optiscope::core
