// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// "Open Recent" list in QSettings: newest first, at most kMaxRecentFolders, folders that no
// longer exist are dropped when read.
#include <QStringList>

class QSettings;

namespace optiscope::gui {

inline constexpr int kMaxRecentFolders = 8;

QStringList recentFolders(QSettings& settings);
void addRecentFolder(QSettings& settings, const QString& folder);
void clearRecentFolders(QSettings& settings);

} // namespace optiscope::gui
