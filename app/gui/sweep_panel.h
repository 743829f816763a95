// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The Sweep dock: a results CSV of `optiscope-cli sweep` (compression/sweep.h) as a Pareto plot
// with a choice of axes and colouring; clicking a point hands its recipe on (recipeChosen), which
// the main window sends to the Compression panel as one undoable step.
#include "optiscope/core/compression/sweep.h"

#include <QJsonObject>
#include <QList>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDockWidget;
class QLabel;
class QMainWindow;
class QMenu;

namespace optiscope::widgets {
class ParetoView;
}

namespace optiscope::gui {

class CompressionPanel;

class SweepPanel : public QWidget {
    Q_OBJECT
public:
    explicit SweepPanel(QWidget* parent = nullptr);

    bool openResults(const QString& path); // errors go to errorOccurred, the shown results stay
    void chooseAndOpenResults();
    // Loads row `row`'s recipe (validated by the engine first); errors go to errorOccurred.
    bool chooseRow(int row);

    widgets::ParetoView* view() const { return m_view; }
    QComboBox* xAxisCombo() const { return m_xAxis; }
    QComboBox* yAxisCombo() const { return m_yAxis; }
    QComboBox* colourCombo() const { return m_colour; }
    QCheckBox* logXCheck() const { return m_logX; }
    const core::CsvTable& table() const { return m_table; }
    const QString& path() const { return m_path; }

signals:
    void recipeChosen(const QList<QJsonObject>& steps, const QString& label);
    void resultsOpened();
    void errorOccurred(const QString& message);

private:
    void rebuildCombos();
    void replot();
    QString describeRow(int row, const QString& separator) const;
    double number(int row, const QString& column) const; // NaN when absent or not a number

    core::CsvTable m_table;
    QString m_path;
    QStringList m_paramColumns; // "param:..." columns, in file order
    widgets::ParetoView* m_view = nullptr;
    QComboBox* m_xAxis = nullptr;
    QComboBox* m_yAxis = nullptr;
    QComboBox* m_colour = nullptr;
    QCheckBox* m_logX = nullptr;
    QLabel* m_status = nullptr;
};

// The "Sweep" dock (objectName "sweepDock", tabbed with the right-hand views, hidden until results
// are opened) and File ▸ Open Sweep Results… appended to fileMenu; chosen recipes go to compression.
QDockWidget* addSweepDock(QMainWindow* window, QMenu* fileMenu, CompressionPanel* compression);

} // namespace optiscope::gui
