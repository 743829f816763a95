// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The Evaluation dock: Model ▸ Evaluate runs the held-out metric of the loaded model (perplexity
// on the GPT-2 sample's held-out Moby-Dick text, accuracy on the Fashion-MNIST test images for the
// ViT sample, sentiment-probe accuracy for USE Lite) for the base model and, when the Compression
// dock has a recipe, the compressed one, in the background with a progress bar and Cancel, and
// lists metric, value, samples and time.
#include <QWidget>

#include <memory>

class QAction;
class QLabel;
class QMainWindow;
class QMenu;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace optiscope::gui {

class EvaluationRunner;
class MainWindow;
struct EvaluationSnapshot;

class EvaluationPanel : public QWidget {
    Q_OBJECT
public:
    explicit EvaluationPanel(MainWindow* window, QWidget* parent = nullptr);

    void evaluate(); // the loaded model (or USE Lite when that was picked); errors in a dialog
    void cancel();
    // USE Lite cannot be loaded into the main window's views (see sample_picker.h); picking it
    // makes it the Evaluate target until a Hugging Face model loads.
    void setUseLiteTarget(const QString& distFolder);
    const QString& useLiteTarget() const { return m_useLite; }

    QAction* evaluateAction() const { return m_evaluateAction; }
    QTableWidget* table() const { return m_table; }
    QProgressBar* progressBar() const { return m_progress; }
    QPushButton* cancelButton() const { return m_cancel; }
    EvaluationRunner* runner() const { return m_runner; }
    QString targetText() const;
    void showMessage(const QString& message); // one line, in a window-modal dialog

signals:
    void evaluated(); // the table shows a new result (tests wait for this)
    void evaluationCancelled();
    void evaluationFailed(const QString& message);

private:
    void showResult(const std::shared_ptr<const EvaluationSnapshot>& snapshot);
    void updateTarget();

    MainWindow* m_window;
    EvaluationRunner* m_runner;
    QAction* m_evaluateAction;
    QLabel* m_target;
    QLabel* m_note;
    QTableWidget* m_table;
    QProgressBar* m_progress;
    QPushButton* m_evaluate;
    QPushButton* m_cancel;
    QString m_useLite; // non-empty: Evaluate runs the USE Lite probe
};

// The Evaluation dock (tabbed with the Compression dock) and Model ▸ Evaluate (Ctrl+Shift+E).
EvaluationPanel* addEvaluationDock(MainWindow* window, QMenu* modelMenu);

} // namespace optiscope::gui
