// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "accelerator_panel.h"

#include "accelerator_config_form.h"
#include "layer_stats_model.h"
#include "pe_activity_sampler.h"
#include "pe_activity_view.h"
#include "pe_grid_view.h"
#include "pe_operand_text.h"
#include "traffic_chart.h"
#include "traffic_series.h"
#include "view_export.h"

#include "optiscope/accelsim/config_json.h"
#include "optiscope/accelsim/reports.h"
#include "optiscope/accelsim/scalesim_io.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <span>

namespace optiscope::gui {

namespace {

    constexpr int kSliderSteps = 100000; // the slider addresses at most this many positions; the spin box every cycle
    constexpr int kFrameMs = 16; // playback redraws at about 60 frames per second

    // The legend in PeState order.
    QStringList stateNames()
    {
        return { QObject::tr("Idle"), QObject::tr("Loading"), QObject::tr("MAC"), QObject::tr("Draining"),
            QObject::tr("Stalled") };
    }
    std::vector<QColor> stateColors()
    {
        return { QColor(0xdd, 0xdd, 0xdd), QColor(0x4e, 0x79, 0xa7), QColor(0x59, 0xa1, 0x4f), QColor(0xf2, 0x8e, 0x2b),
            QColor(0xe1, 0x57, 0x59) };
    }

    QString grouped(qint64 value) { return QLocale().toString(value); }

} // namespace

AcceleratorPanel::AcceleratorPanel(QWidget* parent)
    : QWidget(parent)
{
    m_form = new AcceleratorConfigForm(this);
    auto* openConfig = new QPushButton(tr("Open Config\u2026"), this);
    openConfig->setToolTip(tr("Load a SCALE-Sim .cfg or an Optiscope .json array description"));
    connect(openConfig, &QPushButton::clicked, this, &AcceleratorPanel::chooseAndLoadConfig);
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #c0392b;"));
    m_error->setWordWrap(true);
    m_error->hide();
    m_totals = new QLabel(tr("Run a model to simulate it."), this);
    m_totals->setWordWrap(true);
    // Wrapped labels in a splitter get one line's height unless told: these need two.
    m_totals->setMinimumHeight(2 * fontMetrics().lineSpacing() + 4);
    m_totals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_totals->setToolTip(tr("Cycles as SCALE-Sim reports them: in compatible mode one less per matrix product than the "
                            "stepper walks through (upstream issue #125)"));

    m_model = new LayerStatsModel(this);
    m_table = new QTableView(this);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setToolTip(tr("Click a matrix product to step to its first cycle"));
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex& index) { seekLayer(index.row()); });

    m_grid = new widgets::PeGridView(this);
    m_grid->setObjectName(QStringLiteral("peGrid"));
    m_grid->setStateLegend(stateNames(), stateColors());
    widgets::installViewExport(m_grid, QStringLiteral("pe-array"));

    auto* first = new QPushButton(style()->standardIcon(QStyle::SP_MediaSkipBackward), QString(), this);
    first->setToolTip(tr("First cycle"));
    auto* back = new QPushButton(style()->standardIcon(QStyle::SP_MediaSeekBackward), QString(), this);
    back->setToolTip(tr("One cycle back (Shift+F10)"));
    m_play = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), QString(), this);
    m_play->setToolTip(tr("Play / pause (F5)"));
    auto* forward = new QPushButton(style()->standardIcon(QStyle::SP_MediaSeekForward), QString(), this);
    forward->setToolTip(tr("One cycle forward (F10)"));
    auto* last = new QPushButton(style()->standardIcon(QStyle::SP_MediaSkipForward), QString(), this);
    last->setToolTip(tr("Last cycle"));
    connect(first, &QPushButton::clicked, this, [this] { seekCycle(0); });
    connect(back, &QPushButton::clicked, this, &AcceleratorPanel::stepBack);
    connect(m_play, &QPushButton::clicked, this, &AcceleratorPanel::togglePlaying);
    connect(forward, &QPushButton::clicked, this, &AcceleratorPanel::stepForward);
    connect(last, &QPushButton::clicked, this, [this] { seekCycle(totalCycles() - 1); });
    m_speed = new QComboBox(this);
    for (int cyclesPerSecond : { 1, 4, 15, 60, 250, 1000, 10000, 100000 }) {
        m_speed->addItem(tr("%1 cycles/s").arg(grouped(cyclesPerSecond)), cyclesPerSecond);
    }
    m_speed->setCurrentIndex(3);
    m_speed->setToolTip(tr("Playback speed"));
    m_cycleSpin = new QSpinBox(this);
    m_cycleSpin->setPrefix(tr("cycle "));
    m_cycleSpin->setKeyboardTracking(false);
    connect(m_cycleSpin, &QSpinBox::valueChanged, this, [this](int cycle) { seekCycle(cycle); });
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setToolTip(tr("Seek to any cycle"));
    connect(m_slider, &QSlider::valueChanged, this, [this](int position) {
        const qint64 span = std::max<qint64>(totalCycles() - 1, 0);
        seekCycle(m_slider->maximum() > 0 ? span * position / m_slider->maximum() : 0);
    });
    m_cycleInfo = new QLabel(this);
    m_cycleInfo->setWordWrap(true);
    m_cycleInfo->setMinimumHeight(2 * fontMetrics().lineSpacing() + 4);
    m_cycleInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* controls = new QHBoxLayout;
    for (QWidget* w : std::initializer_list<QWidget*> { first, back, m_play, forward, last, m_speed, m_cycleSpin }) {
        controls->addWidget(w);
    }
    controls->addWidget(m_slider, 1);

    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    auto* configRow = new QHBoxLayout;
    configRow->addWidget(m_form, 1);
    configRow->addWidget(openConfig, 0, Qt::AlignTop);
    topLayout->addLayout(configRow);
    topLayout->addWidget(m_error);
    topLayout->addWidget(m_totals);
    topLayout->addWidget(m_table, 1);

    auto* bottom = new QWidget(this);
    auto* bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 0, 0, 0);
    bottomLayout->addLayout(controls);
    bottomLayout->addWidget(m_cycleInfo);
    m_views = new QTabWidget(this);
    m_views->addTab(m_grid, tr("PE array"));
    m_traffic = new widgets::TrafficChart(this);
    m_traffic->setObjectName(QStringLiteral("trafficChart"));
    m_traffic->setToolTip(tr("Words per cycle of the shown matrix product: SRAM reads and writes from the stepper, "
                             "DRAM words of each fold spread over its compute cycles; the dashed line is the "
                             "current cycle"));
    widgets::installViewExport(m_traffic, QStringLiteral("memory-traffic"));
    m_views->addTab(m_traffic, tr("Memory traffic"));
    m_activity = new widgets::PeActivityView(this);
    m_activity->setObjectName(QStringLiteral("peActivity3d"));
    m_activity->setStateLegend(stateNames(), stateColors());
    m_activity->setToolTip(tr("PE states over a window of cycles around the current one (z = cycle); drag to rotate"));
    widgets::installViewExport(m_activity, QStringLiteral("pe-activity-3d"), widgets::ExportFormats::PngOnly,
        [view = m_activity] { return view->grabImage(); });
    m_views->addTab(m_activity, tr("PE activity 3D"));
    connect(m_views, &QTabWidget::currentChanged, this, [this] {
        if (m_views->currentWidget() == m_traffic && m_stepper) {
            showTraffic();
        }
        showActivity();
    });
    bottomLayout->addWidget(m_views, 1);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(top);
    splitter->addWidget(bottom);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    m_timer = new QTimer(this);
    m_timer->setInterval(kFrameMs);
    connect(m_timer, &QTimer::timeout, this, &AcceleratorPanel::advancePlayback);
    connect(m_form, &AcceleratorConfigForm::changed, this, &AcceleratorPanel::resimulate);
}

AcceleratorPanel::~AcceleratorPanel() = default;

const accelsim::SimulationResult& AcceleratorPanel::result() const { return m_model->result(); }

std::optional<accelsim::CycleState> AcceleratorPanel::currentState() const
{
    if (!m_stepper || m_stepper->atEnd()) {
        return std::nullopt;
    }
    return m_stepper->state();
}

QString AcceleratorPanel::errorText() const { return m_error->isVisible() ? m_error->text() : QString(); }

bool AcceleratorPanel::isPlaying() const { return m_timer->isActive(); }

void AcceleratorPanel::setOpTrace(const optrace::OpTrace& trace, const QString& workloadName, const optrace::OpTrace* baseline)
{
    m_trace = trace;
    m_baselineTrace = baseline ? std::optional<optrace::OpTrace>(*baseline) : std::nullopt;
    m_workloadName = workloadName;
    resimulate();
}

std::optional<AcceleratorPanel::Totals> AcceleratorPanel::currentTotals() const
{
    if (!m_stepper) {
        return std::nullopt;
    }
    return Totals { result().totalCycles(), result().totalEnergyPj() };
}

QString AcceleratorPanel::loadConfig(const QString& path)
{
    const std::string file = path.toStdString();
    auto config = path.endsWith(QStringLiteral(".cfg"), Qt::CaseInsensitive) ? accelsim::readScaleSimConfig(file)
                                                                             : accelsim::readArrayConfigJson(file);
    if (!config) {
        const QString message = QString::fromStdString(config.error().message);
        showError(message);
        return message;
    }
    m_form->setParams(config->params());
    resimulate();
    return errorText();
}

QByteArray AcceleratorPanel::configJson() const
{
    auto config = accelsim::ArrayConfig::create(m_form->params());
    return config ? QByteArray::fromStdString(accelsim::formatArrayConfigJson(*config)) : QByteArray();
}

QString AcceleratorPanel::setConfigJson(const QByteArray& json, const QString& source)
{
    auto config = accelsim::parseArrayConfigJson(json.toStdString(), source.toStdString());
    if (!config) {
        const QString message = QString::fromStdString(config.error().message);
        showError(message);
        return message;
    }
    m_form->setParams(config->params());
    resimulate();
    return errorText();
}

void AcceleratorPanel::chooseAndLoadConfig()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Array Config"), QString(), tr("Array configs (*.cfg *.json);;All files (*)"));
    if (!path.isEmpty()) {
        loadConfig(path);
    }
}

QString AcceleratorPanel::writeReports(const QString& folder) const
{
    if (!m_stepper) {
        return tr("Nothing simulated yet: run a model first.");
    }
    auto ok = accelsim::writeReports(result(), folder.toStdString());
    return ok ? QString() : QString::fromStdString(ok.error().message);
}

void AcceleratorPanel::showError(const QString& message)
{
    m_error->setText(message);
    m_error->setVisible(!message.isEmpty());
}

// Invalid settings keep the previous result on screen with the reason above it.
void AcceleratorPanel::resimulate()
{
    auto config = accelsim::ArrayConfig::create(m_form->params(), "accelerator settings");
    if (!config) {
        showError(QString::fromStdString(config.error().message));
        return;
    }
    if (!m_trace) {
        showError({});
        return;
    }
    auto workload = accelsim::workloadFromOpTrace(*m_trace, m_workloadName.toStdString());
    if (workload && config->rows() * config->cols() <= kMaxOperandPes) {
        // The op trace has shapes, not values: small (teaching) arrays step demo operands so the PE grid can
        // show values moving through the array. Timing does not depend on them.
        accelsim::attachDemoOperands(*workload);
    }
    auto result = workload ? accelsim::simulate(*workload, *config) : std::unexpected(workload.error());
    auto stepper = result ? accelsim::Stepper::create(*workload, *config) : std::unexpected(result.error());
    if (!stepper) {
        showError(QString::fromStdString(stepper.error().message));
        return;
    }
    showError({});
    const int previousLayer = m_shownLayer;
    m_stepper = std::move(*stepper);
    m_shownLayer = -1;
    m_trafficLayer = -1;
    const auto& r = *result;
    const qint64 total = r.totalCycles();
    std::int64_t macsDone = 0;
    std::int64_t dramBytes = 0;
    double utilWeighted = 0;
    for (const auto& layer : r.layers) {
        macsDone += layer.macsPerformed;
        dramBytes += layer.ifmap.dramBytes() + layer.filter.dramBytes() + layer.ofmap.dramBytes()
            + layer.metadataDramBytes;
        utilWeighted += layer.overallUtilPct * static_cast<double>(layer.totalCycles);
    }
    const double clockMhz = config->params().clockMhz;
    m_totals->setText(tr("%1 matrix products on %2\u00d7%3 %4: <b>%5 cycles</b> (%6 \u00b5s at %7 MHz), "
                         "utilization %8 %, %9 MACs done, DRAM %10 KiB, energy %11 \u00b5J")
                          .arg(r.layers.size())
                          .arg(config->rows())
                          .arg(config->cols())
                          .arg(QString::fromUtf8(accelsim::dataflowName(config->dataflow()).data()).toUpper())
                          .arg(grouped(total))
                          .arg(total / clockMhz, 0, 'f', 1)
                          .arg(clockMhz, 0, 'f', 0)
                          .arg(total > 0 ? utilWeighted / static_cast<double>(total) : 0.0, 0, 'f', 1)
                          .arg(grouped(macsDone))
                          .arg(dramBytes / 1024.0, 0, 'f', 1)
                          .arg(r.totalEnergyPj() * 1e-6, 0, 'f', 3));
    m_baselineTotals = Totals { r.totalCycles(), r.totalEnergyPj() };
    if (m_baselineTrace) { // analytic mode: the baseline is priced, not stepped
        auto baseWorkload = accelsim::workloadFromOpTrace(*m_baselineTrace, m_workloadName.toStdString());
        auto baseResult = baseWorkload ? accelsim::simulate(*baseWorkload, *config) : std::unexpected(baseWorkload.error());
        m_baselineTotals = baseResult ? std::optional<Totals>(Totals { baseResult->totalCycles(), baseResult->totalEnergyPj() })
                                      : std::nullopt;
    }
    m_model->setResult(std::move(*workload), std::move(*result));
    {
        const QSignalBlocker blockSpin(m_cycleSpin);
        const QSignalBlocker blockSlider(m_slider);
        const qint64 span = std::max<qint64>(m_stepper->totalCycles() - 1, 0);
        m_cycleSpin->setRange(0, static_cast<int>(std::min<qint64>(span, std::numeric_limits<int>::max())));
        m_slider->setRange(0, static_cast<int>(std::min<qint64>(span, kSliderSteps)));
    }
    const auto layers = static_cast<int>(m_model->rowCount());
    if (previousLayer >= 0 && previousLayer < layers) {
        seekLayer(previousLayer);
    } else {
        seekCycle(0);
    }
    emit simulated();
}

void AcceleratorPanel::seekCycle(qint64 cycle)
{
    if (!m_stepper || m_stepper->totalCycles() == 0) {
        return;
    }
    m_stepper->seek(std::clamp<qint64>(cycle, 0, m_stepper->totalCycles() - 1));
    showCycle();
}

std::optional<qint64> AcceleratorPanel::findCycle(qint64 from, accelsim::PeState state, qint64 limit) const
{
    if (!m_stepper || from < 0 || from >= m_stepper->totalCycles()) {
        return std::nullopt;
    }
    accelsim::Stepper probe = *m_stepper;
    probe.seek(from);
    std::vector<accelsim::PeState> states;
    for (qint64 i = 0; i < limit && !probe.atEnd(); ++i, probe.step()) {
        probe.peStates(states);
        if (std::find(states.begin(), states.end(), state) != states.end()) {
            return probe.cycle();
        }
    }
    return std::nullopt;
}

void AcceleratorPanel::seekLayer(int layer)
{
    if (m_stepper && layer >= 0 && static_cast<std::size_t>(layer) < m_stepper->workload().layers.size()) {
        seekCycle(m_stepper->layerStartCycle(static_cast<std::size_t>(layer)));
    }
}

void AcceleratorPanel::showCycle()
{
    const accelsim::CycleState s = m_stepper->state();
    m_stepper->peStates(m_states);
    const auto rows = static_cast<int>(m_stepper->config().rows());
    const auto cols = static_cast<int>(m_stepper->config().cols());
    static_assert(sizeof(accelsim::PeState) == 1);
    m_grid->setStates(rows, cols,
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(m_states.data()), m_states.size()));
    m_grid->setCellTexts(peOperandTexts(*m_stepper));
    const auto& layer = m_stepper->workload().layers[s.layer];
    const auto& g = m_stepper->geometry(s.layer);
    m_grid->setTitle(tr("Cycle %1 of %2 \u00b7 %3").arg(grouped(s.cycle), grouped(m_stepper->totalCycles()),
        QString::fromStdString(layer.name)));
    QString phase = s.stalled ? tr("stalled on DRAM")
        : s.foldCycle < 0     ? tr("waiting")
        : s.foldCycle >= g.cyclesPerFold ? tr("writing back")
                                         : tr("fold cycle %1 of %2").arg(s.foldCycle).arg(g.cyclesPerFold);
    m_cycleInfo->setText(tr("Matrix product %1 of %15 (M\u00d7K\u00d7N %2\u00d7%3\u00d7%4) \u00b7 fold %5 of %6 (row fold %7, column fold %8, "
                            "%9\u00d7%10 PEs used) \u00b7 %11 \u00b7 SRAM this cycle: %12 ifmap + %13 filter words "
                            "read, %14 ofmap words written \u00b7 DRAM this cycle: %16 ifmap + %17 filter words read, "
                            "%18 ofmap words written%19")
                             .arg(s.layer + 1)
                             .arg(layer.m)
                             .arg(layer.k)
                             .arg(layer.n)
                             .arg(s.fold + 1)
                             .arg(g.folds)
                             .arg(s.rowFold)
                             .arg(s.colFold)
                             .arg(s.rowsUsed)
                             .arg(s.colsUsed)
                             .arg(phase)
                             .arg(s.ifmapSramReads)
                             .arg(s.filterSramReads)
                             .arg(s.ofmapSramWrites)
                             .arg(m_stepper->workload().layers.size())
                             .arg(s.ifmapDramReads)
                             .arg(s.filterDramReads)
                             .arg(s.ofmapDramWrites)
                             .arg(m_grid->showsCellTexts() ? tr(" \u00b7 PE values: demo operands in [\u22121, 1) "
                                                                "(the op trace has shapes, not data)")
                                                           : QString()));
    {
        const QSignalBlocker blockSpin(m_cycleSpin);
        const QSignalBlocker blockSlider(m_slider);
        m_cycleSpin->setValue(static_cast<int>(std::min<qint64>(s.cycle, std::numeric_limits<int>::max())));
        const qint64 span = std::max<qint64>(m_stepper->totalCycles() - 1, 1);
        m_slider->setValue(static_cast<int>(s.cycle * m_slider->maximum() / span));
    }
    if (static_cast<int>(s.layer) != m_shownLayer) {
        m_shownLayer = static_cast<int>(s.layer);
        m_table->selectRow(m_shownLayer);
        m_trafficLayer = -1; // recomputed when the chart is on screen
    }
    if (m_views->currentWidget() == m_traffic) {
        showTraffic();
    }
    showActivity();
    m_traffic->setMarker(static_cast<double>(s.layerCycle));
    emit cycleShown(s.cycle);
}

QString AcceleratorPanel::cycleInfoText() const { return m_cycleInfo->text(); }

void AcceleratorPanel::showTraffic()
{
    if (!m_stepper || m_shownLayer < 0 || m_trafficLayer == m_shownLayer) {
        return;
    }
    m_trafficLayer = m_shownLayer;
    const LayerTraffic traffic = layerTraffic(*m_stepper, static_cast<std::size_t>(m_shownLayer));
    const auto& name = m_stepper->workload().layers[static_cast<std::size_t>(m_shownLayer)].name;
    m_traffic->setSeries(tr("%1 \u00b7 %2 cycles%3")
                             .arg(QString::fromStdString(name), grouped(traffic.cycles),
                                 traffic.sampled ? tr(" (sampled)") : QString()),
        tr("cycle of the matrix product"), tr("words per cycle"), traffic.series);
    m_traffic->setMarker(static_cast<double>(m_stepper->atEnd() ? 0 : m_stepper->state().layerCycle));
}

void AcceleratorPanel::showActivity()
{
    if (m_stepper && m_views->currentWidget() == m_activity) {
        m_activity->setData(samplePeActivity(*m_stepper));
    }
}

void AcceleratorPanel::setPlaying(bool playing)
{
    if (playing == isPlaying()) {
        return;
    }
    if (playing && m_stepper) {
        if (currentCycle() >= totalCycles() - 1) {
            seekCycle(0);
        }
        m_pendingCycles = 0;
        m_clock.start();
        m_timer->start();
    } else {
        m_timer->stop();
    }
    m_play->setIcon(style()->standardIcon(isPlaying() ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
}

void AcceleratorPanel::advancePlayback()
{
    if (!m_stepper) {
        setPlaying(false);
        return;
    }
    m_pendingCycles += m_speed->currentData().toDouble() * static_cast<double>(m_clock.restart()) / 1000.0;
    const auto whole = static_cast<qint64>(std::floor(m_pendingCycles));
    if (whole <= 0) {
        return;
    }
    m_pendingCycles -= static_cast<double>(whole);
    const qint64 target = currentCycle() + whole;
    seekCycle(target);
    if (target >= totalCycles() - 1) {
        setPlaying(false);
    }
}

} // namespace optiscope::gui
