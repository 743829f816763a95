// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "step_editor.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QSlider>
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
}

StepEditor::StepEditor(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QFormLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_technique = new QComboBox(this);
    m_technique->setObjectName(QStringLiteral("techniqueCombo"));
    layout->addRow(tr("Technique"), m_technique);

    m_targets = new QLineEdit(QStringLiteral("*.weight"), this);
    m_targets->setObjectName(QStringLiteral("targetsEdit"));
    m_targets->setToolTip(tr("Glob patterns over weight names, comma separated; '*' matches any run of characters. "
                             "Only matrices are selected, never biases or norms."));
    layout->addRow(tr("Targets"), m_targets);

    // Several pruning techniques share the sparsity slider, so it sits above the pages.
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
    auto showSparsity = [this](int value) { m_sparsityLabel->setText(QStringLiteral("%1 %").arg(value)); };
    connect(m_sparsity, &QSlider::valueChanged, this, showSparsity);
    showSparsity(m_sparsity->value());

    m_pages = new QStackedWidget(this);
    buildPruningPages();
    buildQuantizationPages();
    buildStructuredPruningPages();
    buildLowBitPages();
    buildTokenPage();
    buildOutlierPages();
    Q_ASSERT(m_entries.size() == QuantizeGobo + 1);
    layout->addRow(m_pages);
    connect(m_technique, &QComboBox::currentIndexChanged, this, &StepEditor::showTechnique);
    showTechnique(0);
}

void StepEditor::addPage(Entry entry, QWidget* page)
{
    m_technique->addItem(entry.name);
    m_technique->setItemData(m_technique->count() - 1, entry.tooltip, Qt::ToolTipRole);
    m_entries.append(std::move(entry));
    m_pages->addWidget(page);
}

void StepEditor::showTechnique(int index)
{
    // A stacked widget is as tall as its tallest page; let only the shown page count.
    for (int i = 0; i < m_pages->count(); ++i) {
        m_pages->widget(i)->setSizePolicy(QSizePolicy::Preferred, i == index ? QSizePolicy::Preferred : QSizePolicy::Ignored);
    }
    m_pages->setCurrentIndex(index);
    m_pages->adjustSize();
    const Entry& entry = m_entries.at(index);
    m_sparsity->setEnabled(entry.usesSparsity);
    m_targets->setEnabled(entry.usesTargets);
    m_technique->setToolTip(entry.tooltip);
}

void StepEditor::setDefaultTargets(const QString& pattern) { m_targets->setText(pattern); }

QJsonObject StepEditor::step() const
{
    QJsonObject step;
    const Entry& entry = m_entries.at(m_technique->currentIndex());
    if (entry.usesTargets) {
        step.insert(QStringLiteral("targets"), targetList(m_targets->text()));
    }
    if (entry.usesSparsity) {
        step.insert(QStringLiteral("ratio"), m_sparsity->value() / 100.0);
    }
    entry.fill(step);
    return step;
}

} // namespace optiscope::gui
