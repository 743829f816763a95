// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "report_export.h"

#include "report_builder.h"
#include "report_writer.h"

#include <QFileDialog>
#include <QMessageBox>
#include <QPointer>
#include <QProgressDialog>
#include <QThreadPool>

#include <memory>

namespace optiscope::gui {

namespace {

    report::ReportRequest requestFor(const SessionState& session, const QString& sessionFile)
    {
        report::ReportRequest request;
        request.session = session;
        // An unsaved session has no file; the report then names the window's state.
        request.sourceFile = sessionFile.isEmpty() ? QStringLiteral("unsaved-session.optiscope") : sessionFile;
        return request;
    }

    QString run(const report::ReportRequest& request, const QString& htmlPath, const QString& pdfPath,
        const core::CancelToken* cancel, const report::ReportProgress& progress, bool* cancelled)
    {
        auto data = report::buildReport(request, cancel, progress);
        if (!data) {
            *cancelled = data.error().cancelled;
            return data.error().message;
        }
        if (cancel && cancel->isCancelled()) {
            *cancelled = true;
            return QStringLiteral("cancelled");
        }
        return report::writeReport(**data, htmlPath, pdfPath);
    }

} // namespace

QString writeSessionReport(
    const SessionState& session, const QString& sessionFile, const QString& htmlPath, const QString& pdfPath)
{
    bool cancelled = false;
    return run(requestFor(session, sessionFile), htmlPath, pdfPath, nullptr, {}, &cancelled);
}

void exportSessionReport(QWidget* parent, const SessionState& session, const QString& sessionFile)
{
    QString selectedFilter;
    const QString path = QFileDialog::getSaveFileName(parent, QObject::tr("Export Session Report"),
        QStringLiteral("report.html"), QObject::tr("HTML report (*.html);;PDF report (*.pdf)"), &selectedFilter);
    if (path.isEmpty()) {
        return;
    }
    const bool pdf = path.endsWith(QStringLiteral(".pdf"), Qt::CaseInsensitive);
    const QString htmlPath = pdf ? QString() : path;
    const QString pdfPath = pdf ? path : QString();

    auto* dialog = new QProgressDialog(QObject::tr("Building the report\u2026"), QObject::tr("Cancel"), 0, 100, parent);
    dialog->setWindowTitle(QObject::tr("Export Session Report"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setMinimumDuration(300); // a quick report never flashes a dialog
    dialog->setValue(0);
    auto cancel = std::make_shared<core::CancelToken>();
    QObject::connect(dialog, &QProgressDialog::canceled, dialog, [cancel] { cancel->cancel(); });
    QPointer<QProgressDialog> guard(dialog);
    QPointer<QWidget> owner(parent);
    const report::ReportRequest request = requestFor(session, sessionFile);
    QThreadPool::globalInstance()->start([=] {
        const auto progress = [guard](double fraction, const QString& stage) {
            QMetaObject::invokeMethod(guard, [guard, fraction, stage] {
                if (guard) {
                    guard->setLabelText(QObject::tr("Building the report: %1\u2026").arg(stage));
                    guard->setValue(static_cast<int>(fraction * 99));
                }
            });
        };
        bool cancelled = false;
        const QString error = run(request, htmlPath, pdfPath, cancel.get(), progress, &cancelled);
        QMetaObject::invokeMethod(guard, [guard, owner, error, cancelled, path] {
            if (guard) {
                guard->reset();
                guard->close();
            }
            if (!error.isEmpty() && !cancelled && owner) {
                QMessageBox::warning(owner, QObject::tr("Export Session Report"), error);
            }
        });
    });
}

} // namespace optiscope::gui
