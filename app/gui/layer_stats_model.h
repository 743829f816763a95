// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// One row per simulated matrix product: its shape, cycles, utilization, SRAM/DRAM traffic and energy, with
// the units in the headers. Numbers are returned as numbers (Qt::DisplayRole) so the view sorts them as such.
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/workload.h"

#include <QAbstractTableModel>

namespace optiscope::gui {

class LayerStatsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Layer, Shape, Cycles, Stalls, Util, MacsPerformed, SramReads, SramWrites, DramBytes, EnergyNj, Count };

    using QAbstractTableModel::QAbstractTableModel;

    void setResult(accelsim::Workload workload, accelsim::SimulationResult result);
    void clear();
    const accelsim::SimulationResult& result() const { return m_result; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    accelsim::Workload m_workload;
    accelsim::SimulationResult m_result;
};

} // namespace optiscope::gui
