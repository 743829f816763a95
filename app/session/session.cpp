// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "session.h"

#include "optiscope/core/atomic_write.h"
#include "optiscope/core/stale_temporaries.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace optiscope::gui {

namespace {

    const QStringList kAttentionSources { QStringLiteral("current"), QStringLiteral("baseline"),
        QStringLiteral("difference") };

    // Field errors as "file: path: message".
    class Reader {
    public:
        explicit Reader(QString fileName)
            : m_file(std::move(fileName))
        {
        }
        bool failed() const { return !m_error.isEmpty(); }
        const QString& error() const { return m_error; }
        bool fail(const QString& field, const QString& message)
        {
            if (m_error.isEmpty()) {
                m_error = QStringLiteral("%1: %2: %3").arg(m_file, field, message);
            }
            return false;
        }
        bool onlyKeys(const QJsonObject& object, const QString& where, const QSet<QString>& allowed)
        {
            for (auto it = object.begin(); it != object.end(); ++it) {
                if (!allowed.contains(it.key())) {
                    return fail(where.isEmpty() ? it.key() : where + QLatin1Char('.') + it.key(), QStringLiteral("unknown field"));
                }
            }
            return true;
        }
        std::optional<QJsonObject> object(const QJsonObject& parent, const QString& key, const QString& where)
        {
            const QJsonValue value = parent.value(key);
            if (value.isUndefined()) {
                return QJsonObject {};
            }
            if (!value.isObject()) {
                fail(where, QStringLiteral("must be an object"));
                return std::nullopt;
            }
            return value.toObject();
        }
        bool integer(const QJsonObject& parent, const QString& key, const QString& where, int minimum, int* out)
        {
            const QJsonValue value = parent.value(key);
            if (value.isUndefined()) {
                return true;
            }
            const double number = value.toDouble(-1.0);
            if (!value.isDouble() || number != static_cast<double>(static_cast<qint64>(number)) || number < minimum
                || number > 1e9) {
                return fail(where, QStringLiteral("must be an integer >= %1").arg(minimum));
            }
            *out = static_cast<int>(number);
            return true;
        }

    private:
        QString m_file;
        QString m_error;
    };

    QJsonArray stepsToJson(const QList<QJsonObject>& steps)
    {
        QJsonArray array;
        for (const QJsonObject& step : steps) {
            array.append(step);
        }
        return array;
    }

} // namespace

QByteArray sessionToJson(const SessionState& state, const QDir& sessionDir)
{
    QJsonObject root;
    root[QStringLiteral("optiscope_session")] = kSessionVersion;
    root[QStringLiteral("model")] = sessionDir.relativeFilePath(state.modelFolder);
    root[QStringLiteral("input")]
        = QJsonObject { { QStringLiteral("text"), state.inputText }, { QStringLiteral("token_ids"), state.inputIsTokenIds } };
    QJsonArray history;
    for (const auto& steps : state.recipeHistory) {
        history.append(stepsToJson(steps));
    }
    root[QStringLiteral("recipe")]
        = QJsonObject { { QStringLiteral("history"), history }, { QStringLiteral("index"), state.recipeIndex } };
    if (!state.accelerator.isEmpty()) {
        root[QStringLiteral("accelerator")] = state.accelerator;
    }
    root[QStringLiteral("view")] = QJsonObject { { QStringLiteral("layer"), state.layer },
        { QStringLiteral("head"), state.head }, { QStringLiteral("attention"), state.attention },
        { QStringLiteral("unit_scale"), state.unitScale }, { QStringLiteral("tensor"), state.tensor } };
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

std::optional<SessionState> sessionFromJson(const QByteArray& json, const QString& fileName, QString* error)
{
    Reader r(QFileInfo(fileName).fileName());
    QJsonParseError parseError {};
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        *error = QStringLiteral("%1: not a session file: %2")
                     .arg(QFileInfo(fileName).fileName(),
                         parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                                      : QStringLiteral("expected a JSON object"));
        return std::nullopt;
    }
    const QJsonObject root = document.object();
    SessionState state;
    const QJsonValue version = root.value(QStringLiteral("optiscope_session"));
    if (!version.isDouble()) {
        r.fail(QStringLiteral("optiscope_session"), QStringLiteral("missing: not an Optiscope session"));
    } else if (version.toInt() != kSessionVersion) {
        r.fail(QStringLiteral("optiscope_session"),
            QStringLiteral("version %1 is not supported (this Optiscope reads version %2)")
                .arg(version.toDouble())
                .arg(kSessionVersion));
    }
    r.onlyKeys(root, {}, { "optiscope_session", "model", "input", "recipe", "accelerator", "view" });

    const QString model = root.value(QStringLiteral("model")).toString();
    if (!r.failed() && model.isEmpty()) {
        r.fail(QStringLiteral("model"), QStringLiteral("must name the model folder"));
    }
    if (!r.failed()) {
        const QDir base = QFileInfo(fileName).absoluteDir();
        state.modelFolder = QDir::cleanPath(base.absoluteFilePath(model));
        if (!QFileInfo(state.modelFolder).isDir()) {
            r.fail(QStringLiteral("model"), QStringLiteral("folder %1 does not exist").arg(state.modelFolder));
        }
    }

    if (auto input = r.object(root, QStringLiteral("input"), QStringLiteral("input")); input && !r.failed()) {
        r.onlyKeys(*input, QStringLiteral("input"), { "text", "token_ids" });
        state.inputText = input->value(QStringLiteral("text")).toString();
        state.inputIsTokenIds = input->value(QStringLiteral("token_ids")).toBool();
    }

    if (auto recipe = r.object(root, QStringLiteral("recipe"), QStringLiteral("recipe")); recipe && !r.failed()) {
        r.onlyKeys(*recipe, QStringLiteral("recipe"), { "history", "index" });
        const QJsonValue history = recipe->value(QStringLiteral("history"));
        if (!history.isUndefined()) {
            if (!history.isArray() || history.toArray().isEmpty()) {
                r.fail(QStringLiteral("recipe.history"), QStringLiteral("must be a non-empty array of step arrays"));
            } else {
                state.recipeHistory.clear();
                const QJsonArray entries = history.toArray();
                for (qsizetype i = 0; i < entries.size() && !r.failed(); ++i) {
                    QList<QJsonObject> steps;
                    if (!entries[i].isArray()) {
                        r.fail(QStringLiteral("recipe.history[%1]").arg(i), QStringLiteral("must be an array of steps"));
                        break;
                    }
                    const QJsonArray array = entries[i].toArray();
                    for (qsizetype j = 0; j < array.size(); ++j) {
                        if (!array[j].isObject()) {
                            r.fail(QStringLiteral("recipe.history[%1][%2]").arg(i).arg(j), QStringLiteral("must be a step object"));
                            break;
                        }
                        steps.append(array[j].toObject());
                    }
                    state.recipeHistory.append(steps);
                }
            }
        }
        if (r.integer(*recipe, QStringLiteral("index"), QStringLiteral("recipe.index"), 0, &state.recipeIndex)
            && state.recipeIndex >= state.recipeHistory.size()) {
            r.fail(QStringLiteral("recipe.index"),
                QStringLiteral("%1 is past the history's last entry (%2)").arg(state.recipeIndex).arg(state.recipeHistory.size() - 1));
        }
    }

    if (auto accelerator = r.object(root, QStringLiteral("accelerator"), QStringLiteral("accelerator")); accelerator) {
        state.accelerator = *accelerator;
    }

    if (auto view = r.object(root, QStringLiteral("view"), QStringLiteral("view")); view && !r.failed()) {
        r.onlyKeys(*view, QStringLiteral("view"), { "layer", "head", "attention", "unit_scale", "tensor" });
        r.integer(*view, QStringLiteral("layer"), QStringLiteral("view.layer"), 0, &state.layer);
        r.integer(*view, QStringLiteral("head"), QStringLiteral("view.head"), 0, &state.head);
        state.attention = view->value(QStringLiteral("attention")).toString(QStringLiteral("current"));
        if (!kAttentionSources.contains(state.attention)) {
            r.fail(QStringLiteral("view.attention"), QStringLiteral("must be one of current, baseline, difference"));
        }
        state.unitScale = view->value(QStringLiteral("unit_scale")).toBool();
        state.tensor = view->value(QStringLiteral("tensor")).toString();
    }
    if (r.failed()) {
        *error = r.error();
        return std::nullopt;
    }
    return state;
}

QString readSessionFile(const QString& path, SessionState* state)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return QStringLiteral("%1: cannot open: %2").arg(QFileInfo(path).fileName(), file.errorString());
    }
    QString error;
    auto parsed = sessionFromJson(file.readAll(), QFileInfo(path).absoluteFilePath(), &error);
    if (!parsed) {
        return error;
    }
    *state = std::move(*parsed);
    return {};
}

QString writeSessionFile(const QString& path, const SessionState& state)
{
    // Not QSaveFile: its temporary ("<name>.XXXXXX", linked just before the rename) cannot be told
    // apart from a user's file if the GUI is killed in between; core's carries the writer's pid, so
    // the next save removes it (optiscope/core/stale_temporaries.h).
    const QByteArray json = sessionToJson(state, QFileInfo(path).absoluteDir());
    const auto written = optiscope::core::writeFileAtomically(
        QFile::encodeName(path).toStdString(), std::string_view(json.constData(), static_cast<std::size_t>(json.size())));
    if (!written) {
        return QString::fromStdString(written.error().message);
    }
    return {};
}

void removeStaleSessionTemporaries(const QString& path)
{
    optiscope::core::removeStaleTemporaries(QFile::encodeName(QFileInfo(path).absolutePath()).toStdString());
}

} // namespace optiscope::gui
