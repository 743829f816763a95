// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The array the simulator models, as a form: size, dataflow, scratchpads, DRAM bandwidth, operand
// widths and the sparse / dual-int4 PE options. Other parameters (energy table, offsets, clock) come
// from an opened .cfg / .json file and are kept as they are.
#include "optiscope/accelsim/array_config.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QSpinBox;

namespace optiscope::gui {

class AcceleratorConfigForm : public QWidget {
    Q_OBJECT
public:
    explicit AcceleratorConfigForm(QWidget* parent = nullptr);

    // The form's values on top of the last params set; not validated (ArrayConfig::create does that).
    accelsim::ArrayParams params() const;
    // Shows params without emitting changed().
    void setParams(const accelsim::ArrayParams& params);

    QSpinBox* rowsSpin() const { return m_rows; }
    QSpinBox* colsSpin() const { return m_cols; }
    QComboBox* dataflowCombo() const { return m_dataflow; }
    QCheckBox* sparseCheck() const { return m_sparse; }

signals:
    void changed();

private:
    accelsim::ArrayParams m_base;
    QSpinBox* m_rows = nullptr;
    QSpinBox* m_cols = nullptr;
    QComboBox* m_dataflow = nullptr;
    QSpinBox* m_ifmapKiB = nullptr;
    QSpinBox* m_filterKiB = nullptr;
    QSpinBox* m_ofmapKiB = nullptr;
    QComboBox* m_bandwidthMode = nullptr;
    QSpinBox* m_bandwidth = nullptr;
    QSpinBox* m_bits = nullptr;
    QCheckBox* m_sparse = nullptr;
    QCheckBox* m_dualInt4 = nullptr;
    QCheckBox* m_scaleSim = nullptr;
};

} // namespace optiscope::gui
