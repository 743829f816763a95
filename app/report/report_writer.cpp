// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "report_writer.h"

#include "report_charts.h"
#include "report_html.h"

#include <QBuffer>
#include <QFile>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTextDocument>
#include <QUrl>

namespace optiscope::report {

namespace {

    QString writeAtomically(const QString& path, const QByteArray& bytes)
    {
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly)) {
            return QStringLiteral("%1: cannot write: %2").arg(path, file.errorString());
        }
        if (file.write(bytes) != bytes.size() || !file.commit()) {
            return QStringLiteral("%1: cannot write: %2").arg(path, file.errorString());
        }
        return {};
    }

} // namespace

QByteArray renderHtml(const ReportData& data) { return reportHtml(data, FigureEmbedding::InlineSvg).html.toUtf8(); }

QByteArray renderPdf(const ReportData& data)
{
    const ReportDocument document = reportHtml(data, FigureEmbedding::Resources);
    QTextDocument text;
    for (const ReportFigure& figure : document.figures) {
        text.addResource(QTextDocument::ImageResource, QUrl(figure.name), svgToImage(figure.svg, 2.0));
    }
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSizeF(9);
    text.setDefaultFont(font);
    text.setHtml(document.html);
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    {
        // At 96 dpi one device pixel is one CSS pixel, so the document laid out on the paintable area
        // prints 1:1: images keep their HTML width, and tables get the full text column.
        QPdfWriter writer(&buffer);
        writer.setPageSize(QPageSize(QPageSize::A4));
        writer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout::Millimeter);
        writer.setResolution(96);
        writer.setTitle(QStringLiteral("Optiscope session report"));
        writer.setCreator(QStringLiteral("Optiscope " OPTISCOPE_VERSION));
        text.setDocumentMargin(0);
        text.setPageSize(QSizeF(writer.width(), writer.height()));
        text.print(&writer);
    }
    return buffer.data();
}

QString writeReport(const ReportData& data, const QString& htmlPath, const QString& pdfPath)
{
    const QByteArray html = htmlPath.isEmpty() ? QByteArray() : renderHtml(data);
    const QByteArray pdf = pdfPath.isEmpty() ? QByteArray() : renderPdf(data);
    if (!pdfPath.isEmpty() && pdf.isEmpty()) {
        return QStringLiteral("%1: the PDF writer produced nothing").arg(pdfPath);
    }
    if (!htmlPath.isEmpty()) {
        if (const QString error = writeAtomically(htmlPath, html); !error.isEmpty()) {
            return error;
        }
    }
    if (!pdfPath.isEmpty()) {
        if (const QString error = writeAtomically(pdfPath, pdf); !error.isEmpty()) {
            if (!htmlPath.isEmpty()) {
                QFile::remove(htmlPath); // the pair appears together or not at all
            }
            return error;
        }
    }
    return {};
}

} // namespace optiscope::report
