// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The report as one HTML document. Two embeddings of the figures: InlineSvg for the .html file
// (self-contained: no external reference of any kind), Resources for QTextDocument, which cannot
// draw inline SVG: figures are <img src="figure:N"> resources the PDF writer rasterises.
#include "report_data.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace optiscope::report {

enum class FigureEmbedding { InlineSvg, Resources };

struct ReportFigure {
    QString name; // "figure:3" in Resources mode
    QByteArray svg;
};

struct ReportDocument {
    QString html;
    QList<ReportFigure> figures;
};

// The section headings, in order; every report has all of them (a section without data says why).
QStringList reportSectionTitles();

ReportDocument reportHtml(const ReportData& data, FigureEmbedding embedding);

} // namespace optiscope::report
