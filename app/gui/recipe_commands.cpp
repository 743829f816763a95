// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "recipe_commands.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

namespace optiscope::gui {
namespace {
    QString tr(const char* text) { return QCoreApplication::translate("RecipeCommands", text); }

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

    QString percent(double ratio) { return QStringLiteral("%1 %").arg(ratio * 100.0, 0, 'g', 3); }
}

void RecipeDocument::setSteps(QList<QJsonObject> steps)
{
    m_steps = std::move(steps);
    emit changed();
}

void RecipeDocument::insertStep(int index, const QJsonObject& step)
{
    m_steps.insert(index, step);
    emit changed();
}

void RecipeDocument::removeStep(int index)
{
    m_steps.removeAt(index);
    emit changed();
}

QByteArray RecipeDocument::toJson() const
{
    QJsonArray steps;
    for (const QJsonObject& step : m_steps) {
        steps.append(step);
    }
    QJsonObject root;
    root.insert(QStringLiteral("schema"), 1);
    root.insert(QStringLiteral("steps"), steps);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QString stepSummary(const QJsonObject& step)
{
    const QString type = step.value(QStringLiteral("type")).toString();
    const QString targets = joined(step.value(QStringLiteral("targets")));
    QString what;
    if (type == QLatin1String("prune")) {
        const QString pattern = step.value(QStringLiteral("pattern")).toString(QStringLiteral("unstructured"));
        const double ratio = step.value(QStringLiteral("ratio")).toDouble();
        if (pattern == QLatin1String("n:m")) {
            what = tr("Prune %1:%2")
                       .arg(step.value(QStringLiteral("n")).toInt())
                       .arg(step.value(QStringLiteral("m")).toInt());
        } else if (pattern == QLatin1String("block")) {
            const QJsonArray block = step.value(QStringLiteral("block")).toArray();
            what = tr("Prune %1 in %2\u00d7%3 blocks")
                       .arg(percent(ratio))
                       .arg(block.at(0).toInt())
                       .arg(block.at(1).toInt());
        } else if (pattern == QLatin1String("bank_balanced")) {
            what = tr("Prune %1 in banks of %2").arg(percent(ratio)).arg(step.value(QStringLiteral("bank_size")).toInt());
        } else if (pattern == QLatin1String("output_channels") || pattern == QLatin1String("input_channels")) {
            what = tr("Prune %1 of the %2").arg(percent(ratio), pattern.left(pattern.indexOf(QLatin1Char('_'))) + tr(" channels"));
        } else {
            what = tr("Prune %1 %2")
                       .arg(percent(ratio),
                           step.value(QStringLiteral("saliency")).toString(QStringLiteral("magnitude")));
        }
        if (pattern == QLatin1String("n:m") && step.contains(QStringLiteral("saliency"))) {
            what += QLatin1Char(' ') + step.value(QStringLiteral("saliency")).toString();
        }
    } else if (type == QLatin1String("prune_heads") && step.contains(QStringLiteral("saliency"))) {
        return tr("Prune the %1 least important heads (ablation)").arg(step.value(QStringLiteral("count")).toInt());
    } else if (type == QLatin1String("prune_layers")) {
        QStringList layers;
        for (const QJsonValue& layer : step.value(QStringLiteral("layers")).toArray()) {
            layers << QString::number(layer.toInt());
        }
        return tr("Remove layers %1").arg(layers.join(QStringLiteral(", ")));
    } else if (type == QLatin1String("prune_tokens")) {
        const QString method = step.value(QStringLiteral("method")).toString();
        const QString amount = method == QLatin1String("threshold")
            ? tr("below %1 attention").arg(step.value(QStringLiteral("threshold")).toDouble())
            : tr("keep %1").arg(percent(step.value(QStringLiteral("keep_ratio")).toDouble()));
        return tr("Prune tokens (%1, %2) from layer %3")
            .arg(method, amount)
            .arg(step.value(QStringLiteral("start_layer")).toInt(1));
    } else if (type == QLatin1String("prune_heads")) {
        QStringList heads;
        for (const QJsonValue& pair : step.value(QStringLiteral("heads")).toArray()) {
            heads << QStringLiteral("L%1H%2").arg(pair.toArray().at(0).toInt()).arg(pair.toArray().at(1).toInt());
        }
        return tr("Prune heads %1").arg(heads.join(QStringLiteral(" ")));
    } else if (type == QLatin1String("quantize")) {
        const QString format = step.value(QStringLiteral("format")).toString(QStringLiteral("int"));
        if (format == QLatin1String("int")) {
            QString granularity = step.value(QStringLiteral("granularity")).toString(QStringLiteral("per_tensor"));
            if (granularity == QLatin1String("group")) {
                granularity = tr("groups of %1").arg(step.value(QStringLiteral("group_size")).toInt());
            } else {
                granularity.replace(QLatin1Char('_'), QLatin1Char(' '));
            }
            what = tr("Quantize int%1 %2").arg(step.value(QStringLiteral("bits")).toInt()).arg(granularity);
        } else if (format == QLatin1String("bfp")) {
            what = tr("Block float, %1-bit mantissa, blocks of %2")
                       .arg(step.value(QStringLiteral("mantissa_bits")).toInt(3))
                       .arg(step.value(QStringLiteral("block_size")).toInt(16));
        } else if (format == QLatin1String("ternary") || format == QLatin1String("binary")) {
            QString granularity = step.value(QStringLiteral("granularity")).toString(QStringLiteral("per_tensor"));
            granularity.replace(QLatin1Char('_'), QLatin1Char(' '));
            what = tr("Quantize %1 %2").arg(format, granularity);
        } else if (format == QLatin1String("gobo")) {
            what = tr("GOBO %1-bit centroids, outliers beyond %2\u03c3")
                       .arg(step.value(QStringLiteral("bits")).toInt())
                       .arg(step.value(QStringLiteral("sigma")).toDouble(3.0));
        } else {
            what = tr("Cast to %1").arg(format.toUpper());
        }
    } else if (type == QLatin1String("quantize_activations")) {
        const bool isStatic = step.value(QStringLiteral("scaling")).toString() == QLatin1String("static");
        QString granularity = step.value(QStringLiteral("granularity"))
                                  .toString(isStatic ? QStringLiteral("per_tensor") : QStringLiteral("per_token"));
        granularity.replace(QLatin1Char('_'), QLatin1Char(' '));
        what = tr("Quantize inputs int%1 %2 %3")
                   .arg(step.value(QStringLiteral("bits")).toInt())
                   .arg(isStatic ? tr("static") : tr("dynamic"), granularity);
    } else if (type == QLatin1String("llm_int8")) {
        what = tr("LLM.int8, outliers above %1").arg(step.value(QStringLiteral("threshold")).toDouble(6.0));
    } else {
        what = type;
    }
    return QStringLiteral("%1 \u2014 %2").arg(what, targets);
}

AddStepCommand::AddStepCommand(RecipeDocument* document, QJsonObject step)
    : m_document(document)
    , m_step(std::move(step))
    , m_index(static_cast<int>(document->steps().size()))
{
    setText(tr("Add step: %1").arg(stepSummary(m_step)));
}

void AddStepCommand::redo() { m_document->insertStep(m_index, m_step); }

void AddStepCommand::undo() { m_document->removeStep(m_index); }

RemoveStepCommand::RemoveStepCommand(RecipeDocument* document, int index)
    : m_document(document)
    , m_step(document->steps().at(index))
    , m_index(index)
{
    setText(tr("Remove step: %1").arg(stepSummary(m_step)));
}

void RemoveStepCommand::redo() { m_document->removeStep(m_index); }

void RemoveStepCommand::undo() { m_document->insertStep(m_index, m_step); }

ReplaceRecipeCommand::ReplaceRecipeCommand(RecipeDocument* document, QList<QJsonObject> steps, const QString& fileName)
    : m_document(document)
    , m_before(document->steps())
    , m_after(std::move(steps))
{
    setText(tr("Open recipe %1").arg(fileName));
}

void ReplaceRecipeCommand::redo() { m_document->setSteps(m_after); }

void ReplaceRecipeCommand::undo() { m_document->setSteps(m_before); }

} // namespace optiscope::gui
