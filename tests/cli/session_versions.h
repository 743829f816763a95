// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Session contents for the kill-during-save test: version k is a session with a few MB of input
// text (so a save takes long enough to be interrupted) whose bytes differ from every other version.
#include "session.h"

#include <QString>

namespace kill_test {

inline constexpr int kSessionTextChars = 4 * 1024 * 1024;

inline optiscope::gui::SessionState sessionVersion(const QString& modelFolder, int version)
{
    optiscope::gui::SessionState state;
    state.modelFolder = modelFolder;
    state.inputText = QString(kSessionTextChars, QChar(u'a' + version % 26)) + QString::number(version);
    state.layer = version % 2;
    return state;
}

} // namespace kill_test
