// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Baseline vs current compression metrics, one row per metric.
#include "optiscope/core/compression/compression_metrics.h"

#include <QTableWidget>

#include <optional>

namespace optiscope::gui {

class MetricsTable : public QTableWidget {
    Q_OBJECT
public:
    enum Row {
        Perplexity,
        Kl,
        Top1,
        Parameters,
        Nonzeros,
        BytesDense,
        BytesSparse,
        MacsDense,
        MacsEffective,
        SimulatedCycles,
        SimulatedEnergy,
        RowCount
    };
    enum Column { Baseline, Current, Change, ColumnCount };

    explicit MetricsTable(QWidget* parent = nullptr);

    // Without metrics every cell shows "—" and `note` (why) goes into the tooltip.
    void setMetrics(const std::optional<core::CompressionMetrics>& baseline,
        const std::optional<core::CompressionMetrics>& current, const QString& note = {});
    void clearMetrics(const QString& note = {});
    // The accelerator's totals for the baseline and the current run (cycles, energy in pJ); NaN: unknown.
    void setSimulated(double baselineCycles, double currentCycles, double baselineEnergyPj, double currentEnergyPj,
        const QString& note = {});

    // The number shown in a cell (NaN for "—"); for tests.
    double value(Row row, Column column) const;

private:
    void setRow(int row, double baseline, double current, const QString& note);
};

} // namespace optiscope::gui
