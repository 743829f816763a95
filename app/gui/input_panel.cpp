// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "input_panel.h"

#include "image_input.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QStackedWidget>
#include <QStyle>
#include <QVBoxLayout>

namespace optiscope::gui {
namespace {
    core::Result<std::vector<std::int32_t>> parseTokenIds(const QString& text)
    {
        std::vector<std::int32_t> ids;
        const QStringList parts = text.split(QRegularExpression(QStringLiteral("[\\s,]+")), Qt::SkipEmptyParts);
        for (const QString& part : parts) {
            bool ok = false;
            const int id = part.toInt(&ok);
            if (!ok) {
                return core::fail(core::ErrorCode::Input,
                    QStringLiteral("token ids: '%1' is not an integer").arg(part.left(20)).toStdString());
            }
            ids.push_back(id);
        }
        return ids;
    }
}

InputPanel::InputPanel(QWidget* parent)
    : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    m_modeHint = new QLabel(tr("Open a model folder to begin (File \u25b8 Open, or drop a folder here)."), this);
    m_modeHint->setWordWrap(true);
    m_modeHint->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_modeHint);

    m_pages = new QStackedWidget(this);
    auto* textPage = new QWidget(m_pages);
    auto* textLayout = new QVBoxLayout(textPage);
    textLayout->setContentsMargins(0, 0, 0, 0);
    m_text = new QPlainTextEdit(textPage);
    m_text->setPlaceholderText(tr("Type a sentence to run through the model\u2026"));
    m_text->setTabChangesFocus(true);
    textLayout->addWidget(m_text, 1);
    m_ids = new QCheckBox(tr("Input is token ids (e.g. 91 23 96)"), textPage);
    m_ids->setToolTip(tr("Run exactly these vocabulary ids; needed for models without tokenizer files."));
    textLayout->addWidget(m_ids);
    m_pages->addWidget(textPage);

    auto* imagePage = new QWidget(m_pages);
    auto* imageLayout = new QVBoxLayout(imagePage);
    imageLayout->setContentsMargins(0, 0, 0, 0);
    m_imagePreview = new QLabel(tr("No image chosen"), imagePage);
    m_imagePreview->setAlignment(Qt::AlignCenter);
    m_imagePreview->setMinimumHeight(140);
    m_imagePreview->setFrameShape(QFrame::StyledPanel);
    imageLayout->addWidget(m_imagePreview, 1);
    auto* pathRow = new QHBoxLayout;
    m_imagePath = new QLineEdit(imagePage);
    m_imagePath->setPlaceholderText(tr("Image file (PNG, JPEG, \u2026)"));
    pathRow->addWidget(m_imagePath, 1);
    auto* browse = new QPushButton(tr("Choose\u2026"), imagePage);
    connect(browse, &QPushButton::clicked, this, &InputPanel::chooseImage);
    pathRow->addWidget(browse);
    imageLayout->addLayout(pathRow);
    m_pages->addWidget(imagePage);
    layout->addWidget(m_pages, 1);

    m_run = new QPushButton(style()->standardIcon(QStyle::SP_MediaPlay), tr("Run"), this);
    m_run->setToolTip(tr("Run the model and capture attention (Ctrl+Return)"));
    m_run->setDefault(true);
    connect(m_run, &QPushButton::clicked, this, &InputPanel::runRequested);
    layout->addWidget(m_run);
    setModel(nullptr);
}

void InputPanel::setModel(const core::Model* model)
{
    m_hasModel = model != nullptr;
    m_run->setEnabled(m_hasModel);
    if (!model) {
        return;
    }
    const bool image = model->config().architecture == core::Architecture::Vit;
    m_pages->setCurrentIndex(image ? 1 : 0);
    if (image) {
        m_modeHint->setText(tr("Choose a %1\u00d7%1 image (%2 channel(s)).")
                                .arg(model->config().imageSize)
                                .arg(model->config().channels));
    } else if (!model->tokenizer()) {
        m_modeHint->setText(tr("This model folder has no tokenizer files: enter token ids (0\u2013%1).")
                                .arg(model->config().vocabSize - 1));
        m_ids->setChecked(true);
    } else {
        m_modeHint->setText(tr("Up to %1 tokens.").arg(model->config().maxPositions));
    }
}

void InputPanel::setRunEnabled(bool enabled)
{
    m_run->setEnabled(enabled && m_hasModel);
}

core::Result<RunRequest> InputPanel::request() const
{
    RunRequest request;
    if (m_pages->currentIndex() == 1) {
        const QString path = m_imagePath->text().trimmed();
        if (path.isEmpty()) {
            return core::fail(core::ErrorCode::Input, tr("No image chosen: pick an image file first.").toStdString());
        }
        auto raw = loadRawImage(path);
        if (!raw) {
            return std::unexpected(raw.error());
        }
        request.kind = RunRequest::Kind::Image;
        request.image = std::move(*raw);
        request.imageName = QFileInfo(path).fileName();
        return request;
    }
    request.text = m_text->toPlainText();
    if (m_ids->isChecked()) {
        auto ids = parseTokenIds(request.text);
        if (!ids) {
            return std::unexpected(ids.error());
        }
        request.kind = RunRequest::Kind::TokenIds;
        request.tokenIds = std::move(*ids);
    }
    return request;
}

void InputPanel::setImageFile(const QString& path)
{
    m_imagePath->setText(path);
    QImageReader reader(path);
    const QImage image = reader.read();
    if (image.isNull()) {
        m_imagePreview->setText(tr("Cannot decode %1").arg(QFileInfo(path).fileName()));
        return;
    }
    m_imagePreview->setPixmap(QPixmap::fromImage(
        image.scaled(160, 160, Qt::KeepAspectRatio, image.width() < 64 ? Qt::FastTransformation : Qt::SmoothTransformation)));
}

void InputPanel::chooseImage()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Choose an image"), QString(), tr("Images (*.png *.jpg *.jpeg *.bmp *.pgm *.ppm *.gif)"));
    if (!path.isEmpty()) {
        setImageFile(path);
    }
}

} // namespace optiscope::gui
