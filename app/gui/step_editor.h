// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Edits one recipe step with the widgets that fit its technique; step() is the JSON step of
// RECIPE_SCHEMA.md.
#include <QJsonObject>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSlider;
class QSpinBox;
class QStackedWidget;

namespace optiscope::gui {

class StepEditor : public QWidget {
    Q_OBJECT
public:
    enum Technique { PruneMagnitude, PruneNM, PruneBlock, PruneHeads, QuantizeInt, NumberFormat };

    explicit StepEditor(QWidget* parent = nullptr);

    QJsonObject step() const;
    void setDefaultTargets(const QString& pattern); // e.g. "h.*.weight" for GPT-2's linear weights

    QComboBox* techniqueCombo() const { return m_technique; }
    QSlider* sparsitySlider() const { return m_sparsity; }
    QLineEdit* targetsEdit() const { return m_targets; }

private:
    QComboBox* m_technique = nullptr;
    QLineEdit* m_targets = nullptr;
    QStackedWidget* m_pages = nullptr;
    QSlider* m_sparsity = nullptr;
    QLabel* m_sparsityLabel = nullptr;
    QComboBox* m_nm = nullptr;
    QSpinBox* m_blockRows = nullptr;
    QSpinBox* m_blockCols = nullptr;
    QLineEdit* m_heads = nullptr;
    QSpinBox* m_bits = nullptr;
    QComboBox* m_granularity = nullptr;
    QSpinBox* m_groupSize = nullptr;
    QCheckBox* m_symmetric = nullptr;
    QComboBox* m_format = nullptr;
};

} // namespace optiscope::gui
