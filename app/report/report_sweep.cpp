// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "report_sweep.h"

#include "optiscope/core/compression/sweep.h"
#include "optiscope/core/pareto.h"

#include <QFile>
#include <QFileInfo>

#include <charconv>

namespace optiscope::report {
namespace {
    std::optional<double> toNumber(const std::string& cell)
    {
        double value = 0;
        const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
        return error == std::errc() && end == cell.data() + cell.size() ? std::optional<double>(value) : std::nullopt;
    }
}

QString readSweepResults(const QString& file, std::vector<SweepPointData>* points, double* basePerplexity)
{
    QFile csv(file);
    if (!csv.open(QIODevice::ReadOnly)) {
        return QStringLiteral("%1: --sweep: cannot read: %2").arg(file, csv.errorString());
    }
    const QString name = QFileInfo(file).fileName();
    auto table = core::parseCsv(csv.readAll().toStdString(), name.toStdString());
    if (!table) {
        return QString::fromStdString(table.error().message);
    }
    const int perplexity = table->column("perplexity"), bytes = table->column("bytes_sparse"),
              macs = table->column("macs_effective"), base = table->column("base_perplexity");
    for (const char* needed : { "perplexity", "bytes_sparse", "macs_effective" }) {
        if (table->column(needed) < 0) {
            return QStringLiteral("%1: column '%2' is missing (not an optiscope-cli sweep results file?)").arg(name, needed);
        }
    }
    std::vector<double> x, y;
    for (std::size_t row = 0; row < table->rows.size(); ++row) {
        const auto& cells = table->rows[row];
        const auto ppl = toNumber(cells[perplexity]), size = toNumber(cells[bytes]), work = toNumber(cells[macs]);
        if (!ppl || !size || !work) {
            return QStringLiteral("%1: line %2: perplexity, bytes_sparse and macs_effective must be numbers").arg(name).arg(row + 2);
        }
        SweepPointData point;
        QStringList label;
        for (std::size_t c = 0; c < table->columns.size(); ++c) {
            if (table->columns[c].starts_with(core::kSweepParamPrefix)) {
                label << QStringLiteral("%1=%2").arg(QString::fromStdString(table->columns[c].substr(core::kSweepParamPrefix.size())),
                    QString::fromStdString(cells[c]));
            }
        }
        point.label = label.join(QStringLiteral(", "));
        point.perplexity = *ppl;
        point.bytes = *size;
        point.macs = *work;
        if (base >= 0) {
            *basePerplexity = toNumber(cells[base]).value_or(*basePerplexity);
        }
        x.push_back(point.bytes);
        y.push_back(point.perplexity);
        points->push_back(point);
    }
    if (points->empty()) {
        return QStringLiteral("%1: no rows").arg(name);
    }
    for (int index : core::paretoFront(x, y, true)) {
        (*points)[static_cast<std::size_t>(index)].onFront = true;
    }
    return {};
}

} // namespace optiscope::report
