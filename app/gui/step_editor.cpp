// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "step_editor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSlider>
#include <QSpinBox>
#include <QStackedWidget>

namespace optiscope::gui {
namespace {
    QJsonValue targetList(const QString& text)
    {
        QJsonArray targets;
        for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            if (!part.trimmed().isEmpty()) {
                targets.append(part.trimmed());
            }
        }
        return targets.size() == 1 ? QJsonValue(targets.at(0)) : QJsonValue(targets);
    }

    QWidget* formPage(QWidget* parent, QFormLayout** form)
    {
        auto* page = new QWidget(parent);
        *form = new QFormLayout(page);
        (*form)->setContentsMargins(0, 0, 0, 0);
        return page;
    }
}

StepEditor::StepEditor(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QFormLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_technique = new QComboBox(this);
    m_technique->setObjectName(QStringLiteral("techniqueCombo"));
    const QList<QPair<QString, QString>> techniques = {
        { tr("Prune: magnitude"),
            tr("Zeroes the weights with the smallest |w| anywhere in each matrix (survey \u00a7V, unstructured "
               "pruning).") },
        { tr("Prune: N:M"),
            tr("Keeps the N largest of every M consecutive input weights, a pattern sparse tensor cores accelerate "
               "(survey \u00a7V, semi-structured pruning).") },
        { tr("Prune: blocks"),
            tr("Zeroes whole blocks of weights with the smallest L2 norm, so hardware can skip them as tiles "
               "(survey \u00a7V, structured pruning).") },
        { tr("Prune: attention heads"),
            tr("Removes whole attention heads: their Q, K, V and output weights become zero (survey \u00a7V, head "
               "pruning).") },
        { tr("Quantize: integer"),
            tr("Rounds weights to a b-bit integer grid with one scale per tensor, channel or group "
               "(survey \u00a7VI, quantization).") },
        { tr("Quantize: number format"),
            tr("Rounds weights to a narrower float format (FP16, BF16, FP8) element by element (survey \u00a7VI, "
               "low-precision formats).") },
    };
    for (int i = 0; i < techniques.size(); ++i) {
        m_technique->addItem(techniques[i].first);
        m_technique->setItemData(i, techniques[i].second, Qt::ToolTipRole);
    }
    m_technique->setToolTip(techniques[0].second);
    layout->addRow(tr("Technique"), m_technique);

    m_targets = new QLineEdit(QStringLiteral("*.weight"), this);
    m_targets->setObjectName(QStringLiteral("targetsEdit"));
    m_targets->setToolTip(tr("Glob patterns over weight names, comma separated; '*' matches any run of characters. "
                             "Only matrices are selected, never biases or norms."));
    layout->addRow(tr("Targets"), m_targets);

    m_pages = new QStackedWidget(this);
    QFormLayout* form = nullptr;

    // Magnitude and block pruning share the sparsity slider, so it sits above the pages.
    auto* sparsityRow = new QHBoxLayout;
    m_sparsity = new QSlider(Qt::Horizontal, this);
    m_sparsity->setObjectName(QStringLiteral("sparsitySlider"));
    m_sparsity->setRange(0, 95);
    m_sparsity->setValue(50);
    m_sparsity->setToolTip(tr("Fraction of the selected weights set to zero."));
    m_sparsityLabel = new QLabel(this);
    m_sparsityLabel->setMinimumWidth(m_sparsityLabel->fontMetrics().horizontalAdvance(QStringLiteral("95 %  ")));
    sparsityRow->addWidget(m_sparsity, 1);
    sparsityRow->addWidget(m_sparsityLabel);
    layout->addRow(tr("Sparsity"), sparsityRow);
    m_pages->addWidget(new QWidget(m_pages)); // magnitude: the slider is all it needs
    auto showSparsity = [this](int value) { m_sparsityLabel->setText(QStringLiteral("%1 %").arg(value)); };
    connect(m_sparsity, &QSlider::valueChanged, this, showSparsity);
    showSparsity(m_sparsity->value());

    QWidget* nm = formPage(m_pages, &form);
    m_nm = new QComboBox(nm);
    for (const char* pattern : { "1:2", "2:4", "1:4", "4:8" }) {
        m_nm->addItem(QString::fromLatin1(pattern));
    }
    m_nm->setCurrentIndex(1);
    m_nm->setToolTip(tr("Keep N of every M consecutive input weights; M must divide the input dimension."));
    form->addRow(tr("Pattern N:M"), m_nm);
    m_pages->addWidget(nm);

    QWidget* block = formPage(m_pages, &form);
    auto* blockRow = new QHBoxLayout;
    m_blockRows = new QSpinBox(block);
    m_blockCols = new QSpinBox(block);
    for (QSpinBox* spin : { m_blockRows, m_blockCols }) {
        spin->setRange(1, 1024);
        spin->setValue(4);
        spin->setToolTip(tr("Must divide the matrix dimension."));
        blockRow->addWidget(spin);
    }
    m_blockRows->setPrefix(tr("out "));
    m_blockCols->setPrefix(tr("in "));
    form->addRow(tr("Block"), blockRow);
    m_pages->addWidget(block);

    QWidget* heads = formPage(m_pages, &form);
    m_heads = new QLineEdit(QStringLiteral("0:0"), heads);
    m_heads->setToolTip(tr("layer:head pairs, 0-based, separated by commas or spaces, e.g. 0:1, 1:0"));
    form->addRow(tr("Heads"), m_heads);
    m_pages->addWidget(heads);

    QWidget* quant = formPage(m_pages, &form);
    m_bits = new QSpinBox(quant);
    m_bits->setRange(2, 16);
    m_bits->setValue(8);
    m_bits->setSuffix(tr(" bits"));
    m_granularity = new QComboBox(quant);
    m_granularity->addItem(tr("per tensor"), QStringLiteral("per_tensor"));
    m_granularity->addItem(tr("per channel"), QStringLiteral("per_channel"));
    m_granularity->addItem(tr("group"), QStringLiteral("group"));
    m_granularity->setCurrentIndex(1);
    m_groupSize = new QSpinBox(quant);
    m_groupSize->setRange(1, 4096);
    m_groupSize->setValue(32);
    m_groupSize->setToolTip(tr("Consecutive input weights sharing one scale; must divide the input dimension."));
    m_symmetric = new QCheckBox(tr("Symmetric"), quant);
    m_symmetric->setChecked(true);
    m_symmetric->setToolTip(tr("Symmetric: zero point 0; off: an integer zero point per group."));
    form->addRow(tr("Bit width"), m_bits);
    form->addRow(tr("Granularity"), m_granularity);
    form->addRow(tr("Group size"), m_groupSize);
    form->addRow(QString(), m_symmetric);
    m_pages->addWidget(quant);
    connect(m_granularity, &QComboBox::currentIndexChanged, this,
        [this] { m_groupSize->setEnabled(m_granularity->currentData().toString() == QLatin1String("group")); });
    m_groupSize->setEnabled(false);

    QWidget* format = formPage(m_pages, &form);
    m_format = new QComboBox(format);
    m_format->addItem(QStringLiteral("FP16"), QStringLiteral("fp16"));
    m_format->addItem(QStringLiteral("BF16"), QStringLiteral("bf16"));
    m_format->addItem(QStringLiteral("FP8 E4M3"), QStringLiteral("fp8_e4m3"));
    m_format->addItem(QStringLiteral("FP8 E5M2"), QStringLiteral("fp8_e5m2"));
    form->addRow(tr("Format"), m_format);
    m_pages->addWidget(format);

    layout->addRow(m_pages);
    for (int i = 1; i < m_pages->count(); ++i) {
        m_pages->widget(i)->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Ignored);
    }
    connect(m_technique, &QComboBox::currentIndexChanged, this, [this](int index) {
        // A stacked widget is as tall as its tallest page; let only the shown page count.
        for (int i = 0; i < m_pages->count(); ++i) {
            m_pages->widget(i)->setSizePolicy(
                QSizePolicy::Preferred, i == index ? QSizePolicy::Preferred : QSizePolicy::Ignored);
        }
        m_pages->setCurrentIndex(index);
        m_pages->adjustSize();
        m_sparsity->setEnabled(index == PruneMagnitude || index == PruneBlock);
        m_technique->setToolTip(m_technique->itemData(index, Qt::ToolTipRole).toString());
        m_targets->setEnabled(index != PruneHeads);
    });
}

void StepEditor::setDefaultTargets(const QString& pattern) { m_targets->setText(pattern); }

QJsonObject StepEditor::step() const
{
    QJsonObject step;
    const auto technique = static_cast<Technique>(m_technique->currentIndex());
    if (technique != PruneHeads) {
        step.insert(QStringLiteral("targets"), targetList(m_targets->text()));
    }
    const double ratio = m_sparsity->value() / 100.0;
    switch (technique) {
    case PruneMagnitude:
        step.insert(QStringLiteral("type"), QStringLiteral("prune"));
        step.insert(QStringLiteral("pattern"), QStringLiteral("unstructured"));
        step.insert(QStringLiteral("ratio"), ratio);
        break;
    case PruneNM: {
        const QStringList nm = m_nm->currentText().split(QLatin1Char(':'));
        step.insert(QStringLiteral("type"), QStringLiteral("prune"));
        step.insert(QStringLiteral("pattern"), QStringLiteral("n:m"));
        step.insert(QStringLiteral("n"), nm.at(0).toInt());
        step.insert(QStringLiteral("m"), nm.at(1).toInt());
        break;
    }
    case PruneBlock:
        step.insert(QStringLiteral("type"), QStringLiteral("prune"));
        step.insert(QStringLiteral("pattern"), QStringLiteral("block"));
        step.insert(QStringLiteral("ratio"), ratio);
        step.insert(QStringLiteral("block"), QJsonArray { m_blockRows->value(), m_blockCols->value() });
        break;
    case PruneHeads: {
        QJsonArray heads;
        static const QRegularExpression pair(QStringLiteral("(\\d+)\\s*:\\s*(\\d+)"));
        auto it = pair.globalMatch(m_heads->text());
        while (it.hasNext()) {
            const auto match = it.next();
            heads.append(QJsonArray { match.captured(1).toInt(), match.captured(2).toInt() });
        }
        step.insert(QStringLiteral("type"), QStringLiteral("prune_heads"));
        step.insert(QStringLiteral("heads"), heads);
        break;
    }
    case QuantizeInt:
        step.insert(QStringLiteral("type"), QStringLiteral("quantize"));
        step.insert(QStringLiteral("format"), QStringLiteral("int"));
        step.insert(QStringLiteral("bits"), m_bits->value());
        step.insert(QStringLiteral("symmetric"), m_symmetric->isChecked());
        step.insert(QStringLiteral("granularity"), m_granularity->currentData().toString());
        if (m_granularity->currentData().toString() == QLatin1String("group")) {
            step.insert(QStringLiteral("group_size"), m_groupSize->value());
        }
        break;
    case NumberFormat:
        step.insert(QStringLiteral("type"), QStringLiteral("quantize"));
        step.insert(QStringLiteral("format"), m_format->currentData().toString());
        break;
    }
    return step;
}

} // namespace optiscope::gui
