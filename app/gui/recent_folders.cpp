// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "recent_folders.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace optiscope::gui {
namespace {
    const QString kKey = QStringLiteral("recentFolders");
}

QStringList recentFolders(QSettings& settings)
{
    const QStringList stored = settings.value(kKey).toStringList();
    QStringList existing;
    for (const QString& folder : stored) {
        if (QFileInfo(folder).isDir() && !existing.contains(folder)) {
            existing << folder;
        }
    }
    while (existing.size() > kMaxRecentFolders) {
        existing.removeLast();
    }
    if (existing != stored) {
        settings.setValue(kKey, existing);
    }
    return existing;
}

void addRecentFolder(QSettings& settings, const QString& folder)
{
    const QString canonical = QDir(folder).absolutePath();
    QStringList list = recentFolders(settings);
    list.removeAll(canonical);
    list.prepend(canonical);
    while (list.size() > kMaxRecentFolders) {
        list.removeLast();
    }
    settings.setValue(kKey, list);
}

void clearRecentFolders(QSettings& settings)
{
    settings.remove(kKey);
}

} // namespace optiscope::gui
