// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "attention_summary_panel.h"

#include "attention_heatmap_view.h"
#include "attention_lines_view.h"
#include "attention_summary.h"
#include "head_value_grid_view.h"
#include "view_export.h"

#include <QComboBox>
#include <QLabel>
#include <QScrollArea>
#include <QTabWidget>
#include <QVBoxLayout>

namespace optiscope::gui {

AttentionSummaryPanel::AttentionSummaryPanel(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_tabs = new QTabWidget(this);
    layout->addWidget(m_tabs);

    auto* linesPage = new QWidget(m_tabs);
    auto* linesLayout = new QVBoxLayout(linesPage);
    linesLayout->setContentsMargins(4, 4, 4, 4);
    m_linesMode = new QComboBox(linesPage);
    m_linesMode->addItem(tr("Selected head"));
    m_linesMode->addItem(tr("All heads of the layer"));
    m_linesMode->setToolTip(tr("Hover a token to keep only its lines"));
    linesLayout->addWidget(m_linesMode);
    auto* scroll = new QScrollArea(linesPage);
    scroll->setWidgetResizable(true);
    m_lines = new widgets::AttentionLinesView(scroll);
    widgets::installViewExport(m_lines, QStringLiteral("attention-head-view"));
    scroll->setWidget(m_lines);
    linesLayout->addWidget(scroll, 1);
    m_tabs->addTab(linesPage, tr("Head view"));
    m_tabs->setTabToolTip(0, tr("Which key each query attends to, as lines (after BertViz)"));

    m_entropy = new widgets::HeadValueGridView(m_tabs);
    widgets::installViewExport(m_entropy, QStringLiteral("attention-entropy"));
    m_tabs->addTab(m_entropy, tr("Entropy"));
    m_tabs->setTabToolTip(1, tr("Mean entropy of each head's attention rows: low = focused heads (previous token, "
                                "first token), high = heads that average broadly"));

    auto* rolloutPage = new QWidget(m_tabs);
    auto* rolloutLayout = new QVBoxLayout(rolloutPage);
    rolloutLayout->setContentsMargins(4, 4, 4, 4);
    m_rolloutNote = new QLabel(tr("Attention rollout (Abnar & Zuidema, 2020): each layer's heads averaged, half "
                                  "weight kept on the residual path, multiplied through the layers. Row = position, "
                                  "column = the input token it draws on."),
        rolloutPage);
    m_rolloutNote->setWordWrap(true);
    rolloutLayout->addWidget(m_rolloutNote);
    m_rollout = new widgets::AttentionHeatmapView(rolloutPage);
    m_rollout->setCaption(tr("Rollout through layers 0\u2013%1 \u00b7 %2 tokens"), tr("share of the input token"));
    widgets::installViewExport(m_rollout, QStringLiteral("attention-rollout"));
    rolloutLayout->addWidget(m_rollout, 1);
    m_tabs->addTab(rolloutPage, tr("Rollout"));
    m_tabs->setTabToolTip(2, tr("How much each position draws on each input token through all layers so far"));

    connect(m_linesMode, &QComboBox::currentIndexChanged, this, [this](int index) { m_lines->setAllHeads(index == 1); });
    connect(m_entropy, &widgets::HeadValueGridView::headSelected, this, &AttentionSummaryPanel::headSelected);
}

void AttentionSummaryPanel::setData(widgets::AttentionDataPtr shown, widgets::AttentionDataPtr probabilities)
{
    m_lines->setData(std::move(shown));
    if (!probabilities || !probabilities->isValid() || probabilities->signedValues) {
        m_entropy->setValues(0, 0, {}, 1.0f, QString());
        m_rollout->setData(nullptr);
        return;
    }
    const float maximum = widgets::maximumMeanEntropy(*probabilities);
    m_entropy->setValues(probabilities->layers, probabilities->heads, widgets::headEntropies(*probabilities), maximum,
        tr("mean row entropy (bits)"));
    m_entropy->setTitle(tr("Mean attention entropy per head \u00b7 %1 tokens \u00b7 uniform attention = %2 bits")
                            .arg(probabilities->tokens)
                            .arg(maximum, 0, 'f', 2));
    m_rollout->setData(widgets::attentionRollout(*probabilities));
}

void AttentionSummaryPanel::setSelection(int layer, int head)
{
    m_lines->setSelection(layer, head);
    m_entropy->setCurrent(layer, head);
    m_rollout->setSelection(layer, 0);
}

} // namespace optiscope::gui
