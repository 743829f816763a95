// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The per-layer sensitivity chart (survey §VI, mixed precision): quantizes one layer at a time
// with the quantization chosen in the Compression dock's step editor, measures the model on the
// input text, and draws one bar per layer (KL, Δ perplexity or weight SQNR). The scan runs off the
// GUI thread with progress and Cancel; a new scan supersedes a running one.
#include "optiscope/core/cancel.h"
#include "optiscope/core/compression/sensitivity.h"

#include <QThreadPool>
#include <QWidget>

#include <memory>
#include <optional>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;

namespace optiscope::widgets {
class BarChartView;
}

namespace optiscope::gui {

class CompressionPanel;

class SensitivityPanel : public QWidget {
    Q_OBJECT
public:
    enum Metric { Kl, PerplexityChange, Sqnr };

    explicit SensitivityPanel(CompressionPanel* compression, QWidget* parent = nullptr);
    ~SensitivityPanel() override; // cancels and waits

    void scan(); // with the step editor's quantization; errors go to errorOccurred
    void cancel();
    bool isBusy() const { return m_busy; }
    void setMetric(Metric metric);
    const std::optional<core::SensitivityScan>& result() const { return m_result; }
    widgets::BarChartView* chart() const { return m_chart; }

signals:
    void scanFinished();
    void errorOccurred(const QString& message);

private:
    void setBusy(bool busy);
    void showResult();

    CompressionPanel* m_compression;
    QLabel* m_spec = nullptr;
    QComboBox* m_metric = nullptr;
    QPushButton* m_scan = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    widgets::BarChartView* m_chart = nullptr;
    QThreadPool m_pool;
    std::shared_ptr<core::CancelToken> m_token;
    std::uint64_t m_generation = 0;
    bool m_busy = false;
    std::optional<core::SensitivityScan> m_result;
};

} // namespace optiscope::gui
