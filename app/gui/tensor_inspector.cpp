// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "tensor_inspector.h"

#include "activation_view_data.h"
#include "histogram_view.h"
#include "sparsity_view.h"
#include "tensor_view_data.h"
#include "view_export.h"

#include "optiscope/core/compression/matrix_shape.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QRegularExpression>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <map>

namespace optiscope::gui {

namespace {
    constexpr int kNameRole = Qt::UserRole + 1;

    // "transformer.h.3.attn.c_attn.weight" -> 3; -1 outside the blocks.
    int layerOf(const QString& name)
    {
        static const QRegularExpression pattern(QStringLiteral("(?:^|\\.)(?:h|layer|layers)\\.(\\d+)\\."));
        const auto match = pattern.match(name);
        return match.hasMatch() ? match.captured(1).toInt() : -1;
    }

    QString shortName(const QString& name)
    {
        static const QRegularExpression prefix(
            QStringLiteral("^(?:transformer\\.|bert\\.|vit\\.)?(?:encoder\\.)?(?:h|layer|layers)\\.\\d+\\."));
        QString result = name;
        return result.remove(prefix);
    }
}

TensorInspector::TensorInspector(QWidget* parent)
    : QWidget(parent)
{
    m_tree = new QTreeWidget(this);
    m_tree->setHeaderLabels({ tr("Weight matrix"), tr("Shape [out \u00d7 in]"), tr("Nonzero"), tr("Bits") });
    m_tree->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_tree->setToolTip(tr("The model's weight matrices by layer; select one to see its mask and values"));
    connect(m_tree, &QTreeWidget::currentItemChanged, this, &TensorInspector::showSelected);

    m_sparsity = new widgets::SparsityView(this);
    m_sparsity->setObjectName(QStringLiteral("sparsityView"));
    m_sparsity->setToolTip(tr("Wheel or +/\u2212 to zoom, drag to pan, double-click or 0 to fit"));
    widgets::installViewExport(m_sparsity, QStringLiteral("sparsity"));
    m_histogram = new widgets::HistogramView(this);
    m_histogram->setObjectName(QStringLiteral("histogramView"));
    widgets::installViewExport(m_histogram, QStringLiteral("histogram"));
    m_logScale = new QCheckBox(tr("Log count axis"), this);
    m_logScale->setChecked(true);
    connect(m_logScale, &QCheckBox::toggled, m_histogram, &widgets::HistogramView::setLogScale);
    m_histogramSource = new QComboBox(this);
    m_histogramSource->addItem(tr("Weights (base values, recipe's levels)"));
    m_histogramSource->addItem(tr("Input activations (last run)"));
    m_histogramSource->setToolTip(tr("The selected layer's input as the last run fed it, with what activation "
                                     "quantization does to it (survey \u00a7VI)"));
    connect(m_histogramSource, &QComboBox::currentIndexChanged, this, &TensorInspector::showSelected);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* histogramPanel = new QWidget(this);
    auto* histogramLayout = new QVBoxLayout(histogramPanel);
    histogramLayout->setContentsMargins(0, 0, 0, 0);
    auto* histogramControls = new QHBoxLayout;
    histogramControls->addWidget(m_histogramSource, 1);
    histogramControls->addWidget(m_logScale);
    histogramLayout->addLayout(histogramControls);
    histogramLayout->addWidget(m_histogram, 1);
    auto* views = new QSplitter(Qt::Vertical, this);
    views->addWidget(m_sparsity);
    views->addWidget(histogramPanel);
    views->setStretchFactor(0, 3);
    views->setStretchFactor(1, 2);
    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_summary);
    rightLayout->addWidget(views, 1);
    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_tree);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({ 280, 520 });
    m_tree->setMinimumWidth(200);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);
}

void TensorInspector::setModel(std::shared_ptr<const core::Model> model)
{
    const QString selected = selectedTensor();
    m_model = std::move(model);
    rebuildTree();
    if (selected.isEmpty() || !selectTensor(selected)) {
        // Start on the first block matrix so the views never open empty.
        QTreeWidgetItem* first = m_tree->topLevelItemCount() ? m_tree->topLevelItem(0) : nullptr;
        if (first && first->childCount() > 0) {
            m_tree->setCurrentItem(first->child(0));
        }
        showSelected();
    }
}

void TensorInspector::setRun(std::shared_ptr<const RunSnapshot> run)
{
    m_run = std::move(run);
    if (m_histogramSource->currentIndex() == 1) {
        showSelected();
    }
}

QString TensorInspector::selectedTensor() const
{
    const QTreeWidgetItem* item = m_tree->currentItem();
    return item ? item->data(0, kNameRole).toString() : QString();
}

QString TensorInspector::summaryText() const { return m_summary->text(); }

bool TensorInspector::selectTensor(const QString& name)
{
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it) {
        if ((*it)->data(0, kNameRole).toString() == name) {
            if (m_tree->currentItem() == *it) {
                showSelected(); // same item, new model: redraw
            } else {
                m_tree->setCurrentItem(*it);
            }
            return true;
        }
    }
    return false;
}

void TensorInspector::rebuildTree()
{
    const QSignalBlocker blocker(m_tree);
    m_tree->clear();
    if (!m_model) {
        return;
    }
    std::map<int, QTreeWidgetItem*> groups;
    const auto groupFor = [&](int layer) {
        auto& item = groups[layer];
        if (!item) {
            item = new QTreeWidgetItem(m_tree, { layer < 0 ? tr("Embeddings and heads") : tr("Layer %1").arg(layer) });
            item->setFirstColumnSpanned(true);
        }
        return item;
    };
    for (const core::TensorInfo& info : m_model->tensorInfos()) {
        const auto shape = core::matrixShape(m_model->config(), info.name, info.shape);
        if (!shape) {
            continue;
        }
        const QString name = QString::fromStdString(info.name);
        const core::WeightAnnotation annotation = m_model->weightAnnotation(info.name);
        auto* item = new QTreeWidgetItem(groupFor(layerOf(name)),
            { shortName(name), QStringLiteral("%1 \u00d7 %2").arg(shape->outFeatures).arg(shape->inFeatures),
                QStringLiteral("%1 %").arg(100.0 * annotation.density, 0, 'f', 1), QString::number(annotation.bits) });
        item->setData(0, kNameRole, name);
        item->setToolTip(0, name);
        item->setTextAlignment(2, Qt::AlignRight);
        item->setTextAlignment(3, Qt::AlignRight);
    }
    // Layers in order, the embeddings and heads last.
    if (auto it = groups.find(-1); it != groups.end()) {
        m_tree->addTopLevelItem(m_tree->takeTopLevelItem(m_tree->indexOfTopLevelItem(it->second)));
    }
    m_tree->expandAll();
}

void TensorInspector::showSelected()
{
    const QString name = selectedTensor();
    if (!m_model || name.isEmpty()) {
        m_sparsity->clear(tr("Select a weight matrix to see its mask."));
        m_histogram->setData({});
        m_summary->clear();
        return;
    }
    QString error;
    auto data = tensorViewData(*m_model, name.toStdString(), &error);
    if (!data) {
        m_sparsity->clear(error);
        m_histogram->setData({});
        m_summary->setText(error);
        return;
    }
    m_sparsity->setMask(data->mask, shortName(name), data->pattern);
    showHistogram(name, std::move(data->histogram));
    m_summary->setText(QStringLiteral("<b>%1</b> %2").arg(name.toHtmlEscaped(), data->summary.toHtmlEscaped()));
    emit tensorShown(name);
}

void TensorInspector::showHistogram(const QString& name, widgets::HistogramData weights)
{
    if (m_histogramSource->currentIndex() == 0) {
        m_histogram->setData(std::move(weights));
        return;
    }
    const core::LinearInput* input = m_run ? findLinearInput(m_run->result.linearInputs, name.toStdString()) : nullptr;
    if (!input) {
        widgets::HistogramData empty;
        empty.title = m_run ? tr("The last run has no input for %1 (not a linear layer's weight)").arg(name)
                            : tr("Run some text (Ctrl+Return) to see this layer's input activations");
        m_histogram->setData(std::move(empty));
        return;
    }
    m_histogram->setData(activationHistogram(*input, *m_run->model, name.toStdString()));
}

} // namespace optiscope::gui
