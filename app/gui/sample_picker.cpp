// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "sample_picker.h"

#include "evaluation_panel.h"
#include "main_window.h"
#include "sample_catalog.h"
#include "use_lite_panel.h"

#include <QAction>
#include <QDockWidget>
#include <QMenu>
#include <QMessageBox>
#include <QStatusBar>

namespace optiscope::gui {

namespace {
    void showOneLineError(MainWindow* window, const QString& message)
    {
        window->statusBar()->showMessage(message, 8000);
        auto* box = new QMessageBox(QMessageBox::Warning, QStringLiteral("Optiscope"), message, QMessageBox::Ok, window);
        box->setObjectName(QStringLiteral("errorMessageBox"));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }

    // Rebuilt each time the menu opens: a sample fetched or deleted meanwhile shows as it is now.
    void fill(MainWindow* window, QMenu* menu)
    {
        menu->clear();
        const QList<SampleEntry> entries = sampleCatalog();
        for (const SampleEntry& entry : entries) {
            QAction* action = menu->addAction(QStringLiteral("%1 \u2014 %2").arg(entry.title, entry.description));
            action->setObjectName(QStringLiteral("sample_") + entry.id);
            action->setData(entry.folder);
            action->setEnabled(entry.available);
            action->setToolTip(entry.available ? entry.folder : entry.unavailableReason);
            action->setStatusTip(action->toolTip());
            QObject::connect(action, &QAction::triggered, window, [window, entry] { openSample(window, entry); });
        }
        if (findSamplesFolder().isEmpty()) {
            QAction* none = menu->addAction(MainWindow::tr("No samples/ folder found (set OPTISCOPE_SAMPLES_DIR)"));
            none->setEnabled(false);
        }
    }
} // namespace

void openSample(MainWindow* window, const SampleEntry& entry)
{
    if (const QString problem = checkSampleFiles(entry); !problem.isEmpty()) {
        showOneLineError(window, problem);
        return;
    }
    if (entry.kind == SampleEntry::Kind::UseLite) {
        if (auto* evaluation = window->findChild<EvaluationPanel*>()) {
            evaluation->setUseLiteTarget(entry.folder);
        }
        if (auto* panel = window->findChild<UseLitePanel*>()) {
            panel->setModelFolder(entry.folder);
            if (auto* dock = qobject_cast<QDockWidget*>(panel->parentWidget())) {
                dock->show();
                dock->raise();
            }
        }
        window->statusBar()->showMessage(
            MainWindow::tr("USE Lite: Evaluate runs its sentiment probe; the other views keep the loaded model."), 8000);
        return;
    }
    window->openModelFolder(entry.folder);
}

QMenu* addSampleMenu(MainWindow* window, QMenu* fileMenu)
{
    QMenu* menu = fileMenu->addMenu(MainWindow::tr("Open Sa&mple"));
    menu->setObjectName(QStringLiteral("sampleMenu"));
    menu->setToolTipsVisible(true);
    QObject::connect(menu, &QMenu::aboutToShow, menu, [window, menu] { fill(window, menu); });
    fill(window, menu);
    return menu;
}

} // namespace optiscope::gui
