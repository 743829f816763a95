// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// A session file (.optiscope): what is on screen, so a study can be closed and reopened, sent to a
// colleague, or recovered after a crash. JSON, with the model folder relative to the session file:
//
//   {"optiscope_session": 1,
//    "model": "../samples/tiny-gpt2",
//    "input": {"text": "Call me Ishmael.", "token_ids": false},
//    "recipe": {"history": [[], [{step}, ...], ...], "index": 1},      // undo history and position
//    "accelerator": {Optiscope array config JSON, see accelsim/config_json.h},
//    "view": {"layer": 0, "head": 0, "attention": "current"|"baseline"|"difference",
//             "unit_scale": false, "tensor": "transformer.h.0.attn.c_attn.weight"}}
//
// Unknown fields are errors (a misspelt key must not be dropped silently); a newer version is refused.
#include <QByteArray>
#include <QDir>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace optiscope::gui {

inline constexpr int kSessionVersion = 1;

struct SessionState {
    QString modelFolder; // absolute
    QString inputText;
    bool inputIsTokenIds = false;
    QList<QList<QJsonObject>> recipeHistory { QList<QJsonObject> {} };
    int recipeIndex = 0;
    QJsonObject accelerator; // empty: keep the current array
    int layer = 0;
    int head = 0;
    QString attention = QStringLiteral("current");
    bool unitScale = false;
    QString tensor;
};

// The model folder is written relative to sessionDir.
QByteArray sessionToJson(const SessionState& state, const QDir& sessionDir);
// fileName names the file in errors ("study.optiscope: recipe.index: ..."); relative model folders
// resolve against the file's folder, which must exist.
std::optional<SessionState> sessionFromJson(const QByteArray& json, const QString& fileName, QString* error);

// Reads and parses a session file; writes one atomically (temp + rename). Both return "" on success,
// else the one-line error.
QString readSessionFile(const QString& path, SessionState* state);
QString writeSessionFile(const QString& path, const SessionState& state);

// Removes what a save killed mid-write left beside path (its temporary file); the GUI calls it at
// start for the recovery file. Saves clean up the same way before writing.
void removeStaleSessionTemporaries(const QString& path);

} // namespace optiscope::gui
