// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "lesson_panel.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>

namespace optiscope::gui {

LessonPanel::LessonPanel(MainWindow* window, QWidget* parent)
    : QWidget(parent)
    , m_window(window)
    , m_lessons(builtInLessons())
{
    auto* layout = new QVBoxLayout(this);
    m_picker = new QComboBox(this);
    for (const Lesson& lesson : m_lessons) {
        m_picker->addItem(lesson.title);
    }
    layout->addWidget(m_picker);
    m_title = new QLabel(this);
    QFont bold = m_title->font();
    bold.setBold(true);
    bold.setPointSizeF(bold.pointSizeF() * 1.15);
    m_title->setFont(bold);
    m_title->setWordWrap(true);
    layout->addWidget(m_title);
    m_text = new QTextBrowser(this);
    m_text->setOpenExternalLinks(false);
    layout->addWidget(m_text, 1);
    m_found = new QLabel(this);
    m_found->setObjectName(QStringLiteral("lessonFound"));
    m_found->setWordWrap(true);
    m_found->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_found);
    auto* buttons = new QHBoxLayout;
    m_back = new QPushButton(tr("\u25c0 Back"), this);
    m_next = new QPushButton(tr("Next \u25b6"), this);
    m_position = new QLabel(this);
    m_position->setAlignment(Qt::AlignCenter);
    m_position->setMinimumWidth(m_position->fontMetrics().horizontalAdvance(tr("Step 10 of 10")));
    buttons->addWidget(m_back);
    buttons->addStretch(1);
    buttons->addWidget(m_position);
    buttons->addStretch(1);
    buttons->addWidget(m_next);
    layout->addLayout(buttons);

    connect(m_picker, &QComboBox::activated, this, &LessonPanel::startLesson);
    connect(m_back, &QPushButton::clicked, this, &LessonPanel::back);
    connect(m_next, &QPushButton::clicked, this, &LessonPanel::next);
    // Shown, not applied, until the user asks: opening the dock must not change the views.
    m_title->setText(m_lessons.front().steps.front().title);
    m_text->setHtml(m_lessons.front().steps.front().html
        + tr("<p><i>Press Next to set the views to this step.</i></p>"));
    m_step = -1;
    m_position->setText(tr("%n step(s)", nullptr, stepCount()));
    m_back->setEnabled(false);
}

int LessonPanel::stepCount() const { return static_cast<int>(m_lessons[m_lesson].steps.size()); }

void LessonPanel::startLesson(int lesson)
{
    m_lesson = std::clamp(lesson, 0, lessonCount() - 1);
    m_picker->setCurrentIndex(m_lesson);
    showStep(0);
}

void LessonPanel::showStep(int step)
{
    const QList<LessonStep>& steps = m_lessons[m_lesson].steps;
    m_step = std::clamp(step, 0, static_cast<int>(steps.size()) - 1);
    const LessonStep& shown = steps[m_step];
    m_title->setText(shown.title);
    m_text->setHtml(shown.html);
    const QString found = shown.apply ? shown.apply(*m_window) : QString();
    const bool failed = found.startsWith(QLatin1Char('!'));
    m_found->setText(failed ? found.mid(1) : found);
    m_found->setStyleSheet(failed ? QStringLiteral("color: #b00020;") : QString());
    m_position->setText(tr("Step %1 of %2").arg(m_step + 1).arg(steps.size()));
    m_back->setEnabled(m_step > 0);
    m_next->setEnabled(m_step + 1 < steps.size());
    emit stepShown(m_lesson, m_step);
}

QString LessonPanel::shownText() const { return m_text->toPlainText() + QLatin1Char('\n') + m_found->text(); }

} // namespace optiscope::gui
