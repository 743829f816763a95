// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Writes that cannot lose data: a child process (optiscope-cli export, or session_write_helper doing
// the GUI's autosave) is SIGKILLed again and again, mostly while its temporary file or staging
// folder exists. After every kill the target must be byte-identical to one complete version (the
// previous one or the one being written), never a mix. After the next successful run, no temporary
// may remain beside it (stale temporaries of dead writers are cleaned up, stale_temporaries.h).
// Oracle for "complete version": a separate uninterrupted run of the same command.
#include "session.h"
#include "session_versions.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace fs = std::filesystem;

namespace {

const QString kSamples = QStringLiteral(OPTISCOPE_SAMPLES_DIR);
const QString kTinyGpt2 = kSamples + "/tiny-gpt2";

// Kills per scenario; issue 7 asks for at least 20.
constexpr int kKills = 24;
// Upper bound of the random wait between seeing the temporary and the SIGKILL.
constexpr auto kMaxKillDelay = std::chrono::microseconds(30000);

// Hash of a file's bytes, or of a folder's files with their names; "" when missing.
QByteArray contentHash(const fs::path& path)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    std::error_code ec;
    std::vector<fs::path> files;
    const bool folder = fs::is_directory(path, ec);
    if (folder) {
        for (const auto& entry : fs::directory_iterator(path, ec)) {
            files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
    } else if (fs::exists(path, ec)) {
        files.push_back(path);
    } else {
        return {};
    }
    for (const auto& file : files) {
        QFile in(QString::fromStdString(file.string()));
        if (!in.open(QIODevice::ReadOnly)) {
            return QByteArray("unreadable");
        }
        if (folder) {
            hash.addData(QByteArray::fromStdString(file.filename().string()));
        }
        hash.addData(in.readAll());
    }
    return hash.result().toHex();
}

// Every entry of folder other than the target itself: temporaries, staging or moved-aside folders.
QStringList strayEntries(const fs::path& folder, const fs::path& target)
{
    QStringList stray;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
        if (entry.path().filename() != target.filename()) {
            stray << QString::fromStdString(entry.path().filename().string());
        }
    }
    return stray;
}

pid_t spawn(const QStringList& args)
{
    std::vector<std::string> storage;
    for (const QString& arg : args) {
        storage.push_back(arg.toStdString());
    }
    std::vector<char*> argv;
    for (auto& arg : storage) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return error == 0 ? pid : -1;
}

// Exit status of a finished child: 0..255, or 1000 + signal.
int reap(pid_t pid, bool wait)
{
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, wait ? 0 : WNOHANG);
    if (done == 0) {
        return -1; // still running
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

struct KillStats {
    int killed = 0; // SIGKILL delivered while the child ran
    int midWrite = 0; // ... and a temporary beside the target existed just before it
    int finished = 0; // the child finished before the kill
    int strayBeforeCleanup = 0; // temporaries left behind by killed children, summed over attempts
};

// Runs one command, killing it at a random moment: odd attempts anywhere in its run, even attempts
// shortly after a temporary beside the target has appeared. Returns the exit code or 1000 + signal.
int runAndKill(const QStringList& args, const fs::path& target, std::mt19937& random, KillStats& stats,
    std::chrono::microseconds typicalRun, bool waitForTemporary)
{
    const pid_t pid = spawn(args);
    if (pid < 0) {
        return -2;
    }
    const auto start = std::chrono::steady_clock::now();
    std::chrono::microseconds delay(
        std::uniform_int_distribution<long>(0, std::max<long>(1, typicalRun.count()))(random));
    if (waitForTemporary) {
        while (reap(pid, false) < 0) {
            if (!strayEntries(target.parent_path(), target).isEmpty()) {
                delay = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
                    + std::chrono::microseconds(std::uniform_int_distribution<long>(0, kMaxKillDelay.count())(random));
                break;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
    }
    std::this_thread::sleep_for(std::max(std::chrono::microseconds(0),
        std::chrono::duration_cast<std::chrono::microseconds>(delay - (std::chrono::steady_clock::now() - start))));
    const bool temporaryExists = !strayEntries(target.parent_path(), target).isEmpty();
    if (::kill(pid, SIGKILL) == 0) {
        const int status = reap(pid, true);
        if (status == 1000 + SIGKILL) {
            ++stats.killed;
            stats.midWrite += temporaryExists ? 1 : 0;
        } else {
            ++stats.finished;
        }
        return status;
    }
    ++stats.finished;
    return reap(pid, true);
}

std::chrono::microseconds timedRun(const QStringList& args, int* status)
{
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = spawn(args);
    *status = pid < 0 ? -2 : reap(pid, true);
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
}

} // namespace

class TestKillDuringWrite : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void exportSurvivesKill_data();
    void exportSurvivesKill();
    void sessionSaveSurvivesKill();

private:
    std::mt19937 m_random;
};

void TestKillDuringWrite::initTestCase()
{
    const unsigned seed = std::random_device {}();
    qInfo("kill timing seed %u", seed);
    m_random.seed(seed);
}

void TestKillDuringWrite::exportSurvivesKill_data()
{
    QTest::addColumn<QString>("format");
    QTest::addColumn<QString>("outName");
    // A single file renamed over the old one.
    QTest::newRow("compact file") << "compact" << "model.safetensors";
    QTest::newRow("gguf file") << "gguf" << "model.gguf";
    // A folder swapped with two renames: a kill between them must not lose the old export.
    QTest::newRow("hf folder") << "hf" << "model-hf";
}

void TestKillDuringWrite::exportSurvivesKill()
{
    QFETCH(QString, format);
    QFETCH(QString, outName);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path folder = fs::path(dir.path().toStdString()) / "out";
    const fs::path target = folder / outName.toStdString();
    const fs::path reference = fs::path(dir.path().toStdString()) / outName.toStdString();
    fs::create_directory(folder);

    // Two versions that differ in every weight file: plain and 2:4 + int8.
    const QStringList recipes[2] = { {}, { "--recipe", kSamples + "/recipes/nm24_int8.json" } };
    const auto command = [&](int version, const fs::path& out) {
        return QStringList { OPTISCOPE_CLI_PATH, "export", kTinyGpt2, "--format", format, "--out",
                   QString::fromStdString(out.string()), "--overwrite" }
        + recipes[version];
    };
    QByteArray versionHash[2];
    std::chrono::microseconds typicalRun(0);
    for (int version = 0; version < 2; ++version) {
        int status = 0;
        typicalRun = std::max(typicalRun, timedRun(command(version, reference), &status));
        QCOMPARE(status, 0);
        versionHash[version] = contentHash(reference);
        QVERIFY(!versionHash[version].isEmpty());
    }
    QVERIFY(versionHash[0] != versionHash[1]);

    int status = 0;
    timedRun(command(0, target), &status);
    QCOMPARE(status, 0);
    QCOMPARE(contentHash(target), versionHash[0]);
    int current = 0;
    KillStats stats;
    for (int attempt = 0; stats.killed < kKills && attempt < 4 * kKills; ++attempt) {
        const int next = 1 - current;
        runAndKill(command(next, target), target, m_random, stats, typicalRun, attempt % 2 == 0);
        const QByteArray now = contentHash(target);
        if (now != versionHash[current] && now != versionHash[next]) {
            QFAIL(qPrintable(QStringLiteral("attempt %1: %2 is neither the previous nor the new export (%3)")
                                 .arg(attempt)
                                 .arg(outName, strayEntries(folder, target).join(", "))));
        }
        current = now == versionHash[next] ? next : current;
        stats.strayBeforeCleanup += strayEntries(folder, target).size();
    }
    qInfo("%s: %d kills (%d with a temporary present), %d runs finished first, %d stray entries left by kills",
        qPrintable(format), stats.killed, stats.midWrite, stats.finished, stats.strayBeforeCleanup);
    QVERIFY(stats.killed >= kKills);
    // Otherwise the test would not have exercised a write in progress.
    QVERIFY(stats.midWrite > 0);

    // The next successful run leaves the new version and nothing else.
    timedRun(command(1 - current, target), &status);
    QCOMPARE(status, 0);
    QCOMPARE(contentHash(target), versionHash[1 - current]);
    QCOMPARE(strayEntries(folder, target), QStringList());
}

void TestKillDuringWrite::sessionSaveSurvivesKill()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path folder = fs::path(dir.path().toStdString()) / "recovery";
    fs::create_directory(folder);
    const fs::path target = folder / "recovery.optiscope";
    const QDir sessionDir(QString::fromStdString(folder.string()));
    // Versions 0..kVersions-1 per helper run; each run starts where the last complete one ended.
    constexpr int kVersions = 40;
    std::map<QByteArray, int> versionOfHash;
    for (int version = 0; version < kVersions; ++version) {
        const QByteArray json = optiscope::gui::sessionToJson(kill_test::sessionVersion(kTinyGpt2, version), sessionDir);
        versionOfHash[QCryptographicHash::hash(json, QCryptographicHash::Sha256).toHex()] = version;
    }
    QCOMPARE(int(versionOfHash.size()), kVersions);
    const auto command = [&](int first, int last) {
        return QStringList { OPTISCOPE_SESSION_HELPER_PATH, QString::fromStdString(target.string()), kTinyGpt2,
            QString::number(first), QString::number(last) };
    };
    int status = 0;
    timedRun(command(0, 0), &status);
    QCOMPARE(status, 0);
    const auto typicalRun = timedRun(command(0, 3), &status); // four saves
    QCOMPARE(status, 0);
    int current = 3;
    KillStats stats;
    for (int attempt = 0; stats.killed < kKills && attempt < 4 * kKills; ++attempt) {
        const int first = (current + 1) % kVersions;
        runAndKill(command(first, std::min(first + 3, kVersions - 1)), target, m_random, stats, typicalRun,
            attempt % 2 == 0);
        const auto found = versionOfHash.find(contentHash(target));
        QVERIFY2(found != versionOfHash.end(), qPrintable(QStringLiteral("attempt %1: not a complete session").arg(attempt)));
        // Never older than the previous complete save.
        QVERIFY(found->second == current || (found->second >= first && found->second <= first + 3));
        current = found->second;
        optiscope::gui::SessionState state;
        QCOMPARE(optiscope::gui::readSessionFile(QString::fromStdString(target.string()), &state), QString());
        stats.strayBeforeCleanup += strayEntries(folder, target).size();
    }
    qInfo("session: %d kills (%d with a temporary present), %d runs finished first, %d stray entries left by kills",
        stats.killed, stats.midWrite, stats.finished, stats.strayBeforeCleanup);
    QVERIFY(stats.killed >= kKills);
    QVERIFY(stats.midWrite > 0);
    // The GUI's next start cleans up before it looks for the recovery file ...
    optiscope::gui::removeStaleSessionTemporaries(QString::fromStdString(target.string()));
    QCOMPARE(strayEntries(folder, target), QStringList());
    // ... and so does the next save (once a kill has left a temporary again).
    for (int attempt = 0; attempt < kKills && strayEntries(folder, target).isEmpty(); ++attempt) {
        runAndKill(command(0, 3), target, m_random, stats, typicalRun, true);
    }
    QVERIFY(!strayEntries(folder, target).isEmpty());
    timedRun(command(0, 0), &status);
    QCOMPARE(status, 0);
    QCOMPARE(strayEntries(folder, target), QStringList());
}

QTEST_APPLESS_MAIN(TestKillDuringWrite)
#include "tst_kill_during_write.moc"
