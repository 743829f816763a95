// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The Compression dock: a step editor, the recipe list with undo/redo, recipe files, and the
// baseline-vs-current metrics. Every recipe change re-applies the recipe in the background
// (CompressionRunner) and announces the compressed model so the attention views can re-run.
#include "compression_runner.h"

#include "optiscope/core/model.h"

#include <QJsonObject>
#include <QList>
#include <QWidget>

#include <functional>
#include <memory>
#include <vector>

class QAction;
class QLabel;
class QListWidget;
class QPushButton;
class QUndoStack;

namespace optiscope::gui {

class MetricsTable;
class RecipeDocument;
class StepEditor;

class CompressionPanel : public QWidget {
    Q_OBJECT
public:
    using TokenSource = std::function<std::vector<std::int32_t>()>;

    explicit CompressionPanel(QWidget* parent = nullptr);
    ~CompressionPanel() override;

    // A new base model: the step cache is dropped and the current recipe re-applied.
    void setModel(std::shared_ptr<const core::Model> model);
    // Where the metrics' tokens come from (the current input); empty → no metrics.
    void setTokenSource(TokenSource source) { m_tokens = std::move(source); }

    void addStep(); // the editor's step, validated first
    void removeSelectedStep();
    bool openRecipe(const QString& path); // errors go to errorOccurred
    // Replaces the recipe (one undoable command); label names it in the undo history.
    void replaceRecipe(const QList<QJsonObject>& steps, const QString& label);
    bool saveRecipe(const QString& path);
    void chooseAndOpenRecipe();
    void chooseAndSaveRecipe();
    void reapply(); // e.g. after the input text changed
    // Re-applies only when the token source gives other tokens than the last apply used.
    void reapplyIfInputChanged();
    // Calibration for data-aware steps: a text file tokenized with the model's tokenizer, or ""
    // for the input text (the default). Errors go to errorOccurred and keep the previous choice.
    bool setCalibrationFile(const QString& path);
    void chooseCalibrationFile();
    const QString& calibrationFile() const { return m_calibrationFile; }

    QUndoStack* undoStack() const { return m_undo; }
    QAction* undoAction() const { return m_undoAction; }
    QAction* redoAction() const { return m_redoAction; }
    StepEditor* stepEditor() const { return m_editor; }
    QListWidget* recipeList() const { return m_list; }
    MetricsTable* metricsTable() const { return m_metrics; }
    RecipeDocument* document() const { return m_document; }
    CompressionRunner* runner() const { return m_runner; }
    const std::shared_ptr<const CompressionSnapshot>& lastResult() const { return m_last; }
    std::vector<std::int32_t> inputTokens() const { return m_tokens ? m_tokens() : std::vector<std::int32_t> {}; }

    // Every recipe the undo stack can reach, oldest first; the current one is at undoStack()->index().
    const QList<QList<QJsonObject>>& recipeHistory() const { return m_history; }
    // Rebuilds the undo stack from a saved history (one step per entry) and applies history[index] once.
    void restoreRecipeHistory(const QList<QList<QJsonObject>>& history, int index);

signals:
    // After a successful apply; the model is the base itself when no step changes anything.
    void compressedModelReady(std::shared_ptr<const optiscope::core::Model> model);
    void metricsUpdated(); // the table shows the newest result (tests wait for this)
    void errorOccurred(const QString& message);

private:
    void onDocumentChanged();
    void onFinished(const std::shared_ptr<const CompressionSnapshot>& snapshot);
    void onFailed(const QString& message);
    std::vector<std::vector<std::int32_t>> calibrationSequences(const std::vector<std::int32_t>& input) const;
    void showCalibration();

    std::vector<std::int32_t> m_appliedTokens; // what the last apply evaluated on
    QString m_calibrationFile;
    std::vector<std::int32_t> m_calibrationTokens; // of m_calibrationFile
    QLabel* m_calibrationLabel = nullptr;
    RecipeDocument* m_document = nullptr;
    QUndoStack* m_undo = nullptr;
    QAction* m_undoAction = nullptr;
    QAction* m_redoAction = nullptr;
    CompressionRunner* m_runner = nullptr;
    StepEditor* m_editor = nullptr;
    QPushButton* m_add = nullptr;
    QPushButton* m_remove = nullptr;
    QListWidget* m_list = nullptr;
    QLabel* m_status = nullptr;
    MetricsTable* m_metrics = nullptr;
    QList<QList<QJsonObject>> m_history { QList<QJsonObject> {} };
    TokenSource m_tokens;
    std::shared_ptr<const core::Model> m_model;
    std::shared_ptr<const CompressionSnapshot> m_last;
    bool m_revertOnFailure = false; // the pending apply comes from a user edit that may be undone
};

} // namespace optiscope::gui
