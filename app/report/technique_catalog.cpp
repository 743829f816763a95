// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "technique_catalog.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QRegularExpression>
#include <QStringList>

#include <utility>

namespace optiscope::report {

namespace {

    // The context is the step editor's, whose entries these were: existing translations keep working.
    QString tr(const char* text) { return QCoreApplication::translate("optiscope::gui::StepEditor", text); }

    QString surveySectionOf(const QString& description)
    {
        static const QRegularExpression section(QStringLiteral("\u00a7[IVX]+(-[A-Z])?"));
        return section.match(description).captured(0);
    }

    QString joined(const QJsonValue& value)
    {
        if (value.isString()) {
            return value.toString();
        }
        QStringList parts;
        for (const QJsonValue& item : value.toArray()) {
            parts << item.toString();
        }
        return parts.join(QStringLiteral(", "));
    }

    QString percent(double ratio) { return QString::number(ratio * 100.0, 'g', 4) + QStringLiteral(" %"); }

    std::pair<QString, QString> texts(Technique technique)
    {
        switch (technique) {
        case Technique::PruneUnstructured:
            return { tr("Prune: unstructured"),
                tr("Zeroes the least salient weights anywhere in each matrix (survey \u00a7V, unstructured pruning by "
                   "zero-, first- or second-order saliency).") };
        case Technique::PruneNM:
            return { tr("Prune: N:M"),
                tr("Keeps the N largest of every M consecutive input weights, a pattern sparse tensor cores accelerate "
                   "(survey \u00a7V, semi-structured pruning).") };
        case Technique::PruneBlocks:
            return { tr("Prune: blocks"),
                tr("Zeroes whole blocks of weights with the smallest L2 norm, so hardware can skip them as tiles "
                   "(survey \u00a7V, structured pruning).") };
        case Technique::PruneHeads:
            return { tr("Prune: attention heads"),
                tr("Removes whole attention heads: their Q, K, V and output weights become zero (survey \u00a7V, head "
                   "pruning).") };
        case Technique::QuantizeInt:
            return { tr("Quantize: integer"),
                tr("Rounds weights to a b-bit integer grid with one scale per tensor, channel or group "
                   "(survey \u00a7VI, quantization).") };
        case Technique::QuantizeFormat:
            return { tr("Quantize: number format"),
                tr("Rounds weights to a narrower float format (FP16, BF16, TF32, FP8) element by element (survey "
                   "\u00a7VI, low-precision formats).") };
        case Technique::PruneBankBalanced:
            return { tr("Prune: bank-balanced"),
                tr("Every bank of consecutive input weights loses the same number of its smallest weights, so parallel "
                   "lanes stay balanced (survey \u00a7V, Bank-Balanced Sparsity).") };
        case Technique::PruneNeurons:
            return { tr("Prune: neurons (output channels)"),
                tr("Zeroes whole output features with the smallest L2 norm: FFN neurons for the MLP's first matrix "
                   "(survey \u00a7V, structured row pruning).") };
        case Technique::PruneHeadsByImportance:
            return { tr("Prune: heads by importance"),
                tr("Scores each head by how much the calibration loss rises when it alone is removed, and removes the "
                   "least important (survey \u00a7V, head pruning; Michel et al.).") };
        case Technique::PruneLayers:
            return { tr("Prune: whole layers"),
                tr("Skips whole transformer blocks; the residual stream passes through (survey \u00a7V, layer pruning, "
                   "LayerDrop).") };
        case Technique::QuantizeTernaryBinary:
            return { tr("Quantize: ternary / binary"),
                tr("Two or one bit per weight with one scale per tensor, channel or group (survey \u00a7VI, "
                   "TernaryBERT, BinaryBERT).") };
        case Technique::QuantizeBfp:
            return { tr("Quantize: block floating point"),
                tr("Blocks of weights share one 8-bit exponent, each keeping a sign and a short mantissa (survey "
                   "\u00a7VI, MSFP).") };
        case Technique::PruneTokens:
            return { tr("Prune: tokens"),
                tr("Drops the tokens that receive the least attention from later layers, so every matrix product "
                   "shrinks (survey \u00a7V, token pruning).") };
        case Technique::QuantizeActivations:
            return { tr("Quantize: activations"),
                tr("Rounds the inputs of the chosen linear layers to b-bit integers at run time, with a scale per token "
                   "or per tensor, dynamic or calibrated (survey \u00a7VI, activation quantization).") };
        case Technique::LlmInt8:
            return { tr("Quantize: LLM.int8 outliers"),
                tr("Int8 weights and per-token int8 inputs, except input features beyond a threshold, which stay in "
                   "fp16 (survey \u00a7VI, outlier-aware quantization, LLM.int8).") };
        case Technique::QuantizeGobo:
            return { tr("Quantize: GOBO outliers + centroids"),
                tr("Weights beyond k\u00b7\u03c3 of the tensor's Gaussian fit stay fp32, the rest snap to 2^b k-means "
                   "centroids (survey \u00a7VI, outlier-aware quantization, GOBO).") };
        case Technique::Unknown:
            break;
        }
        return { tr("Unknown step"), tr("A step type this version does not know.") };
    }

} // namespace

TechniqueInfo techniqueInfo(Technique technique)
{
    auto [name, description] = texts(technique);
    const QString section = surveySectionOf(description);
    return { std::move(name), std::move(description), section };
}

Technique techniqueOfStep(const QJsonObject& step)
{
    const QString type = step.value(QStringLiteral("type")).toString();
    if (type == QLatin1String("prune")) {
        const QString pattern = step.value(QStringLiteral("pattern")).toString(QStringLiteral("unstructured"));
        return pattern == QLatin1String("n:m")   ? Technique::PruneNM
            : pattern == QLatin1String("block")  ? Technique::PruneBlocks
            : pattern == QLatin1String("bank_balanced") ? Technique::PruneBankBalanced
            : pattern == QLatin1String("output_channels") || pattern == QLatin1String("input_channels")
            ? Technique::PruneNeurons
            : Technique::PruneUnstructured;
    }
    if (type == QLatin1String("prune_heads")) {
        return step.contains(QStringLiteral("saliency")) ? Technique::PruneHeadsByImportance : Technique::PruneHeads;
    }
    if (type == QLatin1String("prune_layers")) {
        return Technique::PruneLayers;
    }
    if (type == QLatin1String("prune_tokens")) {
        return Technique::PruneTokens;
    }
    if (type == QLatin1String("quantize_activations")) {
        return Technique::QuantizeActivations;
    }
    if (type == QLatin1String("llm_int8")) {
        return Technique::LlmInt8;
    }
    if (type == QLatin1String("quantize")) {
        const QString format = step.value(QStringLiteral("format")).toString(QStringLiteral("int"));
        return format == QLatin1String("int") ? Technique::QuantizeInt
            : format == QLatin1String("gobo")  ? Technique::QuantizeGobo
            : format == QLatin1String("ternary") || format == QLatin1String("binary") ? Technique::QuantizeTernaryBinary
            : format == QLatin1String("bfp") ? Technique::QuantizeBfp
                                              : Technique::QuantizeFormat;
    }
    return Technique::Unknown;
}

QString stepParameters(const QJsonObject& step)
{
    const QString type = step.value(QStringLiteral("type")).toString();
    QStringList parts;
    if (type == QLatin1String("prune")) {
        const QString pattern = step.value(QStringLiteral("pattern")).toString(QStringLiteral("unstructured"));
        if (pattern == QLatin1String("n:m")) {
            parts << QStringLiteral("%1:%2").arg(step.value(QStringLiteral("n")).toInt()).arg(
                step.value(QStringLiteral("m")).toInt());
        } else {
            parts << pattern << percent(step.value(QStringLiteral("ratio")).toDouble()) + QStringLiteral(" pruned");
        }
        if (step.contains(QStringLiteral("block"))) {
            const QJsonArray block = step.value(QStringLiteral("block")).toArray();
            parts << QStringLiteral("block %1\u00d7%2").arg(block.at(0).toInt()).arg(block.at(1).toInt());
        }
        parts << step.value(QStringLiteral("saliency")).toString(QStringLiteral("magnitude")) + QStringLiteral(" saliency");
    } else if (type == QLatin1String("quantize")) {
        const QString format = step.value(QStringLiteral("format")).toString(QStringLiteral("int"));
        parts << (format == QLatin1String("int")
                ? QStringLiteral("int%1 %2").arg(step.value(QStringLiteral("bits")).toInt()).arg(
                      step.value(QStringLiteral("symmetric")).toBool(true) ? QStringLiteral("symmetric")
                                                                           : QStringLiteral("asymmetric"))
                : format == QLatin1String("gobo")
                ? QStringLiteral("GOBO %1-bit, %2\u03c3").arg(step.value(QStringLiteral("bits")).toInt()).arg(
                      step.value(QStringLiteral("sigma")).toDouble(3.0))
                : format);
        const QString granularity = step.value(QStringLiteral("granularity")).toString(QStringLiteral("per_tensor"));
        parts << (granularity == QLatin1String("group")
                ? QStringLiteral("group of %1").arg(step.value(QStringLiteral("group_size")).toInt())
                : QString(granularity).replace(QLatin1Char('_'), QLatin1Char(' ')));
    } else if (type == QLatin1String("quantize_activations")) {
        parts << QStringLiteral("int%1 inputs").arg(step.value(QStringLiteral("bits")).toInt())
              << step.value(QStringLiteral("scaling")).toString(QStringLiteral("dynamic"))
              << QString(step.value(QStringLiteral("granularity")).toString(QStringLiteral("per_token")))
                     .replace(QLatin1Char('_'), QLatin1Char(' '));
    } else if (type == QLatin1String("llm_int8")) {
        parts << QStringLiteral("outliers above %1").arg(step.value(QStringLiteral("threshold")).toDouble(6.0));
    } else if (type == QLatin1String("prune_heads")) {
        QStringList heads;
        for (const QJsonValue& pair : step.value(QStringLiteral("heads")).toArray()) {
            heads << QStringLiteral("%1:%2").arg(pair.toArray().at(0).toInt()).arg(pair.toArray().at(1).toInt());
        }
        parts << (heads.isEmpty() ? QStringLiteral("by ablation") : QStringLiteral("heads ") + heads.join(QLatin1Char(' ')));
    } else if (type == QLatin1String("prune_layers")) {
        QStringList layers;
        for (const QJsonValue& layer : step.value(QStringLiteral("layers")).toArray()) {
            layers << QString::number(layer.toInt());
        }
        parts << QStringLiteral("layers ") + layers.join(QLatin1Char(' '));
    } else if (type == QLatin1String("prune_tokens")) {
        parts << step.value(QStringLiteral("method")).toString()
              << QStringLiteral("from layer %1").arg(step.value(QStringLiteral("start_layer")).toInt(1));
    }
    if (step.contains(QStringLiteral("targets"))) {
        parts << QStringLiteral("on ") + joined(step.value(QStringLiteral("targets")));
    }
    if (step.contains(QStringLiteral("exclude"))) {
        parts << QStringLiteral("except ") + joined(step.value(QStringLiteral("exclude")));
    }
    return parts.join(QStringLiteral(", "));
}

} // namespace optiscope::report
