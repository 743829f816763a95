// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "model_export.h"

#include "optiscope/core/export/compact.h"
#include "optiscope/core/export/gguf.h"
#include "optiscope/core/export/hugging_face.h"

#include <QFileDialog>
#include <QMessageBox>
#include <QPointer>
#include <QProgressDialog>
#include <QThreadPool>

namespace optiscope::gui {
namespace {

    struct FormatChoice {
        ModelExportFormat format;
        QString filter;
        QString suffix; // "" for a folder
    };

    QList<FormatChoice> choices()
    {
        return {
            { ModelExportFormat::HuggingFace, QObject::tr("Hugging Face folder (*)"), QString() },
            { ModelExportFormat::Compact, QObject::tr("Compact safetensors: integer codes, N:M/CSR/BSR (*.safetensors)"),
                QStringLiteral(".safetensors") },
            { ModelExportFormat::GgufF16, QObject::tr("GGUF for llama.cpp, F16 (*.gguf)"), QStringLiteral(".gguf") },
            { ModelExportFormat::GgufQ8_0, QObject::tr("GGUF for llama.cpp, Q8_0 (*.gguf)"), QStringLiteral(".gguf") },
            { ModelExportFormat::GgufQ4_0, QObject::tr("GGUF for llama.cpp, Q4_0 (*.gguf)"), QStringLiteral(".gguf") },
        };
    }

} // namespace

QString writeModelExport(const core::CompressedModel& model, ModelExportFormat format, const QString& path)
{
    const std::filesystem::path target(path.toStdString());
    core::Result<void> written;
    switch (format) {
    case ModelExportFormat::HuggingFace:
        written = core::exportHuggingFace(model, target, { .overwrite = true });
        break;
    case ModelExportFormat::Compact:
        written = core::exportCompact(model, target, { .overwrite = true });
        break;
    case ModelExportFormat::GgufF16:
    case ModelExportFormat::GgufQ8_0:
    case ModelExportFormat::GgufQ4_0: {
        const core::GgufTensorType type = format == ModelExportFormat::GgufF16 ? core::GgufTensorType::F16
            : format == ModelExportFormat::GgufQ8_0                          ? core::GgufTensorType::Q8_0
                                                                             : core::GgufTensorType::Q4_0;
        core::GgufOptions options;
        options.weightType = type;
        options.overwrite = true;
        written = core::writeGguf(model, target, options);
        break;
    }
    }
    return written ? QString() : QString::fromStdString(written.error().message);
}

void exportModel(QWidget* parent, std::shared_ptr<const core::CompressedModel> model)
{
    if (!model) {
        QMessageBox::warning(parent, QObject::tr("Export Model"), QObject::tr("Open a model first."));
        return;
    }
    const QList<FormatChoice> formats = choices();
    QStringList filters;
    for (const FormatChoice& choice : formats) {
        filters << choice.filter;
    }
    QString selected = filters.at(1);
    QString path = QFileDialog::getSaveFileName(parent, QObject::tr("Export Model"),
        QStringLiteral("compressed.safetensors"), filters.join(QStringLiteral(";;")), &selected);
    if (path.isEmpty()) {
        return;
    }
    const FormatChoice choice = formats.at(std::max<qsizetype>(0, filters.indexOf(selected)));
    if (!choice.suffix.isEmpty() && !path.endsWith(choice.suffix, Qt::CaseInsensitive)) {
        path += choice.suffix;
    }
    auto* dialog = new QProgressDialog(QObject::tr("Writing %1\u2026").arg(path), QString(), 0, 0, parent);
    dialog->setWindowTitle(QObject::tr("Export Model"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setMinimumDuration(300);
    QPointer<QProgressDialog> guard(dialog);
    QPointer<QWidget> owner(parent);
    QThreadPool::globalInstance()->start([=] {
        const QString error = writeModelExport(*model, choice.format, path);
        // The owner outlives the dialog; report through it so an error is never lost.
        QMetaObject::invokeMethod(owner, [guard, owner, error] {
            if (guard) {
                guard->close();
            }
            if (!error.isEmpty() && owner) {
                QMessageBox::warning(owner, QObject::tr("Export Model"), error);
            }
        });
    });
}

} // namespace optiscope::gui
