// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "layer_stats_model.h"

namespace optiscope::gui {

void LayerStatsModel::setResult(accelsim::Workload workload, accelsim::SimulationResult result)
{
    beginResetModel();
    m_workload = std::move(workload);
    m_result = std::move(result);
    endResetModel();
}

void LayerStatsModel::clear() { setResult({}, {}); }

int LayerStatsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_result.layers.size());
}

int LayerStatsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : Count; }

QVariant LayerStatsModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const auto& stats = m_result.layers[static_cast<std::size_t>(index.row())];
    const auto& layer = m_workload.layers[static_cast<std::size_t>(index.row())];
    if (role == Qt::TextAlignmentRole) {
        return index.column() <= Shape ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                       : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    if (role == Qt::ToolTipRole && index.column() == Shape) {
        return tr("A[%1 \u00d7 %2] \u00b7 B[%2 \u00d7 %3]; weights %4 bit, activations %5 bit%6")
            .arg(layer.m)
            .arg(layer.k)
            .arg(layer.n)
            .arg(stats.filter.bits)
            .arg(stats.ifmap.bits)
            .arg(layer.nmM > 1 ? tr(", %1:%2 sparse").arg(layer.nmN).arg(layer.nmM) : QString());
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (index.column()) {
    case Layer:
        return QString::fromStdString(stats.name);
    case Shape:
        return QStringLiteral("%1\u00d7%2\u00d7%3").arg(layer.m).arg(layer.k).arg(layer.n);
    case Cycles:
        return static_cast<qlonglong>(stats.totalCycles);
    case Stalls:
        return static_cast<qlonglong>(stats.stallCycles);
    case Util:
        return QString::number(stats.overallUtilPct, 'f', 1);
    case MacsPerformed:
        return static_cast<qlonglong>(stats.macsPerformed);
    case SramReads:
        return static_cast<qlonglong>(stats.ifmap.sramAccesses + stats.filter.sramAccesses);
    case SramWrites:
        return static_cast<qlonglong>(stats.ofmap.sramAccesses);
    case DramBytes:
        return static_cast<qlonglong>(
            stats.ifmap.dramBytes() + stats.filter.dramBytes() + stats.ofmap.dramBytes() + stats.metadataDramBytes);
    case EnergyNj:
        return QString::number(stats.energy.totalPj() * 1e-3, 'f', 1);
    default:
        return {};
    }
}

QVariant LayerStatsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= Count) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (role == Qt::DisplayRole) {
        static const char* const names[Count] = { QT_TR_NOOP("Matrix product"), QT_TR_NOOP("M\u00d7K\u00d7N"),
            QT_TR_NOOP("Cycles"), QT_TR_NOOP("Stall cycles"), QT_TR_NOOP("Util %"), QT_TR_NOOP("MACs done"),
            QT_TR_NOOP("SRAM reads (words)"), QT_TR_NOOP("SRAM writes (words)"), QT_TR_NOOP("DRAM (bytes)"),
            QT_TR_NOOP("Energy (nJ)") };
        return tr(names[section]);
    }
    if (role == Qt::ToolTipRole) {
        static const char* const tips[Count] = { QT_TR_NOOP("The GEMM as the op trace names it"),
            QT_TR_NOOP("ifmap rows M, reduction K, output columns N"),
            QT_TR_NOOP("Cycles as SCALE-Sim reports them (compute + DRAM stalls)"),
            QT_TR_NOOP("Cycles the array waits for DRAM (limited bandwidth only)"),
            QT_TR_NOOP("MACs done / (cycles \u00d7 PEs)"), QT_TR_NOOP("MACs performed, zeros of sparse weights skipped"),
            QT_TR_NOOP("ifmap + filter words read from the scratchpads"),
            QT_TR_NOOP("ofmap words written to the scratchpad"),
            QT_TR_NOOP("Bytes fetched and written back, weight indices included"),
            QT_TR_NOOP("MACs + SRAM + DRAM energy from the config's energy table") };
        return tr(tips[section]);
    }
    return {};
}

} // namespace optiscope::gui
