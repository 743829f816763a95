// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Lays a built report out as HTML and PDF and writes the files atomically (QSaveFile). Painting
// text needs a QGuiApplication (the CLI makes an offscreen one); call from any one thread at a time.
#include "report_data.h"

#include <QByteArray>
#include <QString>

namespace optiscope::report {

// The self-contained HTML file's bytes (UTF-8).
QByteArray renderHtml(const ReportData& data);
// A4 PDF of the same document through QTextDocument and QPdfWriter; figures rasterised at 2x.
QByteArray renderPdf(const ReportData& data);

// Either path may be empty (not written). Both are rendered before the first is written, and a
// failure removes what this call wrote: "" on success, else one line naming the file.
QString writeReport(const ReportData& data, const QString& htmlPath, const QString& pdfPath);

} // namespace optiscope::report
