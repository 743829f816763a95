// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// File ▸ Open Sample and Model ▸ Evaluate on the real main window: every available sample opens
// through the menu, the GPT-2 sample's held-out perplexity (base and compressed) equals
// `optiscope-cli eval` to the bit, an evaluation can be cancelled and is superseded by a newer one,
// and a sample folder that disappeared or is corrupt gives a one-line dialog naming the file while
// the loaded model stays. Screenshots go to test-output/ (sample_menu.png, evaluation_*.png).
#include "compression_panel.h"
#include "evaluation_panel.h"
#include "evaluation_runner.h"
#include "gl_support.h"
#include "main_window.h"
#include "runner.h"
#include "sample_catalog.h"
#include "sample_picker.h"
#include "use_lite_panel.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenu>
#include <QMessageBox>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace optiscope;

namespace {
constexpr int kLoadTimeoutMs = 60'000;
constexpr int kEvalTimeoutMs = 300'000; // the whole held-out text or test set on a busy machine

const QString kSamples = QStringLiteral(OPTISCOPE_SAMPLES_DIR);
const QString kRepo = QStringLiteral(OPTISCOPE_SAMPLES_DIR "/..");
const QString kMobyDick = kRepo + QStringLiteral("/third_party_cache/moby_dick/package/data/data.txt");
const QString kUseLite = kRepo + QStringLiteral("/third_party_cache/use_lite/package/dist");
const QString kYelp = kRepo + QStringLiteral("/third_party_cache/sentiment/package/test/fixtures/yelp.json");

QString outputPath(const QString& name)
{
    QDir().mkpath(QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR));
    return QStringLiteral(OPTISCOPE_TEST_OUTPUT_DIR "/") + name;
}

QJsonObject runCliJson(const QStringList& args)
{
    QProcess process;
    process.start(QStringLiteral(OPTISCOPE_CLI_PATH), args);
    if (!process.waitForFinished(kEvalTimeoutMs) || process.exitCode() != 0) {
        qWarning("%s", process.readAllStandardError().constData());
        return {};
    }
    return QJsonDocument::fromJson(process.readAllStandardOutput()).object();
}

// The visible QMessageBox's text, after closing it; empty if none appears in time.
QString takeMessageBox(int timeoutMs = 10'000)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        for (QWidget* widget : QApplication::topLevelWidgets()) {
            if (auto* box = qobject_cast<QMessageBox*>(widget); box && box->isVisible()) {
                const QString text = box->text();
                box->close();
                return text;
            }
        }
        QTest::qWait(20);
    }
    return {};
}

bool copyFolder(const QString& from, const QString& to)
{
    QDir().mkpath(to);
    for (const QFileInfo& info : QDir(from).entryInfoList(QDir::Files)) {
        if (!QFile::copy(info.filePath(), to + QLatin1Char('/') + info.fileName())) {
            return false;
        }
    }
    return true;
}
} // namespace

class TestSamplePicker : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void catalogListsBundledAndFetchedModels();
    void opensEverySampleThroughTheMenu();
    void evaluateGpt2MatchesCli();
    void evaluationCancelsAndIsSuperseded();
    void useLiteProbeMatchesCli();
    void missingOrCorruptSampleKeepsModel();

private:
    void openAndWait(QAction* action);
    QAction* sampleAction(const QString& id);
    std::shared_ptr<const gui::EvaluationSnapshot> evaluateAndWait();
    gui::EvaluationPanel* panel() const { return m_window->findChild<gui::EvaluationPanel*>(); }

    std::unique_ptr<gui::MainWindow> m_window;
};

void TestSamplePicker::initTestCase()
{
    QSettings().clear();
    qunsetenv("OPTISCOPE_SAMPLES_DIR");
}

void TestSamplePicker::init()
{
    m_window = std::make_unique<gui::MainWindow>();
    m_window->resize(1500, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void TestSamplePicker::cleanup()
{
    for (QWidget* widget : QApplication::topLevelWidgets()) {
        if (auto* box = qobject_cast<QMessageBox*>(widget)) {
            box->close();
        }
    }
    m_window.reset();
    qunsetenv("OPTISCOPE_SAMPLES_DIR");
    qunsetenv("OPTISCOPE_USE_LITE_DIR");
    qunsetenv("OPTISCOPE_SENTIMENT_DIR");
}

QAction* TestSamplePicker::sampleAction(const QString& id)
{
    auto* menu = m_window->findChild<QMenu*>(QStringLiteral("sampleMenu"));
    if (!menu) {
        return nullptr;
    }
    emit menu->aboutToShow(); // rebuilt from the folders as they are now
    return menu->findChild<QAction*>(QStringLiteral("sample_") + id);
}

void TestSamplePicker::openAndWait(QAction* action)
{
    QVERIFY(action);
    QVERIFY(action->isEnabled());
    QSignalSpy loaded(m_window->runner(), &gui::Runner::modelLoaded);
    QSignalSpy failed(m_window->runner(), &gui::Runner::failed);
    action->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(loaded.count() == 1 || failed.count() == 1, kLoadTimeoutMs);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
}

std::shared_ptr<const gui::EvaluationSnapshot> TestSamplePicker::evaluateAndWait()
{
    QSignalSpy finished(panel()->runner(), &gui::EvaluationRunner::finished);
    QSignalSpy failed(panel()->runner(), &gui::EvaluationRunner::failed);
    m_window->activateWindow();
    panel()->evaluateAction()->trigger();
    if (!QTest::qWaitFor([&] { return finished.count() + failed.count() > 0; }, kEvalTimeoutMs)) {
        qWarning("evaluation timed out");
        return nullptr;
    }
    if (!failed.isEmpty()) {
        qWarning("%s", qPrintable(failed.at(0).at(0).toString()));
        return nullptr;
    }
    return finished.at(0).at(0).value<std::shared_ptr<const gui::EvaluationSnapshot>>();
}

void TestSamplePicker::catalogListsBundledAndFetchedModels()
{
    // Found from the build tree (the test binary lives in build/<dir>/tests, inside the source tree).
    QCOMPARE(QDir(gui::findSamplesFolder()).canonicalPath(), QDir(kSamples).canonicalPath());
    const auto entries = gui::sampleCatalog();
    QVERIFY(entries.size() >= 3);
    QCOMPARE(entries.first().id, QStringLiteral("tiny-gpt2")); // the default first
    QCOMPARE(QDir(gui::defaultSampleFolder()).canonicalPath(), QDir(kSamples + "/tiny-gpt2").canonicalPath());
    QStringList ids;
    for (const auto& entry : entries) {
        ids << entry.id;
    }
    QVERIFY(ids.contains("tiny-vit") && ids.contains("use-lite"));
    QVERIFY(!ids.contains("recipes") && !ids.contains("accel")); // folders without config.json
    // Descriptions come from the model cards' train_metrics.json.
    QVERIFY2(entries[0].description.contains("GPT-2, 4 layers \u00d7 128, 1.33 M parameters, 5.3 MB; held-out perplexity 105.5"),
        qPrintable(entries[0].description));
    const auto vit = std::find_if(entries.begin(), entries.end(), [](const auto& e) { return e.id == "tiny-vit"; });
    QVERIFY2(vit->description.contains("ViT, 4 layers \u00d7 64") && vit->description.contains("test accuracy 88.8 %"),
        qPrintable(vit->description));
    const auto use = std::find_if(entries.begin(), entries.end(), [](const auto& e) { return e.id == "use-lite"; });
    QCOMPARE(use->available, QFile::exists(kUseLite + "/model.json"));

    // Not fetched: listed, disabled, and the tooltip names the script.
    qputenv("OPTISCOPE_USE_LITE_DIR", QByteArray(OPTISCOPE_TEST_OUTPUT_DIR "/no_such_use_lite"));
    QAction* absent = sampleAction("use-lite");
    QVERIFY(absent);
    QVERIFY(!absent->isEnabled());
    QVERIFY2(absent->toolTip().contains("scripts/fetch_use_lite.sh"), qPrintable(absent->toolTip()));
    qunsetenv("OPTISCOPE_USE_LITE_DIR");
    QVERIFY(sampleAction("use-lite")->isEnabled() == QFile::exists(kUseLite + "/model.json"));

    // A screenshot of the menu as the user sees it.
    auto* menu = m_window->findChild<QMenu*>(QStringLiteral("sampleMenu"));
    menu->popup(m_window->mapToGlobal(QPoint(40, 40)));
    QVERIFY(QTest::qWaitForWindowExposed(menu));
    QVERIFY(menu->grab().save(outputPath("sample_menu.png")));
    menu->hide();
}

void TestSamplePicker::opensEverySampleThroughTheMenu()
{
    for (const auto& entry : gui::sampleCatalog()) {
        if (!entry.available) {
            continue;
        }
        QAction* action = sampleAction(entry.id);
        if (entry.kind == gui::SampleEntry::Kind::UseLite) {
            auto* useLite = m_window->findChild<gui::UseLitePanel*>();
            QVERIFY(useLite);
            QSignalSpy ran(useLite, &gui::UseLitePanel::ran);
            action->trigger();
            QCOMPARE(panel()->useLiteTarget(), entry.folder);
            QVERIFY(panel()->targetText().contains("cannot show it"));
            // Its own dock shows its attention: 2 layers x 4 heads over the sentence's tokens.
            QTRY_COMPARE_WITH_TIMEOUT(ran.count(), 1, kLoadTimeoutMs);
            QVERIFY(useLite->isVisible());
            QVERIFY2(useLite->resultText().contains("token"), qPrintable(useLite->resultText()));
            QVERIFY(useLite->grab().save(outputPath("use_lite_attention.png")));
            continue;
        }
        openAndWait(action);
        QCOMPARE(QDir(m_window->runner()->model()->folder).canonicalPath(), QDir(entry.folder).canonicalPath());
        QVERIFY(panel()->useLiteTarget().isEmpty()); // a loaded model ends the USE Lite target
        QVERIFY(panel()->targetText().contains(entry.id));
    }
}

void TestSamplePicker::evaluateGpt2MatchesCli()
{
    if (!QFile::exists(kMobyDick)) {
        QSKIP("Moby-Dick missing; run scripts/fetch_moby_dick.sh");
    }
    openAndWait(sampleAction("tiny-gpt2"));
    auto snapshot = evaluateAndWait();
    QVERIFY(snapshot);
    QCOMPARE(snapshot->rows.size(), std::size_t(1));
    const QJsonObject cli = runCliJson({ "eval", kSamples + "/tiny-gpt2", "--json" });
    QVERIFY(!cli.isEmpty());
    // The same data, windows and summation order: bit-identical, not merely close.
    QVERIFY2(snapshot->rows[0].value == cli["result"].toObject()["value"].toDouble(),
        qPrintable(QStringLiteral("GUI %1 vs CLI %2")
                .arg(snapshot->rows[0].value, 0, 'g', 17)
                .arg(cli["result"].toObject()["value"].toDouble(), 0, 'g', 17)));
    QCOMPARE(snapshot->rows[0].samples, cli["samples"].toInteger());
    QCOMPARE(snapshot->rows[0].samples, 35985); // samples/tiny-gpt2/train_metrics.json
    // The table shows it: metric, value (full precision in UserRole), samples, time.
    QTableWidget* table = panel()->table();
    QCOMPARE(table->rowCount(), 1);
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("perplexity"));
    QCOMPARE(table->item(0, 2)->data(Qt::UserRole).toDouble(), snapshot->rows[0].value);
    QVERIFY(table->item(0, 4)->text().toDouble() > 0);
    QCOMPARE(panel()->progressBar()->value(), 1000);
    QVERIFY(m_window->grab().save(outputPath("evaluation_window.png")));

    // With a recipe in the Compression dock: a base row and a compressed row, the latter equal to
    // `eval --recipe` (magnitude pruning needs no calibration data).
    const QString recipe = kSamples + "/recipes/magnitude50.json";
    QSignalSpy updated(m_window->compressionPanel(), &gui::CompressionPanel::metricsUpdated);
    QVERIFY(m_window->compressionPanel()->openRecipe(recipe));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->compressionPanel()->lastResult() && m_window->compressionPanel()->lastResult()->steps == 1,
        kLoadTimeoutMs);
    snapshot = evaluateAndWait();
    QVERIFY(snapshot);
    QCOMPARE(snapshot->rows.size(), std::size_t(2));
    const QJsonObject compressed = runCliJson({ "eval", kSamples + "/tiny-gpt2", "--recipe", recipe, "--json" });
    QVERIFY(snapshot->rows[0].value == cli["result"].toObject()["value"].toDouble());
    QVERIFY2(snapshot->rows[1].value == compressed["result"].toObject()["value"].toDouble(),
        qPrintable(QStringLiteral("GUI %1 vs CLI %2")
                .arg(snapshot->rows[1].value, 0, 'g', 17)
                .arg(compressed["result"].toObject()["value"].toDouble(), 0, 'g', 17)));
    QVERIFY(snapshot->rows[1].value > snapshot->rows[0].value); // pruning half the weights costs perplexity
    QCOMPARE(table->rowCount(), 2);
    QCOMPARE(table->item(1, 0)->text(), QStringLiteral("compressed"));
    QVERIFY(panel()->grab().save(outputPath("evaluation_panel.png")));
}

void TestSamplePicker::evaluationCancelsAndIsSuperseded()
{
    if (!QFile::exists("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")) {
        QSKIP("dataset-fashion-mnist not installed");
    }
    openAndWait(sampleAction("tiny-vit"));
    QSignalSpy finished(panel()->runner(), &gui::EvaluationRunner::finished);
    QSignalSpy cancelled(panel()->runner(), &gui::EvaluationRunner::cancelled);
    QSignalSpy progress(panel()->runner(), &gui::EvaluationRunner::progressChanged);
    panel()->evaluateAction()->trigger();
    QVERIFY(panel()->cancelButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(panel()->progressBar()->value() > 20, kEvalTimeoutMs); // 2 %
    QVERIFY(panel()->grab().save(outputPath("evaluation_running.png")));
    QTest::mouseClick(panel()->cancelButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(cancelled.count(), 1, kEvalTimeoutMs);
    QCOMPARE(finished.count(), 0);
    QVERIFY(!panel()->cancelButton()->isEnabled());
    QCOMPARE(panel()->table()->rowCount(), 0);

    // Two requests in a row: the first is superseded (no result, no cancelled signal), the second
    // completes with the 10,000 test images and the model card's 88.8 %.
    cancelled.clear();
    panel()->evaluateAction()->trigger();
    panel()->evaluateAction()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kEvalTimeoutMs);
    QTest::qWait(200);
    QCOMPARE(finished.count(), 1);
    QCOMPARE(cancelled.count(), 0);
    const auto snapshot = finished.at(0).at(0).value<std::shared_ptr<const gui::EvaluationSnapshot>>();
    QCOMPARE(snapshot->rows[0].samples, 10000);
    QCOMPARE(snapshot->rows[0].value, 0.888); // samples/tiny-vit/reference.json test_accuracy
    QCOMPARE(panel()->table()->item(0, 2)->text(), QStringLiteral("88.80 %"));
}

void TestSamplePicker::useLiteProbeMatchesCli()
{
    if (!QFile::exists(kUseLite + "/model.json") || !QFile::exists(kYelp)) {
        QSKIP("USE Lite or sentiment data missing; run scripts/fetch_use_lite.sh and scripts/fetch_sentiment.sh");
    }
    // A 200-record slice of yelp.json (both classes) keeps the probe to seconds.
    QTemporaryDir dir;
    QFile yelp(kYelp);
    QVERIFY(yelp.open(QIODevice::ReadOnly));
    const QJsonArray all = QJsonDocument::fromJson(yelp.readAll()).array();
    QJsonArray subset;
    for (int i = 0; i < 100; ++i) {
        subset.append(all[i]);
        subset.append(all[all.size() - 1 - i]);
    }
    QFile out(dir.filePath("yelp_slice.json"));
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(QJsonDocument(subset).toJson());
    out.close();
    qputenv("OPTISCOPE_SENTIMENT_DIR", dir.path().toUtf8());

    sampleAction("use-lite")->trigger();
    // With the int8 recipe in the USE Lite dock: a base row and a compressed row, as `probe --recipe`.
    auto* useLite = m_window->findChild<gui::UseLitePanel*>();
    const QString recipe = kSamples + "/recipes/use_lite_int8.json";
    QSignalSpy ran(useLite, &gui::UseLitePanel::ran);
    QCOMPARE(useLite->setRecipeFile(recipe), QString());
    QTRY_VERIFY_WITH_TIMEOUT(ran.count() >= 1 && useLite->resultText().contains("cosine"), kLoadTimeoutMs);
    QVERIFY(useLite->grab().save(outputPath("use_lite_compressed.png")));
    const auto snapshot = evaluateAndWait();
    QVERIFY(snapshot);
    QCOMPARE(snapshot->rows.size(), std::size_t(2));
    const QJsonObject cli = runCliJson({ "probe", kUseLite, "--data", dir.path(), "--recipe", recipe, "--json" });
    const QJsonObject set = cli["sets"].toArray().at(0).toObject();
    QCOMPARE(snapshot->rows[0].value, set["base"].toObject()["held_out_accuracy"].toDouble());
    QCOMPARE(snapshot->rows[0].samples, set["held_out"].toInteger());
    QCOMPARE(snapshot->rows[1].value, set["compressed"].toObject()["held_out_accuracy"].toDouble());
    QCOMPARE(snapshot->rows[1].model, QStringLiteral("USE Lite compressed"));
    QCOMPARE(panel()->table()->item(0, 1)->text(), QStringLiteral("probe accuracy"));
    QVERIFY(panel()->grab().save(outputPath("evaluation_use_lite.png")));
}

void TestSamplePicker::missingOrCorruptSampleKeepsModel()
{
    // A private samples folder (OPTISCOPE_SAMPLES_DIR) whose entries the test can break.
    QTemporaryDir dir;
    const QString samples = dir.filePath("samples");
    QVERIFY(copyFolder(kSamples + "/tiny-gpt2", samples + "/tiny-gpt2"));
    QVERIFY(copyFolder(kSamples + "/tiny-vit", samples + "/tiny-vit"));
    QVERIFY(copyFolder(kSamples + "/tiny-vit", samples + "/broken-vit"));
    qputenv("OPTISCOPE_SAMPLES_DIR", samples.toUtf8());
    openAndWait(sampleAction("tiny-gpt2"));
    const auto loaded = m_window->runner()->model();

    // The folder disappears after the menu was built.
    QAction* vit = sampleAction("tiny-vit");
    QVERIFY(vit);
    QVERIFY(QDir(samples + "/tiny-vit").removeRecursively());
    vit->trigger();
    const QString missing = takeMessageBox();
    QVERIFY2(missing.contains(QDir::toNativeSeparators(samples + "/tiny-vit")) && missing.contains("missing")
            && !missing.contains('\n'),
        qPrintable(missing));
    QCOMPARE(m_window->runner()->model(), loaded);

    // A corrupt config.json: the engine's one line names the file; the GPT-2 model stays.
    QFile config(samples + "/broken-vit/config.json");
    QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
    config.write("{ \"model_type\": \"vit\", ");
    config.close();
    QSignalSpy failed(m_window->runner(), &gui::Runner::failed);
    sampleAction("broken-vit")->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, kLoadTimeoutMs);
    const QString corrupt = takeMessageBox();
    QVERIFY2(corrupt.contains("config.json") && !corrupt.contains('\n'), qPrintable(corrupt));
    QCOMPARE(m_window->runner()->model(), loaded);

    // A USE Lite package with a shard shorter than its manifest says: the loader's line names it.
    if (QFile::exists(kUseLite + "/model.json")) {
        const QString dist = dir.filePath("use_lite_dist");
        QVERIFY(copyFolder(kUseLite, dist));
        QFile shard(dist + "/group1-shard7of7");
        QVERIFY(shard.resize(shard.size() / 2));
        qputenv("OPTISCOPE_USE_LITE_DIR", dist.toUtf8());
        sampleAction("use-lite")->trigger();
        const QString shortShard = takeMessageBox(kLoadTimeoutMs);
        QVERIFY2(shortShard.contains("shard") && !shortShard.contains('\n'), qPrintable(shortShard));
        QCOMPARE(m_window->runner()->model(), loaded);
    }
}

int main(int argc, char** argv)
{
    widgets::setDefaultSurfaceFormatForVtk();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("OptiscopeTests"));
    QApplication::setApplicationName(QStringLiteral("tst_sample_picker"));
    TestSamplePicker test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_sample_picker.moc"
