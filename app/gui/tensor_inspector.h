// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The model's weight matrices in a tree (layers -> tensors, each with its sparsity and format), and for
// the selected one its mask (SparsityView) and value histogram with quantization levels (HistogramView).
// Follows the current model: a new recipe redraws the selected tensor in place.
#include "histogram_view.h"
#include "run_snapshot.h"

#include "optiscope/core/model.h"

#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QTreeWidget;
class QTreeWidgetItem;

namespace optiscope::widgets {
class SparsityView;
}

namespace optiscope::gui {

class TensorInspector : public QWidget {
    Q_OBJECT
public:
    explicit TensorInspector(QWidget* parent = nullptr);

    void setModel(std::shared_ptr<const core::Model> model);
    // The last run: its captured linear inputs feed the histogram's "Input activations" mode.
    void setRun(std::shared_ptr<const RunSnapshot> run);
    // Stored tensor name; false when the model has no such matrix.
    bool selectTensor(const QString& name);
    QString selectedTensor() const;

    QTreeWidget* tree() const { return m_tree; }
    widgets::SparsityView* sparsityView() const { return m_sparsity; }
    widgets::HistogramView* histogramView() const { return m_histogram; }
    QComboBox* histogramSourceCombo() const { return m_histogramSource; } // 0 weights, 1 input activations
    QString summaryText() const;

signals:
    void tensorShown(const QString& name);

private:
    void rebuildTree();
    void showSelected();
    void showHistogram(const QString& name, widgets::HistogramData weights);

    std::shared_ptr<const core::Model> m_model;
    QTreeWidget* m_tree = nullptr;
    widgets::SparsityView* m_sparsity = nullptr;
    widgets::HistogramView* m_histogram = nullptr;
    QCheckBox* m_logScale = nullptr;
    QComboBox* m_histogramSource = nullptr;
    std::shared_ptr<const RunSnapshot> m_run;
    QLabel* m_summary = nullptr;
};

} // namespace optiscope::gui
