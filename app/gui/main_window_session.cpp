// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// MainWindow's sessions: save/open .optiscope files and the crash-recovery autosave (session.h).
#include "main_window.h"

#include "accelerator_panel.h"
#include "compression_panel.h"
#include "input_panel.h"
#include "runner.h"
#include "session.h"
#include "tensor_inspector.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonDocument>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QUndoStack>

namespace optiscope::gui {

namespace {
    const QStringList kAttentionNames { QStringLiteral("current"), QStringLiteral("baseline"),
        QStringLiteral("difference") };
}

std::optional<SessionState> MainWindow::captureSession() const
{
    if (!m_runner->model()) {
        return std::nullopt;
    }
    SessionState state;
    state.modelFolder = QFileInfo(m_runner->model()->folder).absoluteFilePath();
    state.inputText = m_input->textEdit()->toPlainText();
    state.inputIsTokenIds = m_input->tokenIdsCheck()->isChecked();
    state.recipeHistory = m_compression->recipeHistory();
    state.recipeIndex = m_compression->undoStack()->index();
    state.accelerator = QJsonDocument::fromJson(m_accelerator->configJson()).object();
    state.layer = m_layerSpin->value();
    state.head = m_headSpin->value();
    state.attention = kAttentionNames.value(m_attentionSource->currentIndex(), kAttentionNames.front());
    state.unitScale = m_unitScale->isChecked();
    state.tensor = m_tensors->selectedTensor();
    return state;
}

QString MainWindow::openSession(const QString& path)
{
    SessionState state;
    if (const QString error = readSessionFile(path, &state); !error.isEmpty()) {
        return error; // nothing changed
    }
    m_sessionPath = path;
    m_pendingSession = std::make_shared<SessionState>(std::move(state));
    openModelFolder(m_pendingSession->modelFolder); // applyPendingSession() once it has loaded
    return {};
}

void MainWindow::applyPendingSession()
{
    const std::shared_ptr<SessionState> state = std::exchange(m_pendingSession, nullptr);
    m_input->tokenIdsCheck()->setChecked(state->inputIsTokenIds);
    m_input->textEdit()->setPlainText(state->inputText);
    if (!state->accelerator.isEmpty()) {
        const QString error = m_accelerator->setConfigJson(
            QJsonDocument(state->accelerator).toJson(), QFileInfo(m_sessionPath).fileName() + QStringLiteral(": accelerator"));
        if (!error.isEmpty()) {
            showError(error);
        }
    }
    m_unitScale->setChecked(state->unitScale);
    m_attentionSource->setCurrentIndex(std::max<int>(0, kAttentionNames.indexOf(state->attention)));
    selectHead(std::min(state->layer, m_layerSpin->maximum()), std::min(state->head, m_headSpin->maximum()));
    m_compression->restoreRecipeHistory(state->recipeHistory, state->recipeIndex);
    if (!state->tensor.isEmpty()) {
        m_tensors->selectTensor(state->tensor);
    }
    if (!state->inputText.trimmed().isEmpty()) {
        runCurrentInput();
    }
    setWindowFilePath(m_sessionPath);
    statusBar()->showMessage(tr("Opened session %1").arg(m_sessionPath), 5000);
    emit sessionRestored();
}

QString MainWindow::saveSession(const QString& path)
{
    const auto state = captureSession();
    if (!state) {
        return tr("Nothing to save: open a model first.");
    }
    if (const QString error = writeSessionFile(path, *state); !error.isEmpty()) {
        return error;
    }
    m_sessionPath = path;
    setWindowFilePath(path);
    statusBar()->showMessage(tr("Saved session %1").arg(path), 4000);
    return {};
}

void MainWindow::chooseAndOpenSession()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Session"), QString(), tr("Optiscope sessions (*.optiscope);;All files (*)"));
    if (path.isEmpty()) {
        return;
    }
    if (const QString error = openSession(path); !error.isEmpty()) {
        showError(error);
    }
}

void MainWindow::saveSessionOrAsk()
{
    if (m_sessionPath.isEmpty()) {
        chooseAndSaveSession();
        return;
    }
    if (const QString error = saveSession(m_sessionPath); !error.isEmpty()) {
        showError(error);
    }
}

void MainWindow::chooseAndSaveSession()
{
    QString path = QFileDialog::getSaveFileName(this, tr("Save Session As"),
        m_sessionPath.isEmpty() ? QStringLiteral("study.optiscope") : m_sessionPath,
        tr("Optiscope sessions (*.optiscope)"));
    if (path.isEmpty()) {
        return;
    }
    if (!path.endsWith(QStringLiteral(".optiscope"))) {
        path += QStringLiteral(".optiscope");
    }
    if (const QString error = saveSession(path); !error.isEmpty()) {
        showError(error);
    }
}

QString MainWindow::recoveryPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/recovery.optiscope");
}

// Every few minutes while a model is open; removed on a normal close, so one found at start means a crash.
void MainWindow::writeRecoveryFile()
{
    const auto state = captureSession();
    if (!state) {
        return;
    }
    QDir().mkpath(QFileInfo(recoveryPath()).absolutePath());
    if (const QString error = writeSessionFile(recoveryPath(), *state); !error.isEmpty()) {
        statusBar()->showMessage(tr("Autosave failed: %1").arg(error), 6000);
    }
}

bool MainWindow::offerRecovery()
{
    const QString path = recoveryPath();
    removeStaleSessionTemporaries(path); // an autosave killed mid-write leaves its temporary
    if (!QFileInfo::exists(path)) {
        return false;
    }
    const QString when = QFileInfo(path).lastModified().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
    const auto answer = QMessageBox::question(this, tr("Restore Session"),
        tr("Optiscope did not close normally. Restore the session autosaved at %1?").arg(when),
        QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
    if (answer != QMessageBox::Yes) {
        QFile::remove(path);
        return false;
    }
    if (const QString error = openSession(path); !error.isEmpty()) {
        showError(error);
        return false;
    }
    m_sessionPath.clear(); // saving asks for a real name, never overwrites the recovery file
    return true;
}

} // namespace optiscope::gui
