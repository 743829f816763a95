// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The recipe being edited in the GUI, as the JSON step objects of RECIPE_SCHEMA.md (so what is
// saved is exactly what was added), and the undoable edits on it.
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QUndoCommand>

namespace optiscope::gui {

class RecipeDocument : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;

    const QList<QJsonObject>& steps() const { return m_steps; }
    void setSteps(QList<QJsonObject> steps);
    void insertStep(int index, const QJsonObject& step);
    void removeStep(int index);

    // {"schema": 1, "steps": [...]}, indented; what Save writes and what the applier parses.
    QByteArray toJson() const;

signals:
    void changed();

private:
    QList<QJsonObject> m_steps;
};

// One line for the recipe list: "Prune 50 % magnitude — h.*.weight".
QString stepSummary(const QJsonObject& step);

class AddStepCommand : public QUndoCommand {
public:
    AddStepCommand(RecipeDocument* document, QJsonObject step);
    void redo() override;
    void undo() override;

private:
    RecipeDocument* m_document;
    QJsonObject m_step;
    int m_index = 0;
};

class RemoveStepCommand : public QUndoCommand {
public:
    RemoveStepCommand(RecipeDocument* document, int index);
    void redo() override;
    void undo() override;

private:
    RecipeDocument* m_document;
    QJsonObject m_step;
    int m_index;
};

// Open recipe: replaces every step; undo brings the previous recipe back.
class ReplaceRecipeCommand : public QUndoCommand {
public:
    ReplaceRecipeCommand(RecipeDocument* document, QList<QJsonObject> steps, const QString& fileName);
    void redo() override;
    void undo() override;

private:
    RecipeDocument* m_document;
    QList<QJsonObject> m_before;
    QList<QJsonObject> m_after;
};

} // namespace optiscope::gui
