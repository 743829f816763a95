// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// removeStaleTemporaries: temporaries of dead writers go, those of live ones (this process) stay,
// unrelated files stay, and a folder moved aside by a writer that died mid-swap comes back.
// The dead pid is a real one: a child that has exited and been reaped.
#include "optiscope/core/atomic_write.h"
#include "optiscope/core/stale_temporaries.h"

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace optiscope::core;

namespace {

long deadPid()
{
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return pid;
}

void writeText(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string readText(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

class TestStaleTemporaries : public QObject {
    Q_OBJECT

private slots:
    void removesOnlyDeadWritersTemporaries();
    void restoresFolderMovedAsideWhenTargetIsMissing();
    void atomicWriteCleansBeforeWriting();
};

void TestStaleTemporaries::removesOnlyDeadWritersTemporaries()
{
    QTemporaryDir dir;
    const fs::path folder = dir.path().toStdString();
    const std::string dead = std::to_string(deadPid()), self = std::to_string(::getpid());
    writeText(folder / "model.gguf", "current");
    writeText(folder / ("model.gguf.tmp-" + dead + "-1a2b3c4d"), "half");
    writeText(folder / ("model.gguf.tmp-" + self + "-1a2b3c4d"), "being written");
    writeText(folder / "notes.tmp-1a2b", "user file, not our pattern");
    writeText(folder / "report.csv.tmp-12x-3", "pid field not a number");
    fs::create_directory(folder / (".out.tmp-" + dead + "-77-0"));
    writeText(folder / (".out.tmp-" + dead + "-77-0") / "config.json", "{}");
    fs::create_directory(folder / (".sim.compress-" + self));

    QCOMPARE(removeStaleTemporaries(folder), 2);
    QVERIFY(!fs::exists(folder / ("model.gguf.tmp-" + dead + "-1a2b3c4d")));
    QVERIFY(!fs::exists(folder / (".out.tmp-" + dead + "-77-0")));
    QVERIFY(fs::exists(folder / ("model.gguf.tmp-" + self + "-1a2b3c4d")));
    QVERIFY(fs::exists(folder / (".sim.compress-" + self)));
    QVERIFY(fs::exists(folder / "notes.tmp-1a2b"));
    QVERIFY(fs::exists(folder / "report.csv.tmp-12x-3"));
    QCOMPARE(readText(folder / "model.gguf"), std::string("current"));
}

void TestStaleTemporaries::restoresFolderMovedAsideWhenTargetIsMissing()
{
    QTemporaryDir dir;
    const fs::path folder = dir.path().toStdString();
    const std::string dead = std::to_string(deadPid());
    // Killed between "hf -> aside" and "staging -> hf": hf is missing, the aside is the old export.
    const fs::path aside = folder / (".hf.old-" + dead + "-5-1");
    fs::create_directory(aside);
    writeText(aside / "model.safetensors", "previous export");
    fs::create_directory(folder / (".hf.tmp-" + dead + "-5-0"));
    // Killed after both renames: the target is the new export, the aside only waste.
    fs::create_directory(folder / "scalesim");
    writeText(folder / "scalesim" / "scale.cfg", "new");
    fs::create_directory(folder / (".scalesim.tmp-" + dead + "-old"));
    writeText(folder / (".scalesim.tmp-" + dead + "-old") / "scale.cfg", "old");

    QCOMPARE(removeStaleTemporaries(folder), 3); // one restored, two removed
    QCOMPARE(readText(folder / "hf" / "model.safetensors"), std::string("previous export"));
    QCOMPARE(readText(folder / "scalesim" / "scale.cfg"), std::string("new"));
    int entries = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(folder)) {
        ++entries;
    }
    QCOMPARE(entries, 2);
}

void TestStaleTemporaries::atomicWriteCleansBeforeWriting()
{
    QTemporaryDir dir;
    const fs::path folder = dir.path().toStdString();
    const fs::path stale = folder / ("recipe.json.tmp-" + std::to_string(deadPid()) + "-0badf00d");
    writeText(stale, "{\"steps\": [");
    QVERIFY(writeFileAtomically(folder / "recipe.json", std::string_view("{\"steps\": []}")));
    QVERIFY(!fs::exists(stale));
    QCOMPARE(readText(folder / "recipe.json"), std::string("{\"steps\": []}"));
}

QTEST_APPLESS_MAIN(TestStaleTemporaries)
#include "tst_stale_temporaries.moc"
