// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Teaching mode: guided lessons, each a list of steps. A step explains one thing and sets the
// views to show it (a dock raised, a head selected, a recipe applied, the array stepped to a
// cycle). What a step points at is found in the current run, not hard-coded: "a previous-token
// head" is the head of this input with the most attention on the token before.
#include <QList>
#include <QString>

#include <functional>

namespace optiscope::gui {

class MainWindow;

struct LessonStep {
    QString title;
    QString html; // the explanation; may use placeholders filled by apply's return value
    // Sets the views; returns extra text shown under the explanation (what was found), or an
    // error starting with "!" when the step cannot be shown (e.g. no run yet).
    std::function<QString(MainWindow&)> apply;
};

struct Lesson {
    QString title;
    QList<LessonStep> steps;
};

QList<Lesson> builtInLessons();

// The head (layer, head) whose attention on the previous token, averaged over queries 1..T-1, is
// largest in the last run's current attention; {-1, -1} without a run. score gets that average.
struct HeadPick {
    int layer = -1;
    int head = -1;
    double score = 0;
};
HeadPick previousTokenHead(const MainWindow& window);
// The head whose attention on the first token (the "sink"), averaged over queries, is largest.
HeadPick firstTokenHead(const MainWindow& window);

} // namespace optiscope::gui
