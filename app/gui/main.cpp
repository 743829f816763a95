// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "gl_support.h"
#include "main_window.h"
#include "sample_catalog.h"
#include "theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>

int main(int argc, char** argv)
{
    // Before QApplication: VTK needs a 3.2 core context in every QOpenGLWidget.
    optiscope::widgets::setDefaultSurfaceFormatForVtk();
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Optiscope"));
    QApplication::setApplicationName(QStringLiteral("Optiscope"));
    QApplication::setApplicationVersion(QStringLiteral(OPTISCOPE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Explore transformer inference and attention."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("model"), QStringLiteral("Hugging Face model folder or .optiscope session to open."));
    parser.process(app);

    if (const auto theme = optiscope::gui::savedTheme(); theme != optiscope::gui::Theme::System) {
        optiscope::gui::applyTheme(theme);
    }
    optiscope::gui::MainWindow window;
    window.show();
    if (parser.positionalArguments().isEmpty() && window.offerRecovery()) {
        // the autosaved session is loading
    } else if (!parser.positionalArguments().isEmpty()
        && parser.positionalArguments().first().endsWith(QStringLiteral(".optiscope"))) {
        if (const QString error = window.openSession(parser.positionalArguments().first()); !error.isEmpty()) {
            QMessageBox::warning(&window, QStringLiteral("Optiscope"), error);
        }
    } else {
        // No argument: the GPT-2 sample (File \u25b8 Open Sample lists the others), found from the
        // build tree or the source tree; nothing when it cannot be found.
        const QString folder = parser.positionalArguments().isEmpty() ? optiscope::gui::defaultSampleFolder()
                                                                      : parser.positionalArguments().first();
        if (!folder.isEmpty()) {
            window.setStartupText(QStringLiteral("Call me Ishmael. Some years ago, never mind how long precisely, I "
                                                 "thought I would sail about a little and see the watery part of the world."));
            window.openModelFolder(folder);
        }
    }
    return app.exec();
}
