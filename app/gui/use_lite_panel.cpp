// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "use_lite_panel.h"

#include "attention_data.h"
#include "attention_heatmap_view.h"
#include "head_grid_view.h"

#include "optiscope/core/compression/recipe.h"
#include "optiscope/core/use_lite_model.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>
#include <exception>

namespace optiscope::gui {

namespace {
    struct UseLiteRun {
        std::shared_ptr<const core::UseLiteModel> model; // the base encoder (loaded by this job or before)
        widgets::AttentionDataPtr attention; // of the compressed encoder when there is a recipe
        int tokens = 0;
        int truncatedFrom = 0;
        double cosine = 1; // compressed vs base embedding; 1 without a recipe
        bool compressed = false;
    };

    widgets::AttentionDataPtr toAttentionData(const core::UseLiteModel& model, const core::UseLiteResult& result)
    {
        auto data = std::make_shared<widgets::AttentionData>();
        data->layers = static_cast<int>(result.attentions.size());
        data->heads = data->layers ? result.attentions.front().heads : 0;
        data->tokens = result.usedTokens;
        for (const auto& layer : result.attentions) {
            data->values.insert(data->values.end(), layer.probs.begin(), layer.probs.end());
        }
        for (int i = 0; i < result.usedTokens; ++i) {
            data->tokenLabels << widgets::displayTokenLabel(
                QString::fromStdString(model.tokenizer().piece(result.tokenIds[static_cast<std::size_t>(i)])));
        }
        return data;
    }
} // namespace

UseLitePanel::UseLitePanel(QWidget* parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("useLitePanel"));
    qRegisterMetaType<std::shared_ptr<const void>>("std::shared_ptr<const void>");
    m_pool.setMaxThreadCount(1);
    auto* support = new QLabel(tr("Universal Sentence Encoder Lite runs here, not in the main views (it is a TF.js graph, "
                                  "not a Hugging Face folder). Supported: attention (below), compression by a recipe's "
                                  "prune and quantize steps, Evaluate (sentiment-probe accuracy). <b>Not supported:</b> the "
                                  "accelerator simulation and the weights view (the engine has no op trace for this model)."),
        this);
    support->setWordWrap(true);
    m_sentence = new QLineEdit(QStringLiteral("Call me Ishmael. The whale swam under the ship."), this);
    auto* run = new QPushButton(tr("Run"), this);
    auto* recipe = new QPushButton(tr("Recipe\u2026"), this);
    recipe->setToolTip(tr("Prune/quantize steps targeting embeddings.weight, layer.{0,1}.attention.{qkv,output}.weight, "
                          "layer.0.residual.weight, layer.{0,1}.ffn.{fc1,fc2}.weight, tanh.weight"));
    m_recipeLabel = new QLabel(tr("no recipe"), this);
    m_result = new QLabel(this);
    m_result->setObjectName(QStringLiteral("useLiteResult"));
    m_result->setWordWrap(true);
    m_layer = new QSpinBox(this);
    m_layer->setPrefix(tr("Layer "));
    m_layer->setRange(0, 1);
    m_head = new QSpinBox(this);
    m_head->setPrefix(tr("Head "));
    m_head->setRange(0, 3);
    m_heatmap = new widgets::AttentionHeatmapView(this);
    m_heatmap->setMinimumHeight(260);
    m_grid = new widgets::HeadGridView(this);
    m_grid->setMinimumHeight(120);

    auto* input = new QHBoxLayout;
    input->addWidget(m_sentence, 1);
    input->addWidget(run);
    auto* recipeRow = new QHBoxLayout;
    recipeRow->addWidget(recipe);
    recipeRow->addWidget(m_recipeLabel, 1);
    auto* heads = new QHBoxLayout;
    heads->addWidget(m_layer);
    heads->addWidget(m_head);
    heads->addStretch();
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(support);
    layout->addLayout(input);
    layout->addLayout(recipeRow);
    layout->addWidget(m_result);
    layout->addLayout(heads);
    layout->addWidget(m_heatmap, 3);
    layout->addWidget(m_grid, 1);

    connect(run, &QPushButton::clicked, this, &UseLitePanel::runSentence);
    connect(m_sentence, &QLineEdit::returnPressed, this, &UseLitePanel::runSentence);
    connect(recipe, &QPushButton::clicked, this, &UseLitePanel::chooseRecipe);
    connect(m_layer, &QSpinBox::valueChanged, this, &UseLitePanel::showHead);
    connect(m_head, &QSpinBox::valueChanged, this, &UseLitePanel::showHead);
    connect(m_grid, &widgets::HeadGridView::headSelected, this, [this](int layer, int head) {
        m_layer->setValue(layer);
        m_head->setValue(head);
    });
    connect(
        this, &UseLitePanel::jobDone, this,
        [this](quint64 generation, std::shared_ptr<const void> raw) {
            if (generation != m_generation) {
                return; // superseded
            }
            const auto run = std::static_pointer_cast<const UseLiteRun>(raw);
            m_model = run->model;
            m_heatmap->setData(run->attention);
            m_grid->setData(run->attention);
            showHead();
            QString text = tr("%n token(s)", nullptr, run->tokens);
            if (run->truncatedFrom > run->tokens) {
                text += tr(" (truncated from %1, the graph's limit)").arg(run->truncatedFrom);
            }
            if (run->compressed) {
                text += tr("; compressed encoder: cosine to the base embedding %1").arg(run->cosine, 0, 'f', 6);
            }
            m_result->setText(text);
            emit ran();
        },
        Qt::QueuedConnection);
    connect(
        this, &UseLitePanel::jobFailed, this,
        [this](quint64 generation, const QString& message) {
            if (generation == m_generation) {
                m_result->setText(message);
                emit failed(message);
            }
        },
        Qt::QueuedConnection);
}

UseLitePanel::~UseLitePanel()
{
    ++m_generation;
    m_pool.waitForDone();
}

QString UseLitePanel::resultText() const { return m_result->text(); }

void UseLitePanel::setModelFolder(const QString& distFolder)
{
    if (distFolder != m_folder) {
        m_folder = distFolder;
        m_model.reset();
    }
    runSentence();
}

QString UseLitePanel::setRecipeFile(const QString& path)
{
    if (!path.isEmpty()) {
        auto recipe = core::loadRecipe(path.toStdString());
        if (!recipe) {
            return QString::fromStdString(recipe.error().message);
        }
    }
    m_recipe = path;
    m_recipeLabel->setText(path.isEmpty() ? tr("no recipe") : QFileInfo(path).fileName());
    m_recipeLabel->setToolTip(path);
    if (!m_folder.isEmpty()) {
        runSentence();
    }
    return {};
}

void UseLitePanel::chooseRecipe()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open USE Lite Recipe"), {}, tr("Recipes (*.json)"));
    if (path.isEmpty()) {
        return;
    }
    if (const QString error = setRecipeFile(path); !error.isEmpty()) {
        m_result->setText(error);
        emit failed(error);
    }
}

void UseLitePanel::runSentence()
{
    if (m_folder.isEmpty()) {
        return;
    }
    const quint64 generation = ++m_generation;
    m_result->setText(m_model ? tr("Running\u2026") : tr("Loading USE Lite\u2026"));
    m_pool.start([this, generation, folder = m_folder, model = m_model, recipePath = m_recipe,
                     text = m_sentence->text().toStdString()]() mutable {
        try {
            auto run = std::make_shared<UseLiteRun>();
            if (!model) {
                auto loaded = core::UseLiteModel::load(folder.toStdString());
                if (!loaded) {
                    emit jobFailed(generation, QString::fromStdString(loaded.error().message));
                    return;
                }
                model = std::make_shared<const core::UseLiteModel>(std::move(*loaded));
            }
            run->model = model;
            auto base = model->embed(text, true);
            if (!base) {
                emit jobFailed(generation, QString::fromStdString(base.error().message));
                return;
            }
            run->tokens = base->usedTokens;
            run->truncatedFrom = static_cast<int>(base->tokenIds.size());
            run->attention = toAttentionData(*model, *base);
            if (!recipePath.isEmpty()) {
                auto recipe = core::loadRecipe(recipePath.toStdString());
                if (!recipe) {
                    emit jobFailed(generation, QString::fromStdString(recipe.error().message));
                    return;
                }
                auto compressed = model->compressed(*recipe);
                if (!compressed) {
                    emit jobFailed(generation, QString::fromStdString(compressed.error().message));
                    return;
                }
                auto out = compressed->embed(text, true);
                if (!out) {
                    emit jobFailed(generation, QString::fromStdString(out.error().message));
                    return;
                }
                double dot = 0;
                for (std::size_t i = 0; i < out->embedding.size(); ++i) {
                    dot += double(out->embedding[i]) * base->embedding[i]; // both L2-normalised
                }
                run->cosine = dot;
                run->compressed = true;
                run->attention = toAttentionData(*compressed, *out);
            }
            emit jobDone(generation, std::move(run));
        } catch (const std::exception& error) {
            emit jobFailed(generation, tr("internal error: %1").arg(error.what()));
        }
    });
}

void UseLitePanel::showHead()
{
    m_heatmap->setSelection(m_layer->value(), m_head->value());
    m_grid->setCurrent(m_layer->value(), m_head->value());
}

} // namespace optiscope::gui
