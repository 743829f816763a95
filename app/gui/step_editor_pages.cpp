// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The step editor's pages: one per technique, each with the fields RECIPE_SCHEMA.md gives it.
#include "step_editor.h"
#include "technique_catalog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStackedWidget>

namespace optiscope::gui {
namespace {

    QWidget* formPage(QWidget* parent, QFormLayout** form)
    {
        auto* page = new QWidget(parent);
        *form = new QFormLayout(page);
        (*form)->setContentsMargins(0, 0, 0, 0);
        return page;
    }

    QSpinBox* spin(QWidget* parent, int low, int high, int value, const QString& tooltip)
    {
        auto* box = new QSpinBox(parent);
        box->setRange(low, high);
        box->setValue(value);
        box->setToolTip(tooltip);
        return box;
    }

    // "0:1, 1:0" → [[0, 1], [1, 0]]; "2 3" → [2, 3].
    QJsonArray integerTuples(const QString& text, bool pairs)
    {
        static const QRegularExpression pair(QStringLiteral("(\\d+)\\s*:\\s*(\\d+)"));
        static const QRegularExpression single(QStringLiteral("\\d+"));
        QJsonArray out;
        auto it = (pairs ? pair : single).globalMatch(text);
        while (it.hasNext()) {
            const auto match = it.next();
            out.append(pairs ? QJsonValue(QJsonArray { match.captured(1).toInt(), match.captured(2).toInt() })
                             : QJsonValue(match.captured(0).toInt()));
        }
        return out;
    }

    void insertSaliency(QJsonObject& step, const QComboBox* saliency)
    {
        const QString value = saliency->currentData().toString();
        if (value != QLatin1String("magnitude")) { // the default stays implicit
            step.insert(QStringLiteral("saliency"), value);
        }
    }

} // namespace

QComboBox* StepEditor::saliencyCombo(QWidget* parent) const
{
    auto* combo = new QComboBox(parent);
    combo->addItem(tr("magnitude |w|"), QStringLiteral("magnitude"));
    combo->addItem(tr("Wanda |w|\u00b7\u2016x\u2016 (calibrated)"), QStringLiteral("wanda"));
    combo->addItem(tr("SparseGPT, second order (calibrated)"), QStringLiteral("sparsegpt"));
    combo->setItemData(0, tr("Zero-order saliency: the smallest weights go."), Qt::ToolTipRole);
    combo->setItemData(1,
        tr("First-order-like: |w| times the norm of its input activation on the calibration text (Wanda; "
           "GPT-2 linear layers)."),
        Qt::ToolTipRole);
    combo->setItemData(2,
        tr("Second order: OBS updates with the layer Hessian XᵀX from the calibration text; kept weights are "
           "adjusted (SparseGPT; GPT-2 linear layers; before any quantization)."),
        Qt::ToolTipRole);
    return combo;
}

QWidget* StepEditor::granularityRows(QWidget* page, QFormLayout* form, QComboBox** granularity, QSpinBox** groupSize)
{
    *granularity = new QComboBox(page);
    (*granularity)->addItem(tr("per tensor"), QStringLiteral("per_tensor"));
    (*granularity)->addItem(tr("per channel"), QStringLiteral("per_channel"));
    (*granularity)->addItem(tr("group"), QStringLiteral("group"));
    (*granularity)->addItem(tr("per head"), QStringLiteral("per_head"));
    (*granularity)->setItemData(3,
        tr("One scale per attention head's Q/K/V slice (and output-projection input); attention projections only."),
        Qt::ToolTipRole);
    (*granularity)->setCurrentIndex(1);
    *groupSize = spin(page, 1, 4096, 32, tr("Consecutive input weights sharing one scale; must divide the input dimension."));
    (*groupSize)->setEnabled(false);
    form->addRow(tr("Granularity"), *granularity);
    form->addRow(tr("Group size"), *groupSize);
    QComboBox* combo = *granularity;
    QSpinBox* group = *groupSize;
    connect(combo, &QComboBox::currentIndexChanged, group,
        [combo, group] { group->setEnabled(combo->currentData().toString() == QLatin1String("group")); });
    return page;
}

void StepEditor::buildPruningPages()
{
    QFormLayout* form = nullptr;

    QWidget* unstructured = formPage(m_pages, &form);
    QComboBox* saliency = saliencyCombo(unstructured);
    form->addRow(tr("Saliency"), saliency);
    addPage({ techniqueInfo(report::Technique::PruneUnstructured).name, techniqueInfo(report::Technique::PruneUnstructured).description,
                true, true,
                [saliency](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("prune"));
                    step.insert(QStringLiteral("pattern"), QStringLiteral("unstructured"));
                    insertSaliency(step, saliency);
                } },
        unstructured);

    QWidget* nmPage = formPage(m_pages, &form);
    auto* nm = new QComboBox(nmPage);
    for (const char* pattern : { "1:2", "2:4", "1:4", "4:8" }) {
        nm->addItem(QString::fromLatin1(pattern));
    }
    nm->setCurrentIndex(1);
    nm->setToolTip(tr("Keep N of every M consecutive input weights; M must divide the input dimension."));
    QComboBox* nmSaliency = saliencyCombo(nmPage);
    form->addRow(tr("Pattern N:M"), nm);
    form->addRow(tr("Saliency"), nmSaliency);
    addPage({ techniqueInfo(report::Technique::PruneNM).name, techniqueInfo(report::Technique::PruneNM).description,
                false, true,
                [nm, nmSaliency](QJsonObject& step) {
                    const QStringList parts = nm->currentText().split(QLatin1Char(':'));
                    step.insert(QStringLiteral("type"), QStringLiteral("prune"));
                    step.insert(QStringLiteral("pattern"), QStringLiteral("n:m"));
                    step.insert(QStringLiteral("n"), parts.at(0).toInt());
                    step.insert(QStringLiteral("m"), parts.at(1).toInt());
                    insertSaliency(step, nmSaliency);
                } },
        nmPage);

    QWidget* block = formPage(m_pages, &form);
    auto* blockRow = new QHBoxLayout;
    QSpinBox* blockRows = spin(block, 1, 1024, 4, tr("Must divide the matrix dimension."));
    QSpinBox* blockCols = spin(block, 1, 1024, 4, tr("Must divide the matrix dimension."));
    blockRows->setPrefix(tr("out "));
    blockCols->setPrefix(tr("in "));
    blockRow->addWidget(blockRows);
    blockRow->addWidget(blockCols);
    form->addRow(tr("Block"), blockRow);
    addPage({ techniqueInfo(report::Technique::PruneBlocks).name, techniqueInfo(report::Technique::PruneBlocks).description,
                true, true,
                [blockRows, blockCols](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("prune"));
                    step.insert(QStringLiteral("pattern"), QStringLiteral("block"));
                    step.insert(QStringLiteral("block"), QJsonArray { blockRows->value(), blockCols->value() });
                } },
        block);

    QWidget* heads = formPage(m_pages, &form);
    auto* headList = new QLineEdit(QStringLiteral("0:0"), heads);
    headList->setToolTip(tr("layer:head pairs, 0-based, separated by commas or spaces, e.g. 0:1, 1:0"));
    form->addRow(tr("Heads"), headList);
    addPage({ techniqueInfo(report::Technique::PruneHeads).name, techniqueInfo(report::Technique::PruneHeads).description,
                false, false,
                [headList](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("prune_heads"));
                    step.insert(QStringLiteral("heads"), integerTuples(headList->text(), true));
                } },
        heads);
}

void StepEditor::buildQuantizationPages()
{
    QFormLayout* form = nullptr;

    QWidget* quant = formPage(m_pages, &form);
    QSpinBox* bits = spin(quant, 2, 16, 8, tr("Bits per weight."));
    bits->setSuffix(tr(" bits"));
    form->addRow(tr("Bit width"), bits);
    QComboBox* granularity = nullptr;
    QSpinBox* groupSize = nullptr;
    granularityRows(quant, form, &granularity, &groupSize);
    auto* symmetric = new QCheckBox(tr("Symmetric"), quant);
    symmetric->setChecked(true);
    symmetric->setToolTip(tr("Symmetric: zero point 0; off: an integer zero point per group."));
    form->addRow(QString(), symmetric);
    auto* clip = new QComboBox(quant);
    clip->addItem(tr("min/max"), QStringLiteral("minmax"));
    clip->addItem(tr("99.9th percentile"), QStringLiteral("percentile"));
    clip->addItem(tr("MSE-optimal"), QStringLiteral("mse"));
    clip->setToolTip(tr("The range mapped onto the grid: the whole range, a percentile of |w|, or the range with the "
                        "lowest squared error (static calibration, survey \u00a7VI)."));
    form->addRow(tr("Clipping"), clip);
    auto* stochastic = new QCheckBox(tr("Stochastic rounding"), quant);
    stochastic->setToolTip(tr("Unbiased random rounding (for study; reproducible with seed 0)."));
    form->addRow(QString(), stochastic);
    addPage({ techniqueInfo(report::Technique::QuantizeInt).name, techniqueInfo(report::Technique::QuantizeInt).description,
                false, true,
                [=](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("quantize"));
                    step.insert(QStringLiteral("format"), QStringLiteral("int"));
                    step.insert(QStringLiteral("bits"), bits->value());
                    step.insert(QStringLiteral("symmetric"), symmetric->isChecked());
                    step.insert(QStringLiteral("granularity"), granularity->currentData().toString());
                    if (granularity->currentData().toString() == QLatin1String("group")) {
                        step.insert(QStringLiteral("group_size"), groupSize->value());
                    }
                    const QString range = clip->currentData().toString();
                    if (range != QLatin1String("minmax")) {
                        step.insert(QStringLiteral("clip"), range);
                    }
                    if (range == QLatin1String("percentile")) {
                        step.insert(QStringLiteral("percentile"), 99.9);
                    }
                    if (stochastic->isChecked()) {
                        step.insert(QStringLiteral("rounding"), QStringLiteral("stochastic"));
                    }
                } },
        quant);

    QWidget* formatPage = formPage(m_pages, &form);
    auto* format = new QComboBox(formatPage);
    format->addItem(QStringLiteral("FP16"), QStringLiteral("fp16"));
    format->addItem(QStringLiteral("BF16"), QStringLiteral("bf16"));
    format->addItem(QStringLiteral("TF32"), QStringLiteral("tf32"));
    format->addItem(QStringLiteral("FP8 E4M3"), QStringLiteral("fp8_e4m3"));
    format->addItem(QStringLiteral("FP8 E5M2"), QStringLiteral("fp8_e5m2"));
    form->addRow(tr("Format"), format);
    addPage({ techniqueInfo(report::Technique::QuantizeFormat).name, techniqueInfo(report::Technique::QuantizeFormat).description,
                false, true,
                [format](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("quantize"));
                    step.insert(QStringLiteral("format"), format->currentData().toString());
                } },
        formatPage);
}

void StepEditor::buildStructuredPruningPages()
{
    QFormLayout* form = nullptr;
    QWidget* bank = formPage(m_pages, &form);
    QSpinBox* bankSize = spin(bank, 2, 65536, 16, tr("Consecutive input weights per bank; must divide the input dimension."));
    form->addRow(tr("Bank size"), bankSize);
    addPage({ techniqueInfo(report::Technique::PruneBankBalanced).name, techniqueInfo(report::Technique::PruneBankBalanced).description,
                true, true,
                [bankSize](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("prune"));
                    step.insert(QStringLiteral("pattern"), QStringLiteral("bank_balanced"));
                    step.insert(QStringLiteral("bank_size"), bankSize->value());
                } },
        bank);

    addPage({ techniqueInfo(report::Technique::PruneNeurons).name, techniqueInfo(report::Technique::PruneNeurons).description,
                true, true,
                [](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("prune"));
                    step.insert(QStringLiteral("pattern"), QStringLiteral("output_channels"));
                } },
        new QWidget(m_pages));

    QWidget* importance = formPage(m_pages, &form);
    QSpinBox* headCount = spin(importance, 1, 4096, 4, tr("How many heads to remove, the least important first."));
    form->addRow(tr("Heads to remove"), headCount);
    addPage({ techniqueInfo(report::Technique::PruneHeadsByImportance).name, techniqueInfo(report::Technique::PruneHeadsByImportance).description,
                false, false,
                [headCount](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("prune_heads"));
                    step.insert(QStringLiteral("saliency"), QStringLiteral("ablation"));
                    step.insert(QStringLiteral("count"), headCount->value());
                } },
        importance);

    QWidget* layers = formPage(m_pages, &form);
    auto* layerList = new QLineEdit(QStringLiteral("3"), layers);
    layerList->setToolTip(tr("0-based layer indices, separated by commas or spaces."));
    form->addRow(tr("Layers"), layerList);
    addPage({ techniqueInfo(report::Technique::PruneLayers).name, techniqueInfo(report::Technique::PruneLayers).description,
                false, false,
                [layerList](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("prune_layers"));
                    step.insert(QStringLiteral("layers"), integerTuples(layerList->text(), false));
                } },
        layers);
}

void StepEditor::buildLowBitPages()
{
    QFormLayout* form = nullptr;
    QWidget* lowBit = formPage(m_pages, &form);
    auto* lowBitFormat = new QComboBox(lowBit);
    lowBitFormat->addItem(tr("ternary {\u2212\u03b1, 0, +\u03b1}"), QStringLiteral("ternary"));
    lowBitFormat->addItem(tr("binary {\u2212\u03b1, +\u03b1}"), QStringLiteral("binary"));
    form->addRow(tr("Format"), lowBitFormat);
    QComboBox* lowBitGranularity = nullptr;
    QSpinBox* lowBitGroup = nullptr;
    granularityRows(lowBit, form, &lowBitGranularity, &lowBitGroup);
    addPage({ techniqueInfo(report::Technique::QuantizeTernaryBinary).name, techniqueInfo(report::Technique::QuantizeTernaryBinary).description,
                false, true,
                [=](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("quantize"));
                    step.insert(QStringLiteral("format"), lowBitFormat->currentData().toString());
                    step.insert(QStringLiteral("granularity"), lowBitGranularity->currentData().toString());
                    if (lowBitGranularity->currentData().toString() == QLatin1String("group")) {
                        step.insert(QStringLiteral("group_size"), lowBitGroup->value());
                    }
                } },
        lowBit);

    QWidget* bfp = formPage(m_pages, &form);
    QSpinBox* blockSize = spin(bfp, 2, 1024, 16, tr("Elements sharing one exponent; must divide the input dimension."));
    QSpinBox* mantissa = spin(bfp, 1, 23, 3, tr("Magnitude bits per element besides the sign (MSFP12 = 3, MSFP16 = 7)."));
    form->addRow(tr("Block size"), blockSize);
    form->addRow(tr("Mantissa bits"), mantissa);
    addPage({ techniqueInfo(report::Technique::QuantizeBfp).name, techniqueInfo(report::Technique::QuantizeBfp).description,
                false, true,
                [blockSize, mantissa](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("quantize"));
                    step.insert(QStringLiteral("format"), QStringLiteral("bfp"));
                    step.insert(QStringLiteral("block_size"), blockSize->value());
                    step.insert(QStringLiteral("mantissa_bits"), mantissa->value());
                } },
        bfp);
}

void StepEditor::buildTokenPage()
{
    QFormLayout* form = nullptr;
    QWidget* tokens = formPage(m_pages, &form);
    auto* method = new QComboBox(tokens);
    method->addItem(tr("cascade (SpAtten)"), QStringLiteral("cascade"));
    method->addItem(tr("threshold (LTP)"), QStringLiteral("threshold"));
    method->addItem(tr("fuse patches (EViT, ViT)"), QStringLiteral("evit"));
    auto* keep = new QDoubleSpinBox(tokens);
    keep->setRange(0.05, 1.0);
    keep->setSingleStep(0.05);
    keep->setValue(0.7);
    keep->setToolTip(tr("Fraction of the remaining tokens kept at each layer from the start layer on."));
    auto* threshold = new QDoubleSpinBox(tokens);
    threshold->setDecimals(3);
    threshold->setRange(0.0, 1.0);
    threshold->setSingleStep(0.005);
    threshold->setValue(0.02);
    threshold->setToolTip(tr("Tokens receiving less mean attention than this are pruned."));
    threshold->setEnabled(false);
    QSpinBox* start = spin(tokens, 1, 1024, 1, tr("The first layer whose input is pruned (needs an earlier layer's attention)."));
    form->addRow(tr("Method"), method);
    form->addRow(tr("Keep ratio"), keep);
    form->addRow(tr("Threshold"), threshold);
    form->addRow(tr("Start layer"), start);
    connect(method, &QComboBox::currentIndexChanged, tokens, [method, keep, threshold] {
        const bool byThreshold = method->currentData().toString() == QLatin1String("threshold");
        keep->setEnabled(!byThreshold);
        threshold->setEnabled(byThreshold);
    });
    addPage({ techniqueInfo(report::Technique::PruneTokens).name, techniqueInfo(report::Technique::PruneTokens).description,
                false, false,
                [=](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("prune_tokens"));
                    const QString how = method->currentData().toString();
                    step.insert(QStringLiteral("method"), how);
                    if (how == QLatin1String("threshold")) {
                        step.insert(QStringLiteral("threshold"), threshold->value());
                    } else {
                        step.insert(QStringLiteral("keep_ratio"), keep->value());
                    }
                    step.insert(QStringLiteral("start_layer"), start->value());
                } },
        tokens);
}

void StepEditor::buildOutlierPages()
{
    QFormLayout* form = nullptr;
    QWidget* activations = formPage(m_pages, &form);
    QSpinBox* activationBits = spin(activations, 2, 16, 8, tr("Bits per input value."));
    activationBits->setObjectName(QStringLiteral("activationBits"));
    auto* scaling = new QComboBox(activations);
    scaling->setObjectName(QStringLiteral("activationScaling"));
    scaling->addItem(tr("dynamic, per token"), QStringLiteral("per_token"));
    scaling->addItem(tr("dynamic, per tensor"), QStringLiteral("per_tensor"));
    scaling->addItem(tr("static, calibrated (MSE clipping)"), QStringLiteral("static"));
    scaling->setToolTip(tr("Dynamic: scales from each input at run time; static: one range per layer from the "
                           "calibration text."));
    auto* activationSymmetric = new QCheckBox(tr("Symmetric"), activations);
    activationSymmetric->setChecked(true);
    form->addRow(tr("Bits"), activationBits);
    form->addRow(tr("Scaling"), scaling);
    form->addRow(QString(), activationSymmetric);
    addPage({ techniqueInfo(report::Technique::QuantizeActivations).name,
                techniqueInfo(report::Technique::QuantizeActivations).description, false, true,
                [=](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("quantize_activations"));
                    step.insert(QStringLiteral("bits"), activationBits->value());
                    step.insert(QStringLiteral("symmetric"), activationSymmetric->isChecked());
                    const QString how = scaling->currentData().toString();
                    if (how == QLatin1String("static")) {
                        step.insert(QStringLiteral("scaling"), QStringLiteral("static"));
                        step.insert(QStringLiteral("clip"), QStringLiteral("mse"));
                    } else {
                        step.insert(QStringLiteral("granularity"), how);
                    }
                } },
        activations);

    QWidget* int8 = formPage(m_pages, &form);
    auto* threshold = new QDoubleSpinBox(int8);
    threshold->setObjectName(QStringLiteral("llmInt8Threshold"));
    threshold->setRange(0.1, 1000.0);
    threshold->setSingleStep(0.5);
    threshold->setValue(6.0);
    threshold->setToolTip(tr("Input features with |x| above this in any token stay in fp16 (the paper's 6.0)."));
    form->addRow(tr("Outlier threshold"), threshold);
    addPage({ techniqueInfo(report::Technique::LlmInt8).name, techniqueInfo(report::Technique::LlmInt8).description,
                false, true,
                [threshold](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("llm_int8"));
                    step.insert(QStringLiteral("threshold"), threshold->value());
                } },
        int8);

    QWidget* gobo = formPage(m_pages, &form);
    QSpinBox* indexBits = spin(gobo, 2, 8, 3, tr("Index bits: 2^b centroids (GOBO uses 3 or 4)."));
    indexBits->setObjectName(QStringLiteral("goboBits"));
    auto* sigma = new QDoubleSpinBox(gobo);
    sigma->setObjectName(QStringLiteral("goboSigma"));
    sigma->setRange(0.5, 100.0);
    sigma->setSingleStep(0.5);
    sigma->setValue(3.0);
    sigma->setToolTip(tr("Weights farther than k\u00b7\u03c3 from the tensor's mean are outliers kept in fp32."));
    form->addRow(tr("Bits"), indexBits);
    form->addRow(tr("k (\u03c3)"), sigma);
    addPage({ techniqueInfo(report::Technique::QuantizeGobo).name, techniqueInfo(report::Technique::QuantizeGobo).description,
                false, true,
                [indexBits, sigma](QJsonObject& step) {
                    step.insert(QStringLiteral("type"), QStringLiteral("quantize"));
                    step.insert(QStringLiteral("format"), QStringLiteral("gobo"));
                    step.insert(QStringLiteral("bits"), indexBits->value());
                    step.insert(QStringLiteral("sigma"), sigma->value());
                } },
        gobo);
}

} // namespace optiscope::gui
