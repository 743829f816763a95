// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// .optiscope session files (app/session, Qt Core JSON) through sessionFromJson; a parsed session is
// written back out and parsed again, which must succeed (the writer's output is always valid).
#include "fuzz_support.h"

#include "session.h"

#include <QByteArray>
#include <QDir>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // Relative model folders resolve against the session's folder, which must exist.
    static const QString folder = QString::fromStdString(optiscope::fuzz::scratchDir().string());
    const QByteArray json(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    QString error;
    const auto state = optiscope::gui::sessionFromJson(json, folder + "/study.optiscope", &error);
    if (state) {
        const QByteArray again = optiscope::gui::sessionToJson(*state, QDir(folder));
        if (!optiscope::gui::sessionFromJson(again, folder + "/study.optiscope", &error)) {
            std::abort(); // what we write, we must read
        }
    }
    return 0;
}
