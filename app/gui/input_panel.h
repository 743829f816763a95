// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// What to run: text (or raw token ids) for text models, an image file for ViT.
#include "run_snapshot.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;

namespace optiscope::gui {

class InputPanel : public QWidget {
    Q_OBJECT
public:
    explicit InputPanel(QWidget* parent = nullptr);

    // Switches between the text and the image page; nullptr disables running.
    void setModel(const core::Model* model);
    // The request to run, or the one-line reason it cannot be built (bad ids, no image).
    core::Result<RunRequest> request() const;

    QPlainTextEdit* textEdit() const { return m_text; }
    QCheckBox* tokenIdsCheck() const { return m_ids; }
    QPushButton* runButton() const { return m_run; }
    void setImageFile(const QString& path);
    void setRunEnabled(bool enabled);

signals:
    void runRequested();

private:
    void chooseImage();

    QStackedWidget* m_pages = nullptr;
    QPlainTextEdit* m_text = nullptr;
    QCheckBox* m_ids = nullptr;
    QLabel* m_modeHint = nullptr;
    QLineEdit* m_imagePath = nullptr;
    QLabel* m_imagePreview = nullptr;
    QPushButton* m_run = nullptr;
    bool m_hasModel = false;
};

} // namespace optiscope::gui
