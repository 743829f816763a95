// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "sensitivity_panel.h"

#include "bar_chart_view.h"
#include "compression_panel.h"
#include "step_editor.h"
#include "view_export.h"

#include "optiscope/core/compression/recipe.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace optiscope::gui {

SensitivityPanel::SensitivityPanel(CompressionPanel* compression, QWidget* parent)
    : QWidget(parent)
    , m_compression(compression)
{
    m_pool.setMaxThreadCount(1);
    auto* layout = new QVBoxLayout(this);
    m_spec = new QLabel(tr("Quantizes one layer at a time with the quantization chosen in the Compression dock "
                           "(integer, number format, ternary/binary or block float) and measures the model on the "
                           "input text (survey \u00a7VI, mixed precision)."),
        this);
    m_spec->setWordWrap(true);
    layout->addWidget(m_spec);
    auto* row = new QHBoxLayout;
    m_metric = new QComboBox(this);
    m_metric->addItem(tr("KL divergence"));
    m_metric->addItem(tr("\u0394 perplexity"));
    m_metric->addItem(tr("weight SQNR"));
    m_scan = new QPushButton(tr("Scan layers"), this);
    m_scan->setObjectName(QStringLiteral("scanSensitivityButton"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_progress->setMaximumWidth(160);
    row->addWidget(m_metric);
    row->addWidget(m_scan);
    row->addWidget(m_cancel);
    row->addWidget(m_progress);
    row->addStretch(1);
    layout->addLayout(row);
    m_chart = new widgets::BarChartView(this);
    m_chart->setObjectName(QStringLiteral("sensitivityChart"));
    m_chart->clear(tr("Press Scan layers to see which layer suffers most from this quantization."));
    widgets::installViewExport(m_chart, QStringLiteral("layer-sensitivity"));
    layout->addWidget(m_chart, 1);

    connect(m_scan, &QPushButton::clicked, this, &SensitivityPanel::scan);
    connect(m_cancel, &QPushButton::clicked, this, &SensitivityPanel::cancel);
    connect(m_metric, &QComboBox::currentIndexChanged, this, [this](int index) { setMetric(static_cast<Metric>(index)); });
}

SensitivityPanel::~SensitivityPanel()
{
    cancel();
    m_pool.waitForDone();
}

void SensitivityPanel::setMetric(Metric metric)
{
    if (m_metric->currentIndex() != metric) {
        m_metric->setCurrentIndex(metric); // comes back here through the signal
        return;
    }
    showResult();
}

void SensitivityPanel::cancel()
{
    if (m_token) {
        m_token->cancel();
    }
    ++m_generation; // a result still on its way is dropped
    setBusy(false);
}

void SensitivityPanel::setBusy(bool busy)
{
    m_busy = busy;
    m_scan->setEnabled(!busy);
    m_cancel->setEnabled(busy);
    m_progress->setValue(0);
}

void SensitivityPanel::scan()
{
    // The step editor's step without type and targets is the scan's QuantSpec.
    QJsonObject step = m_compression->stepEditor()->step();
    if (step.value(QStringLiteral("type")).toString() != QLatin1String("quantize")) {
        emit errorOccurred(tr("Sensitivity scan: choose a quantization technique in the Compression dock first."));
        return;
    }
    step.remove(QStringLiteral("type"));
    step.remove(QStringLiteral("targets"));
    auto spec = core::parseQuantSpec(QJsonDocument(step).toJson(QJsonDocument::Compact).toStdString(), "step editor");
    if (!spec) {
        emit errorOccurred(QString::fromStdString(spec.error().message));
        return;
    }
    const auto& last = m_compression->lastResult();
    if (!last || !last->model) {
        emit errorOccurred(tr("Sensitivity scan: open a model first."));
        return;
    }
    auto tokens = m_compression->inputTokens();
    if (tokens.size() < 2) {
        emit errorOccurred(tr("Sensitivity scan: type at least two tokens of input text."));
        return;
    }
    cancel();
    setBusy(true);
    m_token = std::make_shared<core::CancelToken>();
    const std::uint64_t generation = ++m_generation;
    const QString describe = QString::fromUtf8(QJsonDocument(step).toJson(QJsonDocument::Compact));
    m_spec->setText(tr("Quantization: %1 \u00b7 %n token(s)", nullptr, static_cast<int>(tokens.size())).arg(describe));
    QPointer<SensitivityPanel> self(this);
    m_pool.start([self, generation, base = last->model->base(), spec = *spec, tokens = std::move(tokens), token = m_token] {
        auto progress = [self, generation](double fraction) {
            QMetaObject::invokeMethod(
                self.data(),
                [self, generation, fraction] {
                    if (self && generation == self->m_generation) {
                        self->m_progress->setValue(static_cast<int>(fraction * 1000));
                    }
                },
                Qt::QueuedConnection);
        };
        auto result = core::scanLayerSensitivity(base, spec, tokens, token.get(), progress);
        QMetaObject::invokeMethod(
            self.data(),
            [self, generation, result = std::move(result)]() mutable {
                if (!self || generation != self->m_generation) {
                    return;
                }
                self->setBusy(false);
                if (!result) {
                    if (result.error().code != core::ErrorCode::Cancelled) {
                        emit self->errorOccurred(QString::fromStdString(result.error().message));
                    }
                    return;
                }
                self->m_result = std::move(*result);
                self->showResult();
                emit self->scanFinished();
            },
            Qt::QueuedConnection);
    });
}

void SensitivityPanel::showResult()
{
    if (!m_result) {
        return;
    }
    QStringList labels;
    std::vector<double> values;
    for (const core::LayerSensitivity& layer : m_result->layers) {
        labels << tr("L%1").arg(layer.layer);
        switch (static_cast<Metric>(m_metric->currentIndex())) {
        case Kl:
            values.push_back(layer.klMean);
            break;
        case PerplexityChange:
            values.push_back(layer.perplexity - m_result->basePerplexity);
            break;
        case Sqnr:
            values.push_back(layer.weightSqnrDb);
            break;
        }
    }
    const QString titles[] = { tr("KL(base \u2016 one layer quantized), nats/token"),
        tr("perplexity change (base %1)").arg(m_result->basePerplexity, 0, 'f', 2), tr("weight SQNR, dB") };
    const QString units[] = { tr("nats/token"), tr("\u0394 perplexity"), tr("dB") };
    const int metric = m_metric->currentIndex();
    m_chart->setBars(tr("Per-layer sensitivity: %1").arg(titles[metric]), units[metric], labels, values);
}

} // namespace optiscope::gui
