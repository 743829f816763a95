// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The first window: open a model, run text or an image, inspect attention in 2D and 3D.
#include "run_snapshot.h"

#include <QMainWindow>

#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTimer;

namespace optiscope::widgets {
class AttentionBarsView;
class AttentionHeatmapView;
class AttentionVolumeView;
class HeadGridView;
}

namespace optiscope::gui {

class AcceleratorPanel;
class AttentionSummaryPanel;
class CompressionPanel;
class LessonPanel;
class SensitivityPanel;
class TensorInspector;
struct SessionState;
class InputPanel;
class Runner;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Loads in the background; errors show in a message box.
    void openModelFolder(const QString& folder);
    // Text typed and run once, when the next text model finishes loading with an empty input
    // box: the app then opens on the sample with its attention already on screen.
    void setStartupText(const QString& text) { m_startupText = text; }
    void runCurrentInput();
    void selectHead(int layer, int head);
    void showLessons(); // Help ▸ Lessons: the teaching-mode dock, given room

    Runner* runner() const { return m_runner; }
    InputPanel* inputPanel() const { return m_input; }
    CompressionPanel* compressionPanel() const { return m_compression; }
    AcceleratorPanel* acceleratorPanel() const { return m_accelerator; }
    TensorInspector* tensorInspector() const { return m_tensors; }
    LessonPanel* lessonPanel() const { return m_lessons; }
    SensitivityPanel* sensitivityPanel() const { return m_sensitivity; }
    widgets::AttentionHeatmapView* heatmapView() const { return m_heatmap; }
    widgets::HeadGridView* headGridView() const { return m_grid; }
    widgets::AttentionBarsView* barsView() const { return m_bars; }
    widgets::AttentionVolumeView* volumeView() const { return m_volume; } // the 3D dock's volume modes
    QComboBox* barsModeCombo() const { return m_barsMode; }
    AttentionSummaryPanel* attentionSummaryPanel() const { return m_summaries; }
    QSpinBox* layerSpin() const { return m_layerSpin; }
    QSpinBox* headSpin() const { return m_headSpin; }
    QComboBox* attentionSourceCombo() const { return m_attentionSource; }
    const std::shared_ptr<const RunSnapshot>& lastRun() const { return m_lastRun; }
    QString modelStatsText() const;

    // Sessions (main_window_session.cpp). Both return the one-line error, empty on success; a session
    // opens in the background (sessionRestored() when it is on screen), a failed one changes nothing.
    QString openSession(const QString& path);
    QString saveSession(const QString& path);
    std::optional<SessionState> captureSession() const;
    static QString recoveryPath();
    void writeRecoveryFile();
    // At start: a recovery file left by a crash is offered for restoring (a question dialog).
    bool offerRecovery();

signals:
    // After the views show a new run (tests wait for this).
    void runDisplayed();
    void sessionRestored();

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    QString m_startupText;
    void createMenus();
    void createDocks();
    void createAttentionSummaryDock();
    void createCompressionDock();
    void createAcceleratorDock();
    void createTensorDock();
    void createLessonDock();
    void createSensitivityDock();
    void runRequestedByUser(); // Run button, Ctrl+Return: the run and, for new input, the metrics
    void exportSimulationReports();
    std::vector<std::int32_t> currentTokens() const;
    void createStatusBar();
    void rebuildRecentMenu();
    void chooseModelFolder();
    void showAbout();
    void applyPendingSession();
    void chooseAndOpenSession();
    void saveSessionOrAsk();
    void chooseAndSaveSession();
    void showError(const QString& message);
    void onBusyChanged(bool busy, const QString& what);
    void onModelLoaded(const std::shared_ptr<const ModelSnapshot>& model);
    void onRunFinished(const std::shared_ptr<const RunSnapshot>& snapshot);
    enum class AttentionSource { Current, Baseline, Difference };
    widgets::AttentionDataPtr shownAttention() const;
    void showAttention();

    Runner* m_runner = nullptr;
    InputPanel* m_input = nullptr;
    CompressionPanel* m_compression = nullptr;
    AcceleratorPanel* m_accelerator = nullptr;
    TensorInspector* m_tensors = nullptr;
    LessonPanel* m_lessons = nullptr;
    SensitivityPanel* m_sensitivity = nullptr;
    widgets::AttentionHeatmapView* m_heatmap = nullptr;
    widgets::HeadGridView* m_grid = nullptr;
    widgets::AttentionBarsView* m_bars = nullptr;
    widgets::AttentionVolumeView* m_volume = nullptr;
    AttentionSummaryPanel* m_summaries = nullptr;
    QSpinBox* m_layerSpin = nullptr;
    QSpinBox* m_headSpin = nullptr;
    QCheckBox* m_unitScale = nullptr;
    QComboBox* m_attentionSource = nullptr; // AttentionSource
    widgets::AttentionDataPtr m_difference; // of the last run, when it has a baseline
    QComboBox* m_barsMode = nullptr;
    QMenu* m_recentMenu = nullptr;
    QLabel* m_modelLabel = nullptr;
    QLabel* m_runLabel = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    std::shared_ptr<const RunSnapshot> m_lastRun;
    QString m_sessionPath;
    std::shared_ptr<SessionState> m_pendingSession; // applied once its model has loaded
    QTimer* m_autosave = nullptr;
};

} // namespace optiscope::gui
