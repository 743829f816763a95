// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Helpers for tst_cli: run the binary, copy fixtures, and read or corrupt safetensors files
// with the test's own byte-level code (independent of the engine's reader).
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <cstring>
#include <optional>

namespace cli_test {

struct CliRun {
    int exitCode = -1;
    bool crashed = false;
    QString out;
    QString err;
};

inline CliRun runCli(const QStringList& args, int timeoutMs = 120000)
{
    QProcess process;
    process.start(QStringLiteral(OPTISCOPE_CLI_PATH), args);
    CliRun run;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        run.crashed = true;
    }
    run.crashed = run.crashed || process.exitStatus() != QProcess::NormalExit;
    run.exitCode = process.exitCode();
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

inline QString fixtureDir(const QString& name) { return QStringLiteral(OPTISCOPE_FIXTURES_DIR "/") + name; }

inline bool copyFolder(const QString& from, const QString& to)
{
    QDir().mkpath(to);
    const auto entries = QDir(from).entryInfoList(QDir::Files);
    for (const QFileInfo& entry : entries) {
        if (!QFile::copy(entry.absoluteFilePath(), to + "/" + entry.fileName())) {
            return false;
        }
    }
    return !entries.isEmpty();
}

inline QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

inline bool writeAll(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(bytes) == bytes.size();
}

inline QJsonObject readJsonObject(const QString& path) { return QJsonDocument::fromJson(readAll(path)).object(); }

inline bool writeJsonObject(const QString& path, const QJsonObject& object)
{
    return writeAll(path, QJsonDocument(object).toJson());
}

// safetensors: u64 little-endian header length, JSON header, data section.
struct SafetensorsParts {
    QByteArray header;
    QByteArray data;
};

inline std::optional<SafetensorsParts> splitSafetensors(const QByteArray& file)
{
    if (file.size() < 8) {
        return std::nullopt;
    }
    std::uint64_t length = 0;
    for (int i = 7; i >= 0; --i) {
        length = (length << 8) | static_cast<std::uint8_t>(file[i]);
    }
    if (length > static_cast<std::uint64_t>(file.size() - 8)) {
        return std::nullopt;
    }
    return SafetensorsParts { file.mid(8, static_cast<qsizetype>(length)),
        file.mid(8 + static_cast<qsizetype>(length)) };
}

inline QByteArray lengthPrefix(std::uint64_t length)
{
    QByteArray prefix(8, '\0');
    for (int i = 0; i < 8; ++i) {
        prefix[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    }
    return prefix;
}

inline QByteArray joinSafetensors(const QByteArray& header, const QByteArray& data)
{
    return lengthPrefix(static_cast<std::uint64_t>(header.size())) + header + data;
}

// Tensor name -> header entry, over model.safetensors or every shard of the index.
inline QJsonObject allTensorHeaders(const QString& folder)
{
    QStringList files;
    if (QFile::exists(folder + "/model.safetensors")) {
        files << "model.safetensors";
    } else {
        const QJsonObject weightMap = readJsonObject(folder + "/model.safetensors.index.json")["weight_map"].toObject();
        for (const auto& file : weightMap) {
            if (!files.contains(file.toString())) {
                files << file.toString();
            }
        }
    }
    QJsonObject tensors;
    for (const QString& file : files) {
        const auto parts = splitSafetensors(readAll(folder + "/" + file));
        if (!parts) {
            return {};
        }
        const QJsonObject header = QJsonDocument::fromJson(parts->header).object();
        for (auto it = header.begin(); it != header.end(); ++it) {
            if (it.key() != "__metadata__") {
                tensors[it.key()] = it.value();
            }
        }
    }
    return tensors;
}

inline std::vector<double> toDoubles(const QJsonArray& array)
{
    std::vector<double> values;
    values.reserve(static_cast<std::size_t>(array.size()));
    for (const auto& value : array) {
        values.push_back(value.toDouble());
    }
    return values;
}

// Flattens nested arrays depth-first (row-major) and records the shape.
inline void flatten(
    const QJsonValue& value, std::vector<double>& values, std::vector<qsizetype>& shape, std::size_t depth = 0)
{
    if (!value.isArray()) {
        values.push_back(value.isNull() ? std::nan("") : value.toDouble());
        return;
    }
    const QJsonArray array = value.toArray();
    if (shape.size() <= depth) {
        shape.push_back(array.size());
    }
    for (const auto& item : array) {
        flatten(item, values, shape, depth + 1);
    }
}

} // namespace cli_test
