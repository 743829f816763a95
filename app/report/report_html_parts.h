// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Internal to report_html*.cpp: the sections and the helpers they share.
#include "report_html.h"

#include <QTextStream>

namespace optiscope::report::html {

// Appends figures and writes their tags: inline <svg> or <img src="figure:N">.
class FigureSink {
public:
    FigureSink(FigureEmbedding embedding, QList<ReportFigure>* figures)
        : m_embedding(embedding)
        , m_figures(figures)
    {
    }
    QString tag(const QByteArray& svg, const QString& alt);

private:
    FigureEmbedding m_embedding;
    QList<ReportFigure>* m_figures;
};

QString esc(const QString& text);
QString number(double value, int decimals);
QString integer(std::int64_t value); // 1 234 567 grouping with thin spaces
// A table cell carrying the exact value for tools and tests: <td data-key=K data-value=V>shown</td>.
QString keyedCell(const QString& key, const QString& exactValue, const QString& shown);

void writeSensitivity(QTextStream& out, const ReportData& data, FigureSink& figures);
void writeSweep(QTextStream& out, const ReportData& data, FigureSink& figures);
void writeAttention(QTextStream& out, const ReportData& data, FigureSink& figures);
void writeMasks(QTextStream& out, const ReportData& data, FigureSink& figures);
void writeAccelerator(QTextStream& out, const ReportData& data, FigureSink& figures);

} // namespace optiscope::report::html
