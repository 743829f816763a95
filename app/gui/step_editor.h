// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Edits one recipe step with the widgets that fit its technique; step() is the JSON step of
// RECIPE_SCHEMA.md. Every technique family of the compression engine has an entry; each entry's
// tooltip says what it does in one sentence and which survey section it comes from.
#include <QJsonObject>
#include <QList>
#include <QWidget>

#include <functional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QSlider;
class QSpinBox;
class QStackedWidget;

namespace optiscope::gui {

class StepEditor : public QWidget {
    Q_OBJECT
public:
    // Combo order; new entries go at the end so saved indices and tests keep their meaning.
    enum Technique {
        PruneMagnitude, // unstructured; saliency magnitude / Wanda / SparseGPT
        PruneNM,
        PruneBlock,
        PruneHeads,
        QuantizeInt,
        NumberFormat,
        PruneBankBalanced,
        PruneNeurons,
        PruneHeadsByImportance,
        PruneLayers,
        QuantizeLowBit, // ternary / binary
        QuantizeBlockFloat,
        PruneTokens,
        QuantizeActivations, // dynamic per token / per tensor, or static (calibrated)
        LlmInt8,
        QuantizeGobo,
    };

    explicit StepEditor(QWidget* parent = nullptr);

    QJsonObject step() const;
    void setDefaultTargets(const QString& pattern); // e.g. "h.*.weight" for GPT-2's linear weights

    QComboBox* techniqueCombo() const { return m_technique; }
    QSlider* sparsitySlider() const { return m_sparsity; }
    QLineEdit* targetsEdit() const { return m_targets; }

private:
    struct Entry {
        QString name;
        QString tooltip;
        bool usesSparsity = false;
        bool usesTargets = true;
        std::function<void(QJsonObject&)> fill; // the technique's fields (type included)
    };
    // step_editor_pages.cpp: one page (and entry) per technique, in Technique order.
    void addPage(Entry entry, QWidget* page);
    void buildPruningPages(); // PruneMagnitude … PruneHeads
    void buildQuantizationPages(); // QuantizeInt, NumberFormat
    void buildStructuredPruningPages(); // PruneBankBalanced … PruneLayers
    void buildLowBitPages(); // QuantizeLowBit, QuantizeBlockFloat
    void buildTokenPage(); // PruneTokens
    void buildOutlierPages(); // QuantizeActivations, LlmInt8, QuantizeGobo
    QComboBox* saliencyCombo(QWidget* parent) const;
    QWidget* granularityRows(QWidget* page, QFormLayout* form, QComboBox** granularity, QSpinBox** groupSize);
    void showTechnique(int index);

    QList<Entry> m_entries;
    QComboBox* m_technique = nullptr;
    QLineEdit* m_targets = nullptr;
    QStackedWidget* m_pages = nullptr;
    QSlider* m_sparsity = nullptr;
    QLabel* m_sparsityLabel = nullptr;
};

} // namespace optiscope::gui
