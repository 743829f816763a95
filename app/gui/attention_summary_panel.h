// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The attention summaries dock: the head view (token-to-token lines, one head or the whole layer),
// the mean entropy of every head, and the attention rollout through the layers. Follows the window's
// layer/head selection; a click on the entropy grid selects a head.
#include "attention_data.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QTabWidget;

namespace optiscope::widgets {
class AttentionHeatmapView;
class AttentionLinesView;
class HeadValueGridView;
}

namespace optiscope::gui {

class AttentionSummaryPanel : public QWidget {
    Q_OBJECT
public:
    explicit AttentionSummaryPanel(QWidget* parent = nullptr);

    // shown: what the other attention views show (current, baseline or their difference); probabilities:
    // the run the summaries are computed on (entropy and rollout need probabilities, not differences).
    void setData(widgets::AttentionDataPtr shown, widgets::AttentionDataPtr probabilities);
    void setSelection(int layer, int head);

    widgets::AttentionLinesView* linesView() const { return m_lines; }
    widgets::HeadValueGridView* entropyView() const { return m_entropy; }
    widgets::AttentionHeatmapView* rolloutView() const { return m_rollout; }
    QTabWidget* tabs() const { return m_tabs; }

signals:
    void headSelected(int layer, int head);

private:
    QTabWidget* m_tabs = nullptr;
    QComboBox* m_linesMode = nullptr;
    widgets::AttentionLinesView* m_lines = nullptr;
    widgets::HeadValueGridView* m_entropy = nullptr;
    widgets::AttentionHeatmapView* m_rollout = nullptr;
    QLabel* m_rolloutNote = nullptr;
};

} // namespace optiscope::gui
