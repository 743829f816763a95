// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "sweep_panel.h"

#include "compression_panel.h"
#include "pareto_view.h"
#include "view_export.h"

#include "optiscope/core/compression/recipe.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace optiscope::gui {

namespace {

    struct Axis {
        const char* column;
        const char* name; // in the combo box
        const char* label; // on the axis, with the unit after scaling
        double scale;
        bool lowerIsBetter; // y axes only
    };

    // Costs for x (smaller is better), quality measures for y.
    const Axis kXAxes[] = {
        { "bytes_sparse", QT_TRANSLATE_NOOP("SweepPanel", "compact size"),
            QT_TRANSLATE_NOOP("SweepPanel", "compact size (MB, sparse + quantized as exported)"), 1e-6, true },
        { "bytes_dense", QT_TRANSLATE_NOOP("SweepPanel", "dense size"),
            QT_TRANSLATE_NOOP("SweepPanel", "dense size (MB, quantized, zeros stored)"), 1e-6, true },
        { "macs_effective", QT_TRANSLATE_NOOP("SweepPanel", "effective MACs"),
            QT_TRANSLATE_NOOP("SweepPanel", "effective MACs (millions, pruned weights skipped)"), 1e-6, true },
        { "macs_dense", QT_TRANSLATE_NOOP("SweepPanel", "dense MACs"),
            QT_TRANSLATE_NOOP("SweepPanel", "dense MACs (millions)"), 1e-6, true },
        { "nonzeros", QT_TRANSLATE_NOOP("SweepPanel", "nonzeros"),
            QT_TRANSLATE_NOOP("SweepPanel", "nonzero parameters (millions)"), 1e-6, true },
    };
    const Axis kYAxes[] = {
        { "perplexity", QT_TRANSLATE_NOOP("SweepPanel", "perplexity"),
            QT_TRANSLATE_NOOP("SweepPanel", "perplexity (lower is better)"), 1, true },
        { "delta_perplexity", QT_TRANSLATE_NOOP("SweepPanel", "\u0394 perplexity"),
            QT_TRANSLATE_NOOP("SweepPanel", "perplexity \u2212 base perplexity"), 1, true },
        { "kl_mean", QT_TRANSLATE_NOOP("SweepPanel", "KL"),
            QT_TRANSLATE_NOOP("SweepPanel", "KL(base \u2016 compressed) (nats per token)"), 1, true },
        { "top1_agreement", QT_TRANSLATE_NOOP("SweepPanel", "top-1 agreement"),
            QT_TRANSLATE_NOOP("SweepPanel", "top-1 agreement with base (fraction)"), 1, false },
    };

    const Axis* findAxis(const QString& column)
    {
        for (const Axis& axis : kXAxes) {
            if (column == QLatin1String(axis.column)) {
                return &axis;
            }
        }
        for (const Axis& axis : kYAxes) {
            if (column == QLatin1String(axis.column)) {
                return &axis;
            }
        }
        return nullptr;
    }

    QString paramName(const QString& column) { return column.mid(int(core::kSweepParamPrefix.size())); }

} // namespace

SweepPanel::SweepPanel(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    auto* controls = new QHBoxLayout;
    m_xAxis = new QComboBox(this);
    m_xAxis->setObjectName(QStringLiteral("sweepXAxis"));
    m_xAxis->setToolTip(tr("Cost axis: what the compression saves (survey Figs. 10, 11, 20 plot accuracy "
                           "against size or operations)"));
    m_yAxis = new QComboBox(this);
    m_yAxis->setObjectName(QStringLiteral("sweepYAxis"));
    m_yAxis->setToolTip(tr("Quality axis, measured against the uncompressed model on the sweep's text"));
    m_colour = new QComboBox(this);
    m_colour->setObjectName(QStringLiteral("sweepColour"));
    m_colour->setToolTip(tr("One colour per value of this sweep parameter"));
    m_logX = new QCheckBox(tr("Log x"), this);
    auto* open = new QPushButton(tr("Open\u2026"), this);
    controls->addWidget(new QLabel(tr("x:"), this));
    controls->addWidget(m_xAxis, 1);
    controls->addWidget(new QLabel(tr("y:"), this));
    controls->addWidget(m_yAxis, 1);
    controls->addWidget(new QLabel(tr("Colour:"), this));
    controls->addWidget(m_colour);
    controls->addWidget(m_logX);
    controls->addWidget(open);
    layout->addLayout(controls);
    m_view = new widgets::ParetoView(this);
    widgets::installViewExport(m_view, QStringLiteral("sweep-pareto"));
    layout->addWidget(m_view, 1);
    m_status = new QLabel(tr("Run optiscope-cli sweep, then open its CSV."), this);
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    connect(open, &QPushButton::clicked, this, &SweepPanel::chooseAndOpenResults);
    for (QComboBox* combo : { m_xAxis, m_yAxis, m_colour }) {
        connect(combo, &QComboBox::currentIndexChanged, this, &SweepPanel::replot);
    }
    connect(m_logX, &QCheckBox::toggled, m_view, &widgets::ParetoView::setLogX);
    connect(m_view, &widgets::ParetoView::pointClicked, this, &SweepPanel::chooseRow);
}

bool SweepPanel::openResults(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        emit errorOccurred(tr("%1: cannot read: %2").arg(path, file.errorString()));
        return false;
    }
    const QByteArray bytes = file.readAll();
    auto table = core::parseCsv(std::string_view(bytes.constData(), std::size_t(bytes.size())), path.toStdString());
    if (!table) {
        emit errorOccurred(QString::fromStdString(table.error().message));
        return false;
    }
    if (table->column("recipe") < 0) {
        emit errorOccurred(tr("%1: no 'recipe' column: not a results file of optiscope-cli sweep").arg(path));
        return false;
    }
    bool hasX = false, hasY = false;
    for (const Axis& axis : kXAxes) {
        hasX = hasX || table->column(axis.column) >= 0;
    }
    for (const Axis& axis : kYAxes) {
        hasY = hasY || table->column(axis.column) >= 0;
    }
    if (!hasX || !hasY) {
        emit errorOccurred(
            tr("%1: no %2 column to plot")
                .arg(path, hasX ? tr("quality (perplexity, KL, top-1)") : tr("cost (bytes, MACs, nonzeros)")));
        return false;
    }
    m_table = std::move(*table);
    m_path = path;
    m_paramColumns.clear();
    for (const auto& column : m_table.columns) {
        if (column.starts_with(core::kSweepParamPrefix)) {
            m_paramColumns << QString::fromStdString(column);
        }
    }
    rebuildCombos();
    replot();
    emit resultsOpened();
    return true;
}

void SweepPanel::chooseAndOpenResults()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open sweep results"), QString(), tr("Sweep results (*.csv);;All files (*)"));
    if (!path.isEmpty()) {
        openResults(path);
    }
}

void SweepPanel::rebuildCombos()
{
    const QSignalBlocker blockX(m_xAxis), blockY(m_yAxis), blockColour(m_colour);
    m_xAxis->clear();
    m_yAxis->clear();
    m_colour->clear();
    for (const Axis& axis : kXAxes) {
        if (m_table.column(axis.column) >= 0) {
            m_xAxis->addItem(tr(axis.name), QString::fromLatin1(axis.column));
        }
    }
    for (const Axis& axis : kYAxes) {
        if (m_table.column(axis.column) >= 0) {
            m_yAxis->addItem(tr(axis.name), QString::fromLatin1(axis.column));
        }
    }
    m_colour->addItem(tr("(none)"), QString());
    for (const QString& column : m_paramColumns) {
        m_colour->addItem(paramName(column), column);
    }
    // Colour by the first parameter that is not a number (a method: magnitude/wanda), else the
    // last one (bits across sparsities); the x axis already spreads the other.
    int colour = m_paramColumns.size() > 1 ? int(m_paramColumns.size()) : 0;
    for (int p = 0; p < m_paramColumns.size(); ++p) {
        const int column = m_table.column(m_paramColumns[p].toStdString());
        bool numeric = true;
        for (const auto& row : m_table.rows) {
            bool ok = false;
            QString::fromStdString(row[column]).toDouble(&ok);
            numeric = numeric && ok;
        }
        if (!numeric) {
            colour = p + 1;
            break;
        }
    }
    m_colour->setCurrentIndex(colour);
}

double SweepPanel::number(int row, const QString& column) const
{
    const int c = m_table.column(column.toStdString());
    bool ok = false;
    const double value = c >= 0 ? QString::fromStdString(m_table.rows[row][c]).toDouble(&ok) : 0.0;
    return ok ? value : std::numeric_limits<double>::quiet_NaN();
}

QString SweepPanel::describeRow(int row, const QString& separator) const
{
    QStringList parts;
    for (const QString& column : m_paramColumns) {
        parts << paramName(column) + " = "
                + QString::fromStdString(m_table.rows[row][m_table.column(column.toStdString())]);
    }
    return parts.join(separator);
}

void SweepPanel::replot()
{
    const QString xColumn = m_xAxis->currentData().toString(), yColumn = m_yAxis->currentData().toString();
    const Axis* x = findAxis(xColumn);
    const Axis* y = findAxis(yColumn);
    if (!x || !y) {
        m_view->setData({});
        return;
    }
    widgets::ParetoPlotData data;
    data.title = tr("%1: %2 points").arg(QFileInfo(m_path).fileName()).arg(m_table.rows.size());
    data.xLabel = tr(x->label);
    data.yLabel = tr(y->label);
    data.lowerYIsBetter = y->lowerIsBetter;
    const QString colourColumn = m_colour->currentData().toString();
    const int colour = colourColumn.isEmpty() ? -1 : m_table.column(colourColumn.toStdString());
    for (int row = 0; row < static_cast<int>(m_table.rows.size()); ++row) {
        widgets::ParetoPoint point;
        point.x = number(row, xColumn) * x->scale;
        point.y = number(row, yColumn) * y->scale;
        point.id = row;
        if (colour >= 0) {
            point.series = paramName(colourColumn) + " = " + QString::fromStdString(m_table.rows[row][colour]);
        }
        point.tooltip = describeRow(row, QStringLiteral("\n"))
            + tr("\n%1: %2\n%3: %4\nclick to load this recipe")
                  .arg(QString::fromLatin1(x->column), QString::number(point.x, 'g', 5), QString::fromLatin1(y->column),
                      QString::number(point.y, 'g', 5));
        data.points.push_back(std::move(point));
    }
    m_view->setData(std::move(data));
    m_status->setText(tr("%1 points from %2; %3 on the Pareto front (ringed). Hover for parameters, click to load "
                         "a point's recipe into the Compression panel.")
                          .arg(m_table.rows.size())
                          .arg(QFileInfo(m_path).fileName())
                          .arg(m_view->front().size()));
}

bool SweepPanel::chooseRow(int row)
{
    if (row < 0 || row >= static_cast<int>(m_table.rows.size())) {
        return false;
    }
    const std::string& json = m_table.rows[row][m_table.column("recipe")];
    const QString source = tr("%1 row %2").arg(m_path).arg(row + 1);
    if (auto recipe = core::parseRecipe(json, source.toStdString()); !recipe) {
        emit errorOccurred(QString::fromStdString(recipe.error().message));
        return false;
    }
    QList<QJsonObject> steps;
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray::fromStdString(json));
    for (const QJsonValue& step : document.object().value(QStringLiteral("steps")).toArray()) {
        steps.append(step.toObject());
    }
    const QString label = tr("Sweep point %1").arg(describeRow(row, QStringLiteral(", ")));
    m_status->setText(tr("Loaded %1 into the Compression panel.").arg(describeRow(row, QStringLiteral(", "))));
    emit recipeChosen(steps, label);
    return true;
}

QDockWidget* addSweepDock(QMainWindow* window, QMenu* fileMenu, CompressionPanel* compression)
{
    auto* dock = new QDockWidget(SweepPanel::tr("Sweep"), window);
    dock->setObjectName(QStringLiteral("sweepDock"));
    auto* panel = new SweepPanel(dock);
    dock->setWidget(panel);
    window->addDockWidget(Qt::RightDockWidgetArea, dock);
    if (auto* bars = window->findChild<QDockWidget*>(QStringLiteral("barsDock"))) {
        window->tabifyDockWidget(bars, dock);
    }
    dock->hide();
    fileMenu->addAction(SweepPanel::tr("Open S&weep Results\u2026"), panel, &SweepPanel::chooseAndOpenResults);
    QObject::connect(panel, &SweepPanel::resultsOpened, dock, [dock] {
        dock->show();
        dock->raise();
    });
    QObject::connect(panel, &SweepPanel::recipeChosen, compression, &CompressionPanel::replaceRecipe);
    QObject::connect(panel, &SweepPanel::errorOccurred, window, [window](const QString& message) {
        auto* box
            = new QMessageBox(QMessageBox::Warning, SweepPanel::tr("Optiscope"), message, QMessageBox::Ok, window);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    return dock;
}

} // namespace optiscope::gui
