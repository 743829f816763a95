// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "compression_panel.h"

#include "metrics_table.h"
#include "recipe_commands.h"
#include "step_editor.h"

#include "optiscope/core/atomic_write.h"
#include "optiscope/core/compression/recipe.h"

#include <QAction>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSignalBlocker>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>

namespace optiscope::gui {

CompressionPanel::CompressionPanel(QWidget* parent)
    : QWidget(parent)
    , m_document(new RecipeDocument(this))
    , m_undo(new QUndoStack(this))
    , m_runner(new CompressionRunner(this))
{
    m_undoAction = m_undo->createUndoAction(this, tr("&Undo"));
    m_undoAction->setShortcut(QKeySequence::Undo);
    m_redoAction = m_undo->createRedoAction(this, tr("&Redo"));
    // Ctrl+Shift+Z everywhere; listing it twice (it is the platform Redo on X11) would make it ambiguous.
    QList<QKeySequence> redoKeys = QKeySequence::keyBindings(QKeySequence::Redo);
    const QKeySequence ctrlShiftZ(Qt::CTRL | Qt::SHIFT | Qt::Key_Z);
    redoKeys.removeAll(ctrlShiftZ);
    redoKeys.prepend(ctrlShiftZ);
    m_redoAction->setShortcuts(redoKeys);

    auto* layout = new QVBoxLayout(this);
    m_editor = new StepEditor(this);
    layout->addWidget(m_editor);
    m_add = new QPushButton(tr("Add step"), this);
    m_add->setObjectName(QStringLiteral("addStepButton"));
    m_add->setToolTip(tr("Append this step to the recipe and apply it."));
    m_remove = new QPushButton(tr("Remove step"), this);
    m_remove->setToolTip(tr("Remove the selected step (undoable)."));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_add);
    buttons->addWidget(m_remove);
    buttons->addStretch(1);
    layout->addLayout(buttons);

    auto* calibrationRow = new QHBoxLayout;
    m_calibrationLabel = new QLabel(this);
    m_calibrationLabel->setObjectName(QStringLiteral("calibrationLabel"));
    m_calibrationLabel->setToolTip(tr("Wanda, SparseGPT and head ablation score weights with activations measured "
                                      "on this text (survey \u00a7V-B). Calibrating on the text you evaluate "
                                      "flatters the result; choose a separate text for a fair comparison."));
    auto* calibrationButton = new QPushButton(tr("Calibration text\u2026"), this);
    calibrationButton->setToolTip(m_calibrationLabel->toolTip());
    calibrationRow->addWidget(m_calibrationLabel, 1);
    calibrationRow->addWidget(calibrationButton);
    layout->addLayout(calibrationRow);
    connect(calibrationButton, &QPushButton::clicked, this, &CompressionPanel::chooseCalibrationFile);
    showCalibration();

    layout->addWidget(new QLabel(tr("Recipe"), this));
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("recipeList"));
    m_list->setMaximumHeight(110);
    layout->addWidget(m_list);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    m_metrics = new MetricsTable(this);
    layout->addWidget(m_metrics);
    layout->addStretch(1);

    connect(m_add, &QPushButton::clicked, this, &CompressionPanel::addStep);
    connect(m_remove, &QPushButton::clicked, this, &CompressionPanel::removeSelectedStep);
    connect(m_document, &RecipeDocument::changed, this, &CompressionPanel::onDocumentChanged);
    // A push drops the redo side (count() shrinks to index()); undo and redo only move along it.
    connect(m_undo, &QUndoStack::indexChanged, this, [this](int index) {
        m_history.resize(m_undo->count() + 1);
        m_history[index] = m_document->steps();
    });
    connect(m_runner, &CompressionRunner::finished, this, &CompressionPanel::onFinished);
    connect(m_runner, &CompressionRunner::failed, this, &CompressionPanel::onFailed);
    connect(m_runner, &CompressionRunner::busyChanged, this, [this](bool busy) {
        if (busy) {
            m_status->setText(tr("Applying %n step(s)\u2026", nullptr, static_cast<int>(m_document->steps().size())));
        }
    });
    setEnabled(false);
}

CompressionPanel::~CompressionPanel()
{
    // ~QUndoStack runs after our members are gone (children die in ~QWidget) and its clear()
    // emits indexChanged: the history lambda must not see it.
    m_undo->disconnect(this);
}

void CompressionPanel::setModel(std::shared_ptr<const core::Model> model)
{
    m_model = std::move(model);
    m_runner->setBaseModel(m_model);
    setEnabled(m_model != nullptr);
    // Tokens of another model's tokenizer mean nothing here: back to the input text.
    m_calibrationFile.clear();
    m_calibrationTokens.clear();
    showCalibration();
    if (m_model) {
        // The linear weights of every block, not the embeddings (which would also change a tied LM head).
        m_editor->setDefaultTargets(m_model->config().architecture == core::Architecture::Gpt2
                ? QStringLiteral("h.*.weight")
                : QStringLiteral("encoder.layer.*.weight"));
        reapply();
    }
}

void CompressionPanel::reapply()
{
    if (!m_model) {
        return;
    }
    auto tokens = m_tokens ? m_tokens() : std::vector<std::int32_t> {};
    m_appliedTokens = tokens;
    auto calibration = calibrationSequences(tokens);
    m_runner->apply(m_document->toJson(), std::move(tokens), std::move(calibration));
}

void CompressionPanel::reapplyIfInputChanged()
{
    if (m_model && m_tokens && m_tokens() != m_appliedTokens) {
        reapply();
    }
}

std::vector<std::vector<std::int32_t>> CompressionPanel::calibrationSequences(
    const std::vector<std::int32_t>& input) const
{
    const auto& tokens = m_calibrationFile.isEmpty() ? input : m_calibrationTokens;
    if (tokens.empty()) {
        return {};
    }
    return { tokens };
}

bool CompressionPanel::setCalibrationFile(const QString& path)
{
    if (path.isEmpty()) {
        m_calibrationFile.clear();
        m_calibrationTokens.clear();
    } else {
        if (!m_model || !m_model->tokenizer()) {
            emit errorOccurred(tr("%1: calibration text: the model has no tokenizer to read it").arg(path));
            return false;
        }
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            emit errorOccurred(tr("%1: calibration text: cannot read: %2").arg(path, file.errorString()));
            return false;
        }
        const QByteArray text = file.readAll();
        auto tokens = m_model->tokenizer()->encode(text.toStdString());
        if (tokens.size() < 2) {
            emit errorOccurred(tr("%1: calibration text: fewer than 2 tokens").arg(path));
            return false;
        }
        m_calibrationFile = path;
        m_calibrationTokens = std::move(tokens);
    }
    showCalibration();
    reapply();
    return true;
}

void CompressionPanel::chooseCalibrationFile()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Calibration text"), {}, tr("Text files (*.txt);;All files (*)"));
    if (!path.isEmpty()) {
        setCalibrationFile(path);
    }
}

void CompressionPanel::showCalibration()
{
    m_calibrationLabel->setText(m_calibrationFile.isEmpty()
            ? tr("Calibration: the input text")
            : tr("Calibration: %1 (%n token(s))", nullptr, static_cast<int>(m_calibrationTokens.size()))
                  .arg(QFileInfo(m_calibrationFile).fileName()));
}

void CompressionPanel::addStep()
{
    const QJsonObject step = m_editor->step();
    // Model-independent checks now, so a bad value never reaches the recipe; model-dependent ones
    // (patterns matching nothing, sizes not dividing) come back from the apply and undo the step.
    QJsonObject probe { { QStringLiteral("schema"), 1 }, { QStringLiteral("steps"), QJsonArray { step } } };
    auto parsed = core::parseRecipe(QJsonDocument(probe).toJson().toStdString(), "new step");
    if (!parsed) {
        emit errorOccurred(QString::fromStdString(parsed.error().message));
        return;
    }
    m_revertOnFailure = true;
    m_undo->push(new AddStepCommand(m_document, step));
}

void CompressionPanel::removeSelectedStep()
{
    const int row = m_list->currentRow();
    if (row >= 0 && row < m_document->steps().size()) {
        m_revertOnFailure = true;
        m_undo->push(new RemoveStepCommand(m_document, row));
    }
}

bool CompressionPanel::openRecipe(const QString& path)
{
    // The engine validates (schema version, every field); Qt's parser only keeps the objects.
    auto recipe = core::loadRecipe(std::filesystem::path(path.toStdString()));
    if (!recipe) {
        emit errorOccurred(QString::fromStdString(recipe.error().message));
        return false;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        emit errorOccurred(tr("%1: cannot read: %2").arg(path, file.errorString()));
        return false;
    }
    QList<QJsonObject> steps;
    for (const QJsonValue& step :
        QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("steps")).toArray()) {
        steps.append(step.toObject());
    }
    m_revertOnFailure = true;
    m_undo->push(new ReplaceRecipeCommand(m_document, std::move(steps), QFileInfo(path).fileName()));
    return true;
}

void CompressionPanel::replaceRecipe(const QList<QJsonObject>& steps, const QString& label)
{
    m_revertOnFailure = true;
    m_undo->push(new ReplaceRecipeCommand(m_document, steps, label));
}

void CompressionPanel::restoreRecipeHistory(const QList<QList<QJsonObject>>& history, int index)
{
    {
        const QSignalBlocker blocker(m_document); // one apply at the end, not one per entry
        m_undo->clear();
        m_document->setSteps(history.isEmpty() ? QList<QJsonObject> {} : history.front());
        m_history = { m_document->steps() };
        for (qsizetype i = 1; i < history.size(); ++i) {
            m_undo->push(new ReplaceRecipeCommand(m_document, history[i], tr("session")));
        }
        m_undo->setIndex(std::clamp<int>(index, 0, m_undo->count()));
    }
    onDocumentChanged();
}

bool CompressionPanel::saveRecipe(const QString& path)
{
    auto written
        = core::writeFileAtomically(std::filesystem::path(path.toStdString()), m_document->toJson().toStdString());
    if (!written) {
        emit errorOccurred(QString::fromStdString(written.error().message));
        return false;
    }
    m_undo->setClean();
    return true;
}

void CompressionPanel::chooseAndOpenRecipe()
{
    const QString path
        = QFileDialog::getOpenFileName(this, tr("Open recipe"), {}, tr("Recipes (*.json);;All files (*)"));
    if (!path.isEmpty()) {
        openRecipe(path);
    }
}

void CompressionPanel::chooseAndSaveRecipe()
{
    QString path = QFileDialog::getSaveFileName(
        this, tr("Save recipe"), QStringLiteral("recipe.json"), tr("Recipes (*.json);;All files (*)"));
    if (path.isEmpty()) {
        return;
    }
    if (QFileInfo(path).suffix().isEmpty()) {
        path += QStringLiteral(".json");
    }
    saveRecipe(path);
}

void CompressionPanel::onDocumentChanged()
{
    m_list->clear();
    int index = 1;
    for (const QJsonObject& step : m_document->steps()) {
        m_list->addItem(QStringLiteral("%1. %2").arg(index++).arg(stepSummary(step)));
    }
    reapply();
}

void CompressionPanel::onFinished(const std::shared_ptr<const CompressionSnapshot>& snapshot)
{
    m_last = snapshot;
    m_revertOnFailure = false;
    QString status = snapshot->steps == 0
        ? tr("No steps: the model as loaded.")
        : tr("%n step(s) applied in %1 ms (%2 from cache).", nullptr, static_cast<int>(snapshot->steps))
              .arg(snapshot->wallMs, 0, 'f', 0)
              .arg(snapshot->reusedSteps);
    if (!snapshot->evaluationError.isEmpty()) {
        status += QLatin1Char(' ') + tr("No metrics: %1").arg(snapshot->evaluationError);
    }
    m_status->setText(status);
    m_metrics->setMetrics(snapshot->baseline, snapshot->current, snapshot->evaluationError);
    emit metricsUpdated();
    // With no steps the views go back to the loaded model itself.
    emit compressedModelReady(snapshot->steps == 0 ? m_model : std::shared_ptr<const core::Model>(snapshot->model));
}

void CompressionPanel::onFailed(const QString& message)
{
    m_status->setText(tr("Not applied: %1").arg(message));
    emit errorOccurred(message);
    // Keep the last good state: the edit that broke the recipe is undone (it stays on the redo side).
    if (m_revertOnFailure && m_undo->canUndo()) {
        m_revertOnFailure = false;
        m_undo->undo();
    }
}

} // namespace optiscope::gui
