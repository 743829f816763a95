// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "accelerator_config_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QSignalBlocker>
#include <QSpinBox>

#include <algorithm>

namespace optiscope::gui {

namespace {

    QSpinBox* makeSpin(QWidget* parent, int minimum, int maximum, const QString& suffix, const QString& tip)
    {
        auto* spin = new QSpinBox(parent);
        spin->setRange(minimum, maximum);
        spin->setSuffix(suffix);
        spin->setToolTip(tip);
        spin->setKeyboardTracking(false); // typing "128" must not simulate a 1- and a 12-wide array first
        return spin;
    }

    int clampToInt(std::int64_t value) { return static_cast<int>(std::clamp<std::int64_t>(value, 0, 1 << 30)); }

} // namespace

AcceleratorConfigForm::AcceleratorConfigForm(QWidget* parent)
    : QWidget(parent)
{
    m_rows = makeSpin(this, 1, 1024, tr(" rows"), tr("PE rows R of the systolic array"));
    m_cols = makeSpin(this, 1, 1024, tr(" columns"), tr("PE columns C of the systolic array"));
    m_dataflow = new QComboBox(this);
    m_dataflow->addItem(tr("Weight stationary (WS)"), static_cast<int>(accelsim::Dataflow::WeightStationary));
    m_dataflow->addItem(tr("Output stationary (OS)"), static_cast<int>(accelsim::Dataflow::OutputStationary));
    m_dataflow->addItem(tr("Input stationary (IS)"), static_cast<int>(accelsim::Dataflow::InputStationary));
    m_dataflow->setToolTip(tr("Which operand stays in the PEs while the others stream through (SCALE-Sim's "
                              "mapping: OS Sr=M Sc=N T=K; WS Sr=K Sc=N T=M; IS Sr=K Sc=M T=N)"));
    m_ifmapKiB = makeSpin(this, 1, 1 << 20, tr(" KiB"), tr("Input (ifmap) scratchpad, both halves of the double buffer"));
    m_filterKiB = makeSpin(this, 1, 1 << 20, tr(" KiB"), tr("Weight (filter) scratchpad, both halves"));
    m_ofmapKiB = makeSpin(this, 1, 1 << 20, tr(" KiB"), tr("Output (ofmap) scratchpad, both halves"));
    m_bandwidthMode = new QComboBox(this);
    m_bandwidthMode->addItem(tr("As needed (CALC, no stalls)"), static_cast<int>(accelsim::BandwidthMode::Calc));
    m_bandwidthMode->addItem(tr("Limited (USER): stalls"), static_cast<int>(accelsim::BandwidthMode::User));
    m_bandwidthMode->setToolTip(tr("CALC: DRAM delivers whatever the array needs (SCALE-Sim's default). USER: each "
                                   "operand has an interface of the width below and folds stall when it is short."));
    m_bandwidth = makeSpin(this, 1, 1 << 20, tr(" B/cycle"), tr("DRAM interface width per operand, USER mode"));
    m_bits = makeSpin(this, 1, 32, tr(" bit"), tr("Operand width when the model does not say (dense fp32 layers "
                                                  "of an uncompressed model are traced at 32 bits)"));
    m_sparse = new QCheckBox(tr("Skip N:M zeros"), this);
    m_sparse->setToolTip(tr("The PEs store N:M-sparse weights compressed and skip their zeros (WS and OS); each "
                            "weight carries a log2(M)-bit index (survey \u00a7V, N:M sparsity)"));
    m_dualInt4 = new QCheckBox(tr("Two int4 MACs per PE"), this);
    m_dualInt4->setToolTip(tr("A PE multiplies two pairs of \u22644-bit operands per cycle (WS and OS, dense layers)"));
    m_scaleSim = new QCheckBox(tr("SCALE-Sim compatible"), this);
    m_scaleSim->setToolTip(tr("Reproduce SCALE-Sim v2's numbers exactly, its known off-by-ones included"));

    auto* layout = new QFormLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* size = new QHBoxLayout;
    size->addWidget(m_rows);
    size->addWidget(m_cols);
    layout->addRow(tr("Array"), size);
    layout->addRow(tr("Dataflow"), m_dataflow);
    auto* sram = new QHBoxLayout;
    sram->addWidget(m_ifmapKiB);
    sram->addWidget(m_filterKiB);
    sram->addWidget(m_ofmapKiB);
    layout->addRow(tr("SRAM in / w / out"), sram);
    auto* dram = new QHBoxLayout;
    dram->addWidget(m_bandwidthMode, 1);
    dram->addWidget(m_bandwidth);
    layout->addRow(tr("DRAM"), dram);
    auto* options = new QHBoxLayout;
    options->addWidget(m_bits);
    options->addWidget(m_sparse);
    options->addWidget(m_dualInt4);
    options->addWidget(m_scaleSim);
    options->addStretch();
    layout->addRow(tr("PEs"), options);

    setParams(m_base);
    for (QSpinBox* spin : { m_rows, m_cols, m_ifmapKiB, m_filterKiB, m_ofmapKiB, m_bandwidth, m_bits }) {
        connect(spin, &QSpinBox::valueChanged, this, &AcceleratorConfigForm::changed);
    }
    for (QComboBox* combo : { m_dataflow, m_bandwidthMode }) {
        connect(combo, &QComboBox::currentIndexChanged, this, &AcceleratorConfigForm::changed);
    }
    connect(m_bandwidthMode, &QComboBox::currentIndexChanged, this,
        [this] { m_bandwidth->setEnabled(m_bandwidthMode->currentData().toInt() != 0); });
    for (QCheckBox* check : { m_sparse, m_dualInt4, m_scaleSim }) {
        connect(check, &QCheckBox::toggled, this, &AcceleratorConfigForm::changed);
    }
}

accelsim::ArrayParams AcceleratorConfigForm::params() const
{
    accelsim::ArrayParams p = m_base;
    p.rows = m_rows->value();
    p.cols = m_cols->value();
    p.dataflow = static_cast<accelsim::Dataflow>(m_dataflow->currentData().toInt());
    p.ifmapSramKiB = m_ifmapKiB->value();
    p.filterSramKiB = m_filterKiB->value();
    p.ofmapSramKiB = m_ofmapKiB->value();
    p.bandwidthMode = static_cast<accelsim::BandwidthMode>(m_bandwidthMode->currentData().toInt());
    // A file may give each operand its own width; the form edits the first and keeps the others until changed.
    if (p.bandwidthMode == accelsim::BandwidthMode::User
        && (p.bandwidthWordsPerCycle.empty() || p.bandwidthWordsPerCycle[0] != m_bandwidth->value())) {
        p.bandwidthWordsPerCycle = { m_bandwidth->value() };
    }
    p.ifmapBits = p.filterBits = p.ofmapBits = m_bits->value();
    p.sparseWeights = m_sparse->isChecked();
    p.dualInt4Macs = m_dualInt4->isChecked();
    p.scaleSimCompatible = m_scaleSim->isChecked();
    return p;
}

void AcceleratorConfigForm::setParams(const accelsim::ArrayParams& params)
{
    m_base = params;
    const QSignalBlocker blockers[] = { QSignalBlocker(m_rows), QSignalBlocker(m_cols), QSignalBlocker(m_dataflow),
        QSignalBlocker(m_ifmapKiB), QSignalBlocker(m_filterKiB), QSignalBlocker(m_ofmapKiB),
        QSignalBlocker(m_bandwidthMode), QSignalBlocker(m_bandwidth), QSignalBlocker(m_bits), QSignalBlocker(m_sparse),
        QSignalBlocker(m_dualInt4), QSignalBlocker(m_scaleSim) };
    m_rows->setValue(clampToInt(params.rows));
    m_cols->setValue(clampToInt(params.cols));
    m_dataflow->setCurrentIndex(m_dataflow->findData(static_cast<int>(params.dataflow)));
    m_ifmapKiB->setValue(clampToInt(params.ifmapSramKiB));
    m_filterKiB->setValue(clampToInt(params.filterSramKiB));
    m_ofmapKiB->setValue(clampToInt(params.ofmapSramKiB));
    m_bandwidthMode->setCurrentIndex(m_bandwidthMode->findData(static_cast<int>(params.bandwidthMode)));
    m_bandwidth->setValue(params.bandwidthWordsPerCycle.empty() ? 16 : clampToInt(params.bandwidthWordsPerCycle[0]));
    m_bandwidth->setEnabled(params.bandwidthMode == accelsim::BandwidthMode::User);
    m_bits->setValue(std::max(params.ifmapBits, params.filterBits));
    m_sparse->setChecked(params.sparseWeights);
    m_dualInt4->setChecked(params.dualInt4Macs);
    m_scaleSim->setChecked(params.scaleSimCompatible);
}

} // namespace optiscope::gui
