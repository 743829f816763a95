// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "metrics_table.h"

#include <QHeaderView>
#include <QLocale>

#include <array>
#include <cmath>
#include <limits>

namespace optiscope::gui {
namespace {
    constexpr int kValueRole = Qt::UserRole + 1;
    constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

    std::array<double, MetricsTable::RowCount> values(const core::CompressionMetrics& m, bool baseline)
    {
        return { baseline ? m.basePerplexity : m.compressedPerplexity, baseline ? 0.0 : m.klMean,
            baseline ? 1.0 : m.top1Agreement, static_cast<double>(m.parameters), static_cast<double>(m.nonzeros),
            static_cast<double>(m.bytesDense), static_cast<double>(m.bytesSparse), static_cast<double>(m.macsDense),
            m.macsEffective, kNan, kNan };
    }

    QString format(int row, double value)
    {
        if (std::isnan(value)) {
            return QStringLiteral("\u2014");
        }
        const QLocale locale;
        switch (row) {
        case MetricsTable::Perplexity:
            return locale.toString(value, 'f', 3);
        case MetricsTable::Kl:
            return locale.toString(value, 'g', 4);
        case MetricsTable::Top1:
            return QStringLiteral("%1 %").arg(locale.toString(value * 100.0, 'f', 1));
        case MetricsTable::BytesDense:
        case MetricsTable::BytesSparse:
            return locale.formattedDataSize(static_cast<qint64>(value), 2, QLocale::DataSizeTraditionalFormat);
        case MetricsTable::SimulatedEnergy:
            return QStringLiteral("%1 \u00b5J").arg(locale.toString(value * 1e-6, 'f', 3));
        default:
            return locale.toString(static_cast<qlonglong>(std::llround(value)));
        }
    }
}

MetricsTable::MetricsTable(QWidget* parent)
    : QTableWidget(RowCount, ColumnCount, parent)
{
    setObjectName(QStringLiteral("compressionMetrics"));
    setHorizontalHeaderLabels({ tr("Baseline"), tr("Current"), tr("Change") });
    setVerticalHeaderLabels({ tr("Perplexity"), tr("KL (nats/token)"), tr("Top-1 agreement"), tr("Parameters"),
        tr("Nonzeros"), tr("Bytes (dense)"), tr("Bytes (sparse)"), tr("MACs (dense)"), tr("MACs (effective)"), tr("Cycles (simulated)"), tr("Energy (simulated)") });
    const QStringList tips = { tr("exp(mean negative log-likelihood) of the next token on the current input."),
        tr("Mean KL divergence from the base model's next-token distribution to the compressed one's."),
        tr("Fraction of positions where both models predict the same top token."),
        tr("Every stored tensor, biases and norms included."), tr("Stored values that are not zero."),
        tr("Storage with zeros kept in place, at each tensor's bit width, plus quantization scales."),
        tr("As dense, but pruned tensors store only kept values plus a 1-bit mask."),
        tr("Multiply-accumulates of every GEMM for one window of the input."),
        tr("Dense MACs with each weight GEMM scaled by the fraction of weights kept."),
        tr("Total cycles of the last run's matrix products on the Accelerator dock's array (analytic mode)."),
        tr("Energy of those matrix products on that array (MACs, SRAM, DRAM; the array's energy table).") };
    for (int row = 0; row < RowCount; ++row) {
        verticalHeaderItem(row)->setToolTip(tips.at(row));
        for (int column = 0; column < ColumnCount; ++column) {
            auto* item = new QTableWidgetItem;
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            setItem(row, column, item);
        }
    }
    setEditTriggers(NoEditTriggers);
    horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    setSizeAdjustPolicy(AdjustToContents);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Maximum);
    clearMetrics();
    setSimulated(kNan, kNan, kNan, kNan, tr("Run some text to simulate it on the array."));
}

void MetricsTable::clearMetrics(const QString& note) { setMetrics(std::nullopt, std::nullopt, note); }

void MetricsTable::setMetrics(const std::optional<core::CompressionMetrics>& baseline,
    const std::optional<core::CompressionMetrics>& current, const QString& note)
{
    std::array<double, RowCount> base;
    std::array<double, RowCount> now;
    base.fill(kNan);
    now.fill(kNan);
    if (baseline) {
        base = values(*baseline, true);
    }
    if (current) {
        now = values(*current, false);
    }
    for (int row = 0; row < SimulatedCycles; ++row) { // the simulated rows come from setSimulated
        setRow(row, base.at(row), now.at(row), note);
    }
}

void MetricsTable::setSimulated(
    double baselineCycles, double currentCycles, double baselineEnergyPj, double currentEnergyPj, const QString& note)
{
    setRow(SimulatedCycles, baselineCycles, currentCycles, note);
    setRow(SimulatedEnergy, baselineEnergyPj, currentEnergyPj, note);
}

void MetricsTable::setRow(int row, double b, double c, const QString& note)
{
    const std::array<double, ColumnCount> cells = { b, c, c - b };
    for (int column = 0; column < ColumnCount; ++column) {
        QTableWidgetItem* cell = item(row, column);
        const double v = cells.at(column);
        cell->setData(kValueRole, v);
        if (column == Change && !std::isnan(v)) {
            // Relative change reads best for sizes and costs; perplexity/KL as absolute deltas, agreement
            // as percentage points.
            const QString sign = v >= 0 ? QStringLiteral("+") : QString();
            if (row >= Parameters && b != 0) {
                cell->setText(QStringLiteral("%1%2 %").arg(sign).arg(100.0 * v / b, 0, 'f', 1));
            } else if (row == Top1) {
                cell->setText(tr("%1%2 pp").arg(sign).arg(100.0 * v, 0, 'f', 1));
            } else {
                cell->setText(QStringLiteral("%1%2").arg(sign).arg(v, 0, 'g', 4));
            }
        } else {
            cell->setText(format(row, v));
        }
        cell->setToolTip(note);
    }
}

double MetricsTable::value(Row row, Column column) const
{
    const QVariant v = item(row, column)->data(kValueRole);
    return v.isValid() ? v.toDouble() : kNan;
}

} // namespace optiscope::gui
