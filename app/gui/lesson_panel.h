// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The Lessons dock (teaching mode): pick a lesson, read a step, Next/Back; each step sets the
// window's views to what it explains (see lessons.h).
#include "lessons.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QTextBrowser;

namespace optiscope::gui {

class LessonPanel : public QWidget {
    Q_OBJECT
public:
    LessonPanel(MainWindow* window, QWidget* parent = nullptr);

    void startLesson(int lesson); // shows and applies its first step
    void showStep(int step); // applies it to the window
    void next() { showStep(m_step + 1); }
    void back() { showStep(m_step - 1); }

    int lessonIndex() const { return m_lesson; }
    int stepIndex() const { return m_step; }
    int lessonCount() const { return static_cast<int>(m_lessons.size()); }
    int stepCount() const;
    QString shownText() const; // the explanation and what the step found, as plain text
    QPushButton* nextButton() const { return m_next; }
    QPushButton* backButton() const { return m_back; }

signals:
    void stepShown(int lesson, int step);

private:
    MainWindow* m_window;
    QList<Lesson> m_lessons;
    int m_lesson = 0;
    int m_step = 0;
    QComboBox* m_picker = nullptr;
    QLabel* m_title = nullptr;
    QTextBrowser* m_text = nullptr;
    QLabel* m_found = nullptr;
    QLabel* m_position = nullptr;
    QPushButton* m_back = nullptr;
    QPushButton* m_next = nullptr;
};

} // namespace optiscope::gui
