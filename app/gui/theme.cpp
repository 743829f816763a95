// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "theme.h"

#include <QApplication>
#include <QPalette>
#include <QSettings>
#include <QStyle>
#include <QStyleFactory>

namespace optiscope::gui {
namespace {

    const QString kSettingsKey = QStringLiteral("view/theme");

    QPalette darkPalette()
    {
        // Fusion's roles in dark greys; links and highlight in a blue readable on both.
        QPalette p;
        const QColor window(45, 45, 48), base(30, 30, 32), text(230, 230, 230), disabled(130, 130, 130);
        p.setColor(QPalette::Window, window);
        p.setColor(QPalette::WindowText, text);
        p.setColor(QPalette::Base, base);
        p.setColor(QPalette::AlternateBase, QColor(40, 40, 43));
        p.setColor(QPalette::ToolTipBase, QColor(60, 60, 64));
        p.setColor(QPalette::ToolTipText, text);
        p.setColor(QPalette::PlaceholderText, disabled);
        p.setColor(QPalette::Text, text);
        p.setColor(QPalette::Button, window);
        p.setColor(QPalette::ButtonText, text);
        p.setColor(QPalette::BrightText, QColor(255, 90, 90));
        p.setColor(QPalette::Light, QColor(70, 70, 74));
        p.setColor(QPalette::Midlight, QColor(60, 60, 64));
        p.setColor(QPalette::Mid, QColor(100, 100, 106));
        p.setColor(QPalette::Dark, QColor(20, 20, 22));
        p.setColor(QPalette::Shadow, Qt::black);
        p.setColor(QPalette::Highlight, QColor(42, 130, 218));
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::Link, QColor(100, 170, 255));
        for (QPalette::ColorRole role : { QPalette::WindowText, QPalette::Text, QPalette::ButtonText }) {
            p.setColor(QPalette::Disabled, role, disabled);
        }
        return p;
    }

    struct Original {
        QString style;
        QPalette palette;
    };
    const Original& original()
    {
        // What the platform gave us, before any theme: "System" goes back to it.
        static const Original value { QApplication::style()->name(), QApplication::palette() };
        return value;
    }

} // namespace

QString themeName(Theme theme)
{
    switch (theme) {
    case Theme::Light:
        return QStringLiteral("light");
    case Theme::Dark:
        return QStringLiteral("dark");
    case Theme::System:
        break;
    }
    return QStringLiteral("system");
}

Theme savedTheme()
{
    const QString name = QSettings().value(kSettingsKey).toString();
    return name == QLatin1String("dark") ? Theme::Dark : name == QLatin1String("light") ? Theme::Light : Theme::System;
}

void applyTheme(Theme theme)
{
    const Original& system = original();
    if (theme == Theme::System) {
        QApplication::setStyle(QStyleFactory::create(system.style));
        QApplication::setPalette(system.palette);
    } else {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(theme == Theme::Dark ? darkPalette() : QApplication::style()->standardPalette());
    }
    QSettings().setValue(kSettingsKey, themeName(theme));
}

} // namespace optiscope::gui
