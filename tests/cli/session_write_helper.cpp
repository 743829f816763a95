// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Child process of tst_kill_during_write: saves session versions first..last to one path, the way
// the GUI's autosave writes its recovery file (writeSessionFile), so the test can SIGKILL it mid-save.
//   session_write_helper <path> <model folder> <first version> <last version>
// Version k's content is sessionVersion(k) below; the test builds the same bytes to compare.
#include "session.h"
#include "session_versions.h"

#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 5) {
        QTextStream(stderr) << "usage: session_write_helper <path> <model folder> <first> <last>\n";
        return 2;
    }
    const int first = args[3].toInt(), last = args[4].toInt();
    for (int version = first; version <= last; ++version) {
        const QString error
            = optiscope::gui::writeSessionFile(args[1], kill_test::sessionVersion(args[2], version));
        if (!error.isEmpty()) {
            QTextStream(stderr) << error << "\n";
            return 1;
        }
    }
    return 0;
}
