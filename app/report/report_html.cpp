// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The report's skeleton and its text sections: model card, recipe, metrics, per-tensor table,
// commands and versions. Figure sections are in report_html_figures.cpp.
#include "report_html_parts.h"
#include "technique_catalog.h"

#include "optiscope/core/model.h"

#include <Eigen/Core>
#include <nlohmann/json.hpp>
#include <oneapi/tbb/version.h>

#include <QDateTime>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QRegularExpression>
#include <QSvgRenderer>
#include <QSysInfo>

namespace optiscope::report {

namespace html {

    QString esc(const QString& text) { return text.toHtmlEscaped(); }

    QString number(double value, int decimals)
    {
        return std::isfinite(value) ? QString::number(value, 'f', decimals) : QStringLiteral("\u2014");
    }

    QString integer(std::int64_t value)
    {
        QString digits = QString::number(value < 0 ? -value : value);
        for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
            digits.insert(i, QChar(0x202f));
        }
        return value < 0 ? QStringLiteral("-") + digits : digits;
    }

    QString keyedCell(const QString& key, const QString& exactValue, const QString& shown)
    {
        return QStringLiteral("<td class=\"num\" data-key=\"%1\" data-value=\"%2\">%3</td>").arg(key, exactValue, shown);
    }

    QString FigureSink::tag(const QByteArray& svg, const QString& alt)
    {
        if (m_embedding == FigureEmbedding::Resources) {
            // QTextDocument lays images out at their width in px; keep them inside an A4 text column.
            constexpr int kMaxWidth = 660;
            const QSize size = QSvgRenderer(svg).defaultSize();
            const double shrink = size.width() > kMaxWidth ? double(kMaxWidth) / size.width() : 1.0;
            const QString name = QStringLiteral("figure:%1").arg(m_figures->size());
            m_figures->append({ name, svg });
            // A block of its own: inline in the text flow, QTextDocument splits the paragraph before it
            // around the page break the image needs.
            return QStringLiteral("<div><img src=\"%1\" alt=\"%2\" width=\"%3\" height=\"%4\"></div>")
                .arg(name, esc(alt))
                .arg(qRound(size.width() * shrink))
                .arg(qRound(size.height() * shrink));
        }
        m_figures->append({ QString(), svg });
        // Drop the XML declaration: the SVG element itself goes into the HTML.
        QString text = QString::fromUtf8(svg);
        const qsizetype start = text.indexOf(QStringLiteral("<svg"));
        return QStringLiteral("<figure role=\"img\" aria-label=\"%1\">%2</figure>")
            .arg(esc(alt), start >= 0 ? text.mid(start) : text);
    }

} // namespace html

namespace {

    using namespace html;

    QString shellQuote(const QString& text)
    {
        static const QRegularExpression safe(QStringLiteral("^[A-Za-z0-9_./:=@%+,-]+$"));
        if (safe.match(text).hasMatch()) {
            return text;
        }
        QString quoted = text;
        quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
        return QLatin1Char('\'') + quoted + QLatin1Char('\'');
    }

    // Inline Markdown of one line: escaped, `code` spans kept as <code>.
    QString inlineMarkdown(const QString& text)
    {
        QString out = esc(text);
        static const QRegularExpression code(QStringLiteral("`([^`]+)`"));
        return out.replace(code, QStringLiteral("<code>\\1</code>"));
    }

    // The parts of a model card a report needs: the introduction and the sections on architecture,
    // data, training, results and license (not file lists or how-to-retrain).
    QString modelCardSections(const QString& markdown)
    {
        static const QRegularExpression wanted(
            QStringLiteral("^##\\s*(architecture|model|data|dataset|training|results|evaluation|license|limitations|intended)"),
            QRegularExpression::CaseInsensitiveOption);
        QString text = markdown;
        if (text.startsWith(QStringLiteral("---"))) { // YAML front matter
            const qsizetype end = text.indexOf(QStringLiteral("\n---"), 3);
            text = end > 0 ? text.mid(end + 4) : text;
        }
        QStringList kept;
        bool keep = true;
        for (const QString& line : text.split(QLatin1Char('\n'))) {
            if (line.startsWith(QStringLiteral("## "))) {
                keep = wanted.match(line).hasMatch();
            }
            if (keep) {
                kept << line;
            }
        }
        return kept.join(QLatin1Char('\n'));
    }

    // A model card in Markdown as simple HTML: headings, paragraphs, lists, tables and code blocks;
    // everything escaped, links shown as text (the report links nowhere).
    QString markdownToHtml(const QString& markdown)
    {
        QString out;
        bool inCode = false, inList = false, inTable = false;
        QStringList paragraph;
        const auto flush = [&] {
            if (!paragraph.isEmpty()) {
                out += QStringLiteral("<p>") + inlineMarkdown(paragraph.join(QLatin1Char(' '))) + QStringLiteral("</p>\n");
                paragraph.clear();
            }
            if (inList) {
                out += QStringLiteral("</ul>\n");
                inList = false;
            }
            if (inTable) {
                out += QStringLiteral("</table>\n");
                inTable = false;
            }
        };
        static const QRegularExpression separatorRow(QStringLiteral("^\\|[\\s:|-]+\\|?\\s*$"));
        for (const QString& line : markdown.split(QLatin1Char('\n'))) {
            if (line.startsWith(QStringLiteral("```"))) {
                flush();
                out += inCode ? QStringLiteral("</pre>\n") : QStringLiteral("<pre class=\"card\">");
                inCode = !inCode;
            } else if (inCode) {
                out += esc(line) + QLatin1Char('\n');
            } else if (line.startsWith(QLatin1Char('|'))) {
                if (separatorRow.match(line).hasMatch()) {
                    continue;
                }
                const bool header = !inTable;
                if (!inTable) {
                    flush();
                    out += QStringLiteral("<table class=\"card\">\n");
                    inTable = true;
                }
                QStringList cells = line.trimmed().split(QLatin1Char('|'));
                cells.removeFirst();
                if (!cells.isEmpty() && cells.last().trimmed().isEmpty()) {
                    cells.removeLast();
                }
                out += QStringLiteral("<tr>");
                for (const QString& cell : cells) {
                    out += (header ? QStringLiteral("<th>") : QStringLiteral("<td>")) + inlineMarkdown(cell.trimmed())
                        + (header ? QStringLiteral("</th>") : QStringLiteral("</td>"));
                }
                out += QStringLiteral("</tr>\n");
            } else if (line.startsWith(QLatin1Char('#'))) {
                flush();
                out += QStringLiteral("<h4>") + inlineMarkdown(QString(line).remove(QRegularExpression(QStringLiteral("^#+\\s*"))))
                    + QStringLiteral("</h4>\n");
            } else if (line.startsWith(QStringLiteral("- ")) || line.startsWith(QStringLiteral("* "))) {
                if (!paragraph.isEmpty() || inTable) {
                    const bool wasList = inList;
                    inList = false;
                    flush();
                    inList = wasList;
                }
                if (!inList) {
                    out += QStringLiteral("<ul>\n");
                    inList = true;
                }
                out += QStringLiteral("<li>") + inlineMarkdown(line.mid(2)) + QStringLiteral("</li>\n");
            } else if (line.trimmed().isEmpty()) {
                flush();
            } else if (inList && line.startsWith(QStringLiteral("  "))) {
                out.insert(out.size() - 6, QLatin1Char(' ') + inlineMarkdown(line.trimmed())); // continues the item
            } else {
                paragraph << line.trimmed();
            }
        }
        flush();
        return inCode ? out + QStringLiteral("</pre>\n") : out;
    }

    void writeModelCard(QTextStream& out, const ReportData& data)
    {
        const core::ModelConfig& c = data.base->config();
        std::int64_t bytes = 0;
        for (const core::TensorInfo& info : data.base->tensorInfos()) {
            bytes += info.bytes;
        }
        out << "<h2 id=\"model-card\">Model card</h2>\n<table class=\"kv\">\n"
            << "<tr><th>Folder</th><td><code>" << esc(data.request.session.modelFolder) << "</code></td></tr>\n"
            << "<tr><th>Architecture</th><td>" << esc(QString::fromUtf8(core::architectureName(c.architecture)))
            << " (" << esc(QString::fromStdString(c.className)) << ")</td></tr>\n"
            << "<tr><th>Layers \u00d7 heads</th><td>" << c.layers << " \u00d7 " << c.heads << " (head size " << c.headDim()
            << ")</td></tr>\n<tr><th>Hidden / FFN width</th><td>" << c.hidden << " / " << c.intermediate << "</td></tr>\n"
            << "<tr><th>Vocabulary / positions</th><td>" << c.vocabSize << " / " << c.maxPositions << "</td></tr>\n"
            << "<tr><th>Parameters</th>" << keyedCell(QStringLiteral("parameters"), QString::number(data.base->parameterCount()), integer(data.base->parameterCount()))
            << "</tr>\n<tr><th>Checkpoint</th><td>" << integer(bytes) << " bytes in " << data.base->tensorInfos().size()
            << " tensors</td></tr>\n</table>\n";
        if (data.modelReadme.isEmpty()) {
            out << "<p class=\"note\">The model folder has no README.md, so there is no model card: the training data "
                   "is not recorded.</p>\n";
        } else {
            out << "<p>From the model folder's README.md (its model card: introduction, architecture, data, training, "
                   "results and license sections):</p>\n<div class=\"card\">"
                << markdownToHtml(modelCardSections(data.modelReadme)) << "</div>\n";
        }
    }

    void writeRecipe(QTextStream& out, const ReportData& data)
    {
        out << "<h2 id=\"recipe\">Recipe</h2>\n<p>Source: <code>" << esc(data.request.sourceFile) << "</code>";
        if (data.request.fromSession) {
            out << ", undo position " << data.request.session.recipeIndex << " of "
                << data.request.session.recipeHistory.size() - 1;
        }
        out << ".</p>\n";
        if (data.steps.isEmpty()) {
            out << "<p class=\"note\">No steps: the compressed model is the base model.</p>\n";
        } else {
            out << "<table>\n<tr><th>#</th><th>Technique</th><th>Parameters</th><th>Survey</th><th>What it does</th></tr>\n";
            for (qsizetype i = 0; i < data.steps.size(); ++i) {
                const QJsonObject step = data.steps[i].toObject();
                const TechniqueInfo technique = techniqueForStep(step);
                out << "<tr><td>" << i + 1 << "</td><td>" << esc(technique.name) << "</td><td>"
                    << esc(stepParameters(step)) << "</td><td>" << esc(technique.surveySection) << "</td><td>"
                    << esc(technique.description) << "</td></tr>\n";
            }
            out << "</table>\n";
        }
        out << "<p>As <code>recipe.json</code> (the commands below read it):</p>\n<pre>" << esc(QString::fromUtf8(data.recipeJson))
            << "</pre>\n";
    }

    void metricRow(QTextStream& out, const QString& label, const QString& key, double base, double current, int decimals,
        bool asInteger = false)
    {
        const auto shown = [&](double v) { return asInteger ? integer(static_cast<std::int64_t>(v)) : number(v, decimals); };
        const auto exact = [&](double v) { return asInteger ? QString::number(static_cast<std::int64_t>(v)) : QString::number(v, 'g', 17); };
        out << "<tr><th>" << label << "</th>" << keyedCell(QStringLiteral("baseline_") + key, exact(base), shown(base))
            << keyedCell(QStringLiteral("compressed_") + key, exact(current), shown(current)) << "<td class=\"num\">"
            << (base != 0 ? number(current / base, 3) + QStringLiteral("\u00d7") : QStringLiteral("\u2014")) << "</td></tr>\n";
    }

    void writeMetrics(QTextStream& out, const ReportData& data)
    {
        out << "<h2 id=\"metrics\">Baseline vs compressed</h2>\n";
        if (!data.baseline || !data.current) {
            out << "<p class=\"note\">No accuracy metrics: " << esc(data.metricsNote) << "</p>\n";
            return;
        }
        const core::CompressionMetrics& b = *data.baseline;
        const core::CompressionMetrics& c = *data.current;
        out << "<p>Measured on the session input (" << data.tokens.size() << " tokens, " << c.tokensPredicted
            << " next-token predictions, " << c.positions << " positions compared). KL is KL(base \u2016 compressed) "
               "per position in nats; MACs are one forward pass of the input.</p>\n"
            << "<table>\n<tr><th>Metric</th><th>Baseline</th><th>Compressed</th><th>Compressed / baseline</th></tr>\n";
        metricRow(out, QStringLiteral("Perplexity"), QStringLiteral("perplexity"), b.compressedPerplexity, c.compressedPerplexity, 4);
        metricRow(out, QStringLiteral("KL mean (nats)"), QStringLiteral("kl_mean"), b.klMean, c.klMean, 6);
        metricRow(out, QStringLiteral("Top-1 agreement"), QStringLiteral("top1_agreement"), b.top1Agreement, c.top1Agreement, 4);
        metricRow(out, QStringLiteral("Parameters"), QStringLiteral("parameters"), b.parameters, c.parameters, 0, true);
        metricRow(out, QStringLiteral("Nonzeros"), QStringLiteral("nonzeros"), b.nonzeros, c.nonzeros, 0, true);
        metricRow(out, QStringLiteral("Bytes (dense, zeros stored)"), QStringLiteral("bytes_dense"), b.bytesDense, c.bytesDense, 0, true);
        metricRow(out, QStringLiteral("Bytes (compact export)"), QStringLiteral("bytes_sparse"), b.bytesSparse, c.bytesSparse, 0, true);
        metricRow(out, QStringLiteral("MACs (dense)"), QStringLiteral("macs_dense"), b.macsDense, c.macsDense, 0, true);
        metricRow(out, QStringLiteral("MACs (zeros skipped)"), QStringLiteral("macs_effective"), b.macsEffective, c.macsEffective, 0, true);
        out << "</table>\n";
    }

    void writeTensorTable(QTextStream& out, const ReportData& data)
    {
        out << "<h2 id=\"tensors\">Per-layer sparsity and bit width</h2>\n";
        if (data.tensors.tensors.empty()) {
            out << "<p class=\"note\">No weight matrix was changed.</p>\n";
            return;
        }
        out << "<p>" << data.tensors.tensors.size() << " changed weight matrices, overall sparsity "
            << number(100.0 * data.tensors.sparsity(), 2) << " %. SQNR is the signal-to-noise ratio of the compressed "
            << "values against the base weights.</p>\n<table>\n<tr><th>Tensor</th><th>Elements</th><th>Sparsity (%)</th>"
               "<th>Nonzeros</th><th>Format</th><th>Bits / weight</th><th>SQNR (dB)</th></tr>\n";
        for (const core::TensorReport& t : data.tensors.tensors) {
            const QString name = QString::fromStdString(t.name);
            out << "<tr><td style=\"white-space: nowrap\"><code>" << esc(name) << "</code></td><td class=\"num\">" << integer(t.elements) << "</td>"
                << keyedCell(QStringLiteral("sparsity:") + name, QString::number(t.sparsity, 'g', 17), number(100.0 * t.sparsity, 2))
                << "<td class=\"num\">" << integer(t.nonzeros) << "</td><td>" << esc(QString::fromStdString(t.format)) << "</td>"
                << keyedCell(QStringLiteral("bits:") + name, QString::number(t.bitsPerElement, 'g', 17), number(t.bitsPerElement, 2))
                << "<td class=\"num\">" << number(t.sqnrDb, 2) << "</td></tr>\n";
        }
        out << "</table>\n";
    }

    void writeCommands(QTextStream& out, const ReportData& data)
    {
        const QString model = shellQuote(data.request.session.modelFolder);
        const QString text = shellQuote(data.request.session.inputText);
        const QString input = data.request.session.inputIsTokenIds
            ? QStringLiteral("--input-ids ") + shellQuote(data.request.session.inputText.simplified().replace(QLatin1Char(' '), QLatin1Char(',')))
            : QStringLiteral("--text ") + text;
        const QString calibration = data.needsCalibration ? QStringLiteral(" --calibration-text input.txt") : QString();
        QStringList report { QStringLiteral("optiscope-cli report"), shellQuote(data.request.sourceFile) };
        if (!data.request.fromSession) {
            report << QStringLiteral("--model") << model << QStringLiteral("--text") << text;
        }
        if (!data.request.configFile.isEmpty()) {
            report << QStringLiteral("--config") << shellQuote(data.request.configFile);
        }
        report << QStringLiteral("--out report.html");
        out << "<h2 id=\"reproduce\">Reproduce</h2>\n<p>Save the recipe above as <code>recipe.json</code>, the array "
               "config as <code>array.json</code> and the input text as <code>input.txt</code> (no trailing newline). "
               "Then:</p>\n<table>\n<tr><th>Numbers</th><th>Command</th></tr>\n";
        const auto row = [&out](const QString& what, const QString& command) {
            out << "<tr><td>" << esc(what) << "</td><td><pre class=\"cmd\">" << esc(command) << "</pre></td></tr>\n";
        };
        row(QStringLiteral("This whole report"), report.join(QLatin1Char(' ')));
        row(QStringLiteral("Model card: architecture, parameters, tensors"), QStringLiteral("optiscope-cli info %1 --json").arg(model));
        row(QStringLiteral("Compressed model's predictions on the input"),
            QStringLiteral("optiscope-cli run %1 %2 --recipe recipe.json%3").arg(model, input, calibration));
        row(QStringLiteral("Per-layer cycles, utilization, traffic, energy"),
            QStringLiteral("optiscope-cli simulate --model %1 --recipe recipe.json%3 %2 --config array.json --out sim --json")
                .arg(model, input, calibration));
        if (data.sensitivity) {
            row(QStringLiteral("Per-layer sensitivity"),
                QStringLiteral("optiscope-cli sensitivity %1 --quant %2 --text-file input.txt").arg(model, shellQuote(data.sensitivityQuantJson)));
        }
        row(QStringLiteral("Bytes on disk of the compact form"),
            QStringLiteral("optiscope-cli export %1 --recipe recipe.json --format compact --out compressed.safetensors").arg(model));
        out << "</table>\n";
    }

    void writeVersions(QTextStream& out, const ReportData& data)
    {
        out << "<h2 id=\"versions\">Software versions</h2>\n<table class=\"kv\">\n"
            << "<tr><th>Optiscope</th><td>" << OPTISCOPE_VERSION << "</td></tr>\n"
            << "<tr><th>Qt</th><td>" << qVersion() << " (built with " << QT_VERSION_STR << ")</td></tr>\n"
            << "<tr><th>Eigen</th><td>" << EIGEN_WORLD_VERSION << '.' << EIGEN_MAJOR_VERSION << '.' << EIGEN_MINOR_VERSION
            << "</td></tr>\n<tr><th>oneTBB</th><td>" << TBB_VERSION_STRING << "</td></tr>\n"
            << "<tr><th>nlohmann/json</th><td>" << NLOHMANN_JSON_VERSION_MAJOR << '.' << NLOHMANN_JSON_VERSION_MINOR << '.'
            << NLOHMANN_JSON_VERSION_PATCH << "</td></tr>\n"
#if defined(__clang__)
            << "<tr><th>Compiler</th><td>Clang " << __clang_version__ << "</td></tr>\n"
#elif defined(__GNUC__)
            << "<tr><th>Compiler</th><td>GCC " << __VERSION__ << "</td></tr>\n"
#endif
            << "<tr><th>System</th><td>" << esc(QSysInfo::prettyProductName()) << ", " << esc(QSysInfo::currentCpuArchitecture())
            << "</td></tr>\n<tr><th>Generated</th><td>" << QDateTime::currentDateTime().toString(Qt::ISODate) << " in "
            << number(data.buildMs / 1000.0, 2) << " s of computation</td></tr>\n</table>\n";
    }

    const char* kStyle = R"(body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; max-width: 1000px; margin: 1em auto; color: #222; }
h1 { font-size: 18pt; } h2 { font-size: 14pt; border-bottom: 1px solid #aaa; margin-top: 1.6em; } h4 { margin-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 9pt; } th, td { border: 1px solid #ccc; padding: 2px 6px; vertical-align: top; }
th { background: #eef2f7; text-align: left; } td.num { text-align: right; font-family: "DejaVu Sans Mono", monospace; }
pre { background: #f6f6f6; padding: 4px 6px; white-space: pre-wrap; font-size: 8.5pt; } pre.cmd { margin: 0; }
.note { color: #8a5a00; } .card { font-size: 9pt; } figure { display: inline-block; margin: 4px; }
)";

} // namespace

QStringList reportSectionTitles()
{
    return { QStringLiteral("Model card"), QStringLiteral("Recipe"), QStringLiteral("Baseline vs compressed"),
        QStringLiteral("Per-layer sparsity and bit width"), QStringLiteral("Per-layer sensitivity"),
        QStringLiteral("Accuracy vs size"),
        QStringLiteral("Attention before and after"), QStringLiteral("Sparsity patterns"),
        QStringLiteral("Accelerator"), QStringLiteral("Reproduce"), QStringLiteral("Software versions") };
}

ReportDocument reportHtml(const ReportData& data, FigureEmbedding embedding)
{
    ReportDocument document;
    FigureSink figures(embedding, &document.figures);
    QString body;
    QTextStream out(&body);
    const QString title = QStringLiteral("Optiscope session report: %1").arg(QFileInfo(data.request.session.modelFolder).fileName());
    out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << esc(title) << "</title>\n<style>\n"
        << kStyle << "</style>\n</head>\n<body>\n<h1>" << esc(title) << "</h1>\n<p>Input: <q>" << esc(data.request.session.inputText.left(400))
        << "</q> (" << data.tokens.size() << " tokens).</p>\n";
    writeModelCard(out, data);
    writeRecipe(out, data);
    writeMetrics(out, data);
    writeTensorTable(out, data);
    writeSensitivity(out, data, figures);
    writeSweep(out, data, figures);
    writeAttention(out, data, figures);
    writeMasks(out, data, figures);
    writeAccelerator(out, data, figures);
    writeCommands(out, data);
    writeVersions(out, data);
    out << "</body>\n</html>\n";
    out.flush();
    document.html = body;
    return document;
}

} // namespace optiscope::report
