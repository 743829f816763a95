// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The accelerator: every matrix product of the last run (of the compressed model, when one is applied)
// simulated on a systolic array in analytic mode, per layer in a table with totals, and stepped cycle by
// cycle on a PE grid: play, pause, single steps both ways, seek to any cycle or layer. The stepper and the
// analytic totals are the same model (accelsim tests that), so the grid and the table always agree.
#include "optiscope/accelsim/simulate.h"
#include "optiscope/accelsim/stepper.h"
#include "optiscope/optrace/op_trace.h"

#include <QElapsedTimer>
#include <QWidget>

#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableView;
class QTimer;

class QTabWidget;

namespace optiscope::widgets {
class PeActivityView;
class PeGridView;
class TrafficChart;
}

namespace optiscope::gui {

class AcceleratorConfigForm;
class LayerStatsModel;

class AcceleratorPanel : public QWidget {
    Q_OBJECT
public:
    explicit AcceleratorPanel(QWidget* parent = nullptr);
    ~AcceleratorPanel() override;

    // The matrix products of one forward pass; simulated at once with the current array.
    // baseline: the uncompressed model's products on the same input, priced on the same array for the
    // metrics' baseline column (nullptr: the run model is the base model, baseline = current).
    void setOpTrace(const optrace::OpTrace& trace, const QString& workloadName, const optrace::OpTrace* baseline = nullptr);
    struct Totals {
        qint64 cycles = 0;
        double energyPj = 0;
    };
    // The baseline's and the current run's totals on the current array; nullopt without a result.
    std::optional<Totals> baselineTotals() const { return m_baselineTotals; }
    std::optional<Totals> currentTotals() const;
    // A SCALE-Sim .cfg or an Optiscope .json; returns the one-line error (also shown inline), empty on success.
    QString loadConfig(const QString& path);
    // The array as Optiscope's config JSON (sessions), and back; setConfigJson returns the error, empty on success.
    QByteArray configJson() const;
    QString setConfigJson(const QByteArray& json, const QString& source);
    // Writes the SCALE-Sim reports and summary.json into folder; returns the error, empty on success.
    QString writeReports(const QString& folder) const;

    bool hasResult() const { return m_stepper.has_value(); }
    const accelsim::SimulationResult& result() const;
    qint64 totalCycles() const { return m_stepper ? m_stepper->totalCycles() : 0; }
    qint64 currentCycle() const { return m_stepper ? m_stepper->cycle() : 0; }
    std::optional<accelsim::CycleState> currentState() const;
    QString errorText() const;

    AcceleratorConfigForm* configForm() const { return m_form; }
    widgets::PeGridView* peGrid() const { return m_grid; }
    widgets::TrafficChart* trafficChart() const { return m_traffic; }
    widgets::PeActivityView* peActivityView() const { return m_activity; } // the "PE activity 3D" tab
    QTabWidget* viewTabs() const { return m_views; }
    QTableView* layerTable() const { return m_table; }
    LayerStatsModel* layerModel() const { return m_model; }
    bool isPlaying() const;
    const accelsim::Stepper& stepperForTests() const { return *m_stepper; } // requires hasResult()
    QString cycleInfoText() const; // the line under the grid: fold, phase, SRAM/DRAM words this cycle
    // The first cycle in [from, from + limit) at which some PE is in state; nullopt when none
    // (stepped on a copy: what is on screen does not move).
    std::optional<qint64> findCycle(qint64 from, accelsim::PeState state, qint64 limit = 100'000) const;

public slots:
    void seekCycle(qint64 cycle);
    void stepForward() { seekCycle(currentCycle() + 1); }
    void stepBack() { seekCycle(currentCycle() - 1); }
    void seekLayer(int layer);
    void setPlaying(bool playing);
    void togglePlaying() { setPlaying(!isPlaying()); }
    void chooseAndLoadConfig();

signals:
    void simulated(); // a new analytic result and stepper are on screen
    void cycleShown(qint64 cycle);

private:
    void resimulate();
    void showCycle();
    void showTraffic(); // the shown layer's traffic chart, when it is not up to date
    void showActivity(); // the 3D PE activity around the current cycle, when its tab is shown
    void advancePlayback();
    void showError(const QString& message);

    AcceleratorConfigForm* m_form = nullptr;
    QLabel* m_error = nullptr;
    QLabel* m_totals = nullptr;
    LayerStatsModel* m_model = nullptr;
    QTableView* m_table = nullptr;
    widgets::PeGridView* m_grid = nullptr;
    widgets::TrafficChart* m_traffic = nullptr;
    widgets::PeActivityView* m_activity = nullptr;
    QTabWidget* m_views = nullptr;
    int m_trafficLayer = -1; // the layer the chart shows
    QLabel* m_cycleInfo = nullptr;
    QSlider* m_slider = nullptr;
    QSpinBox* m_cycleSpin = nullptr;
    QComboBox* m_speed = nullptr;
    QPushButton* m_play = nullptr;
    QTimer* m_timer = nullptr;
    QElapsedTimer m_clock;
    double m_pendingCycles = 0; // fractional cycles owed to playback between timer ticks

    std::optional<optrace::OpTrace> m_trace;
    std::optional<optrace::OpTrace> m_baselineTrace;
    std::optional<Totals> m_baselineTotals;
    QString m_workloadName;
    std::optional<accelsim::Stepper> m_stepper;
    std::vector<accelsim::PeState> m_states;
    int m_shownLayer = -1;
};

} // namespace optiscope::gui
