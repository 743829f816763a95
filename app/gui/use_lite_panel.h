// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The USE Lite dock. Universal Sentence Encoder Lite is a TF.js graph (core/use_lite_model.h), not a
// Hugging Face folder, so the main window's model-wide views cannot load it; this dock gives it what
// the engine supports: its attention (2 layers × 4 heads) on a sentence in a heatmap and head grid,
// and a compression recipe's prune/quantize steps (compressed attention, cosine of the embeddings
// to the base model's; Evaluate adds the compressed probe accuracy). No accelerator simulation: the
// engine has no op trace for this model, and the dock says so.
#include <QWidget>

#include <QThreadPool>

#include <memory>

class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace optiscope::core {
class UseLiteModel;
}
namespace optiscope::widgets {
class AttentionHeatmapView;
class HeadGridView;
}

namespace optiscope::gui {

class UseLitePanel : public QWidget {
    Q_OBJECT
public:
    explicit UseLitePanel(QWidget* parent = nullptr);
    ~UseLitePanel() override; // waits for the worker

    // Loads the encoder in the background, then runs the sentence.
    void setModelFolder(const QString& distFolder);
    // Empty path: no recipe. Returns the one-line error (recipe file, step), empty on success.
    QString setRecipeFile(const QString& path);
    const QString& recipeFile() const { return m_recipe; }
    void runSentence();

    QLineEdit* sentenceEdit() const { return m_sentence; }
    widgets::AttentionHeatmapView* heatmap() const { return m_heatmap; }
    QString resultText() const;

signals:
    void ran(); // the views show a new result (tests wait for this)
    void failed(const QString& message);

    // Worker → GUI thread.
    void jobDone(quint64 generation, std::shared_ptr<const void> result);
    void jobFailed(quint64 generation, const QString& message);

private:
    void chooseRecipe();
    void showHead();

    QThreadPool m_pool;
    quint64 m_generation = 0;
    QString m_folder;
    QString m_recipe;
    std::shared_ptr<const core::UseLiteModel> m_model; // worker-built, shared read-only
    QLabel* m_result;
    QLabel* m_recipeLabel;
    QLineEdit* m_sentence;
    QSpinBox* m_layer;
    QSpinBox* m_head;
    widgets::AttentionHeatmapView* m_heatmap;
    widgets::HeadGridView* m_grid;
};

} // namespace optiscope::gui
