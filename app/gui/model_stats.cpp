// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "model_stats.h"

#include "optiscope/core/model.h"

#include <QCoreApplication>

namespace optiscope::gui {

QString formatBytes(std::int64_t bytes)
{
    constexpr double kKiB = 1024.0;
    if (bytes < 1024) {
        return QStringLiteral("%1 B").arg(bytes);
    }
    if (bytes < 1024 * 1024) {
        return QStringLiteral("%1 KiB").arg(bytes / kKiB, 0, 'f', 1);
    }
    if (bytes < std::int64_t { 1024 } * 1024 * 1024) {
        return QStringLiteral("%1 MiB").arg(bytes / (kKiB * kKiB), 0, 'f', 1);
    }
    return QStringLiteral("%1 GiB").arg(bytes / (kKiB * kKiB * kKiB), 0, 'f', 2);
}

QString formatCount(std::int64_t count)
{
    if (count >= 1'000'000'000) {
        return QStringLiteral("%1 G").arg(count / 1e9, 0, 'f', 2);
    }
    if (count >= 1'000'000) {
        return QStringLiteral("%1 M").arg(count / 1e6, 0, 'f', 2);
    }
    if (count >= 10'000) {
        return QStringLiteral("%1 k").arg(count / 1e3, 0, 'f', 1);
    }
    return QString::number(count);
}

QString formatModelStats(const core::Model& model, std::int64_t fileBytes)
{
    const core::ModelConfig& config = model.config();
    const QString separator = QStringLiteral(" \u00b7 ");
    QStringList parts;
    parts << QStringLiteral("%1 (%2)").arg(QString::fromLatin1(core::architectureName(config.architecture)),
        QString::fromStdString(config.className));
    parts << (config.layers == 1 ? QCoreApplication::translate("ModelStats", "1 layer")
                                 : QCoreApplication::translate("ModelStats", "%1 layers").arg(config.layers));
    parts << (config.heads == 1 ? QCoreApplication::translate("ModelStats", "1 head")
                                : QCoreApplication::translate("ModelStats", "%1 heads").arg(config.heads));
    parts << QCoreApplication::translate("ModelStats", "hidden %1").arg(config.hidden);
    parts << QCoreApplication::translate("ModelStats", "%1 parameters").arg(formatCount(model.parameterCount()));
    parts << QCoreApplication::translate("ModelStats", "%1 on disk").arg(formatBytes(fileBytes));
    if (!model.tokenizer() && config.architecture != core::Architecture::Vit) {
        parts << QCoreApplication::translate("ModelStats", "no tokenizer");
    }
    return parts.join(separator);
}

} // namespace optiscope::gui
