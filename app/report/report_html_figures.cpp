// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// The report's figure sections: sensitivity, attention, mask thumbnails, accelerator.
#include "report_charts.h"
#include "report_html_parts.h"

#include "optiscope/accelsim/array_config.h"

#include <algorithm>
#include <cmath>

namespace optiscope::report::html {

namespace {

    const QColor kBlue(52, 101, 164);
    const QColor kOrange(222, 130, 40);
    const QColor kGreen(80, 150, 80);

    QStringList tokenList(const ReportData& data, int limit)
    {
        QStringList labels;
        for (int i = 0; i < std::min<int>(limit, data.tokenLabels.size()); ++i) {
            labels << QStringLiteral("%1:%2").arg(i).arg(data.tokenLabels[i]);
        }
        return labels;
    }

} // namespace

void writeSensitivity(QTextStream& out, const ReportData& data, FigureSink& figures)
{
    out << "<h2 id=\"sensitivity\">Per-layer sensitivity</h2>\n";
    if (!data.sensitivity) {
        out << "<p class=\"note\">" << esc(data.sensitivityNote) << "</p>\n";
        return;
    }
    const core::SensitivityScan& scan = *data.sensitivity;
    out << "<p>Each layer's weight matrices quantized alone with <code>" << esc(data.sensitivityQuantJson)
        << "</code>, everything else fp32, measured on the session input (" << scan.tokensPredicted
        << " predictions). A tall bar marks a layer to keep at higher precision.</p>\n";
    // Bars of the change, not the level: a layer's effect is a small fraction of the perplexity.
    BarChart chart;
    chart.title = QStringLiteral("Perplexity change with one layer quantized");
    chart.xLabel = QStringLiteral("transformer layer quantized");
    chart.yLabel = QStringLiteral("\u0394 perplexity vs base (no unit)");
    BarSeries series { QStringLiteral("only this layer quantized"), kBlue, {} };
    for (const core::LayerSensitivity& layer : scan.layers) {
        chart.categories << QStringLiteral("layer %1").arg(layer.layer);
        series.values << layer.perplexity - scan.basePerplexity;
    }
    chart.series << series;
    chart.referenceLine = 0.0;
    chart.referenceLabel = QStringLiteral("base model (perplexity %1)").arg(scan.basePerplexity, 0, 'f', 3);
    out << figures.tag(barChartSvg(chart), chart.title) << "\n<table>\n<tr><th>Layer</th><th>Perplexity</th>"
        << "<th>\u0394 perplexity</th><th>KL mean (nats)</th><th>Top-1 agreement</th><th>Weight SQNR (dB)</th></tr>\n";
    for (const core::LayerSensitivity& layer : scan.layers) {
        out << "<tr><td>" << layer.layer << "</td>"
            << keyedCell(QStringLiteral("sensitivity_perplexity:%1").arg(layer.layer), QString::number(layer.perplexity, 'g', 17), number(layer.perplexity, 4))
            << "<td class=\"num\">" << number(layer.perplexity - scan.basePerplexity, 4) << "</td><td class=\"num\">"
            << number(layer.klMean, 6) << "</td><td class=\"num\">" << number(layer.top1Agreement, 4)
            << "</td><td class=\"num\">" << number(layer.weightSqnrDb, 2) << "</td></tr>\n";
    }
    out << "</table>\n";
}

void writeSweep(QTextStream& out, const ReportData& data, FigureSink& figures)
{
    out << "<h2 id=\"sweep\">Accuracy vs size</h2>\n";
    if (data.sweep.empty()) {
        out << "<p class=\"note\">No sweep: run <code>optiscope-cli sweep MODEL --recipe-template T.json --param "
               "PATH=v1,v2,... --out results.csv</code> and pass <code>--sweep results.csv</code> to the report.</p>\n";
        return;
    }
    out << "<p>" << data.sweep.size() << " recipes from <code>" << esc(data.request.sweepFile)
        << "</code>: perplexity against the compressed size (bytes with masks, scales and metadata counted). Ringed "
           "points are Pareto-optimal: no other point is at most as large and at least as good.</p>\n";
    ScatterChart chart;
    chart.title = QStringLiteral("Perplexity vs compressed size");
    chart.xLabel = QStringLiteral("compressed size (MB)");
    chart.yLabel = QStringLiteral("perplexity (lower is better)");
    for (const SweepPointData& point : data.sweep) {
        chart.points.emplace_back(point.bytes / 1e6, point.perplexity);
        chart.onFront.push_back(point.onFront);
    }
    if (data.sweepBasePerplexity > 0) {
        chart.referenceLine = data.sweepBasePerplexity;
        chart.referenceLabel = QStringLiteral("base model %1").arg(data.sweepBasePerplexity, 0, 'f', 2);
    }
    out << figures.tag(scatterChartSvg(chart), chart.title)
        << "\n<table>\n<tr><th>Parameters</th><th>Bytes</th><th>MACs (effective)</th><th>Perplexity</th><th>Pareto</th></tr>\n";
    for (std::size_t i = 0; i < data.sweep.size(); ++i) {
        const SweepPointData& point = data.sweep[i];
        out << "<tr><td>" << esc(point.label) << "</td><td class=\"num\">" << integer(std::int64_t(point.bytes))
            << "</td><td class=\"num\">" << integer(std::int64_t(point.macs)) << "</td>"
            << keyedCell(QStringLiteral("sweep_perplexity:%1").arg(i), QString::number(point.perplexity, 'g', 17), number(point.perplexity, 3))
            << keyedCell(QStringLiteral("sweep_front:%1").arg(i), point.onFront ? QStringLiteral("1") : QStringLiteral("0"),
                   point.onFront ? QStringLiteral("\u2713") : QString())
            << "</tr>\n";
    }
    out << "</table>\n";
}

void writeAttention(QTextStream& out, const ReportData& data, FigureSink& figures)
{
    out << "<h2 id=\"attention\">Attention before and after</h2>\n";
    const int t = data.attentionTokens;
    if (t == 0 || data.attentionBaseline.empty()) {
        out << "<p class=\"note\">No attention was captured.</p>\n";
        return;
    }
    double maxProbability = 0, maxDifference = 0, sumDifference = 0;
    std::vector<float> difference(data.attentionBaseline.size());
    for (std::size_t i = 0; i < difference.size(); ++i) {
        difference[i] = data.attentionCompressed[i] - data.attentionBaseline[i];
        maxProbability = std::max({ maxProbability, double(data.attentionBaseline[i]), double(data.attentionCompressed[i]) });
        maxDifference = std::max(maxDifference, std::abs(double(difference[i])));
        sumDifference += std::abs(double(difference[i]));
    }
    out << "<p>Layer " << data.layer << ", head " << data.head << " (the session's view), " << t
        << " tokens; rows are queries, columns keys. Largest |difference| "
        << keyedCell(QStringLiteral("attention_max_abs_difference"), QString::number(maxDifference, 'g', 17), number(maxDifference, 4)).replace(QStringLiteral("<td"), QStringLiteral("<span")).replace(QStringLiteral("</td>"), QStringLiteral("</span>"))
        << ", mean " << number(sumDifference / difference.size(), 5) << ".</p>\n";
    Heatmap heatmap;
    heatmap.tokens = t;
    heatmap.maxValue = maxProbability > 0 ? maxProbability : 1.0;
    heatmap.title = QStringLiteral("baseline");
    heatmap.values = data.attentionBaseline;
    out << figures.tag(heatmapSvg(heatmap), QStringLiteral("baseline attention"));
    heatmap.title = QStringLiteral("compressed");
    heatmap.values = data.attentionCompressed;
    out << figures.tag(heatmapSvg(heatmap), QStringLiteral("compressed attention"));
    heatmap.title = QStringLiteral("compressed \u2212 baseline");
    heatmap.values = difference;
    heatmap.diverging = true;
    heatmap.maxValue = maxDifference > 0 ? maxDifference : 1.0;
    out << figures.tag(heatmapSvg(heatmap), QStringLiteral("attention difference")) << "\n<p class=\"card\">Tokens: "
        << esc(tokenList(data, 64).join(QStringLiteral("  "))) << (t > 64 ? QStringLiteral(" \u2026") : QString()) << "</p>\n";
}

void writeMasks(QTextStream& out, const ReportData& data, FigureSink& figures)
{
    out << "<h2 id=\"masks\">Sparsity patterns</h2>\n";
    if (data.masks.empty()) {
        out << "<p class=\"note\">No weight matrix is pruned.</p>\n";
        return;
    }
    out << "<p>The top-left corner (up to 64 \u00d7 64) of pruned weight masks: dark = kept, white = pruned; rows "
           "are output features, columns input features";
    if (std::any_of(data.masks.begin(), data.masks.end(), [](const MaskThumbnail& m) { return m.nmM > 1; })) {
        out << "; orange lines separate the M-wide groups of N:M patterns";
    }
    out << ".</p>\n";
    for (const MaskThumbnail& mask : data.masks) {
        const QString subtitle = QStringLiteral("%1\u00d7%2 (out \u00d7 in), %3 % pruned%4")
                            .arg(mask.outFeatures)
                            .arg(mask.inFeatures)
                            .arg(100.0 * mask.sparsity, 0, 'f', 1)
                            .arg(mask.nmM > 1 ? QStringLiteral(", %1:%2").arg(mask.nmN).arg(mask.nmM) : QString());
        out << figures.tag(maskSvg(mask.tensor, subtitle, mask.rows, mask.cols, mask.kept, mask.nmM),
                   mask.tensor + QStringLiteral(": ") + subtitle)
            << "\n";
    }
}

void writeAccelerator(QTextStream& out, const ReportData& data, FigureSink& figures)
{
    out << "<h2 id=\"accelerator\">Accelerator</h2>\n";
    const accelsim::ArrayConfig& array = *data.array;
    const accelsim::SimulationResult& sim = data.simulation;
    const double clockMhz = array.params().clockMhz;
    std::int64_t dramRead = 0, dramWritten = 0, sramRead = 0, sramWritten = 0;
    for (const accelsim::LayerStats& l : sim.layers) {
        dramRead += l.ifmap.dramBytes() + l.filter.dramBytes() + l.metadataDramBytes;
        dramWritten += l.ofmap.dramBytes();
        sramRead += l.ifmap.sramBytes() + l.filter.sramBytes() + l.metadataSramBytes;
        sramWritten += l.ofmap.sramBytes();
    }
    out << "<p>The compressed model's matrix products for the session input (its op trace: " << sim.layers.size()
        << " GEMMs, operand widths and N:M sparsity as the weights carry them) on a " << array.rows() << "\u00d7"
        << array.cols() << " " << QString::fromUtf8(accelsim::dataflowName(array.dataflow()).data()).toUpper()
        << " systolic array at " << clockMhz << " MHz (config from " << esc(data.arraySource) << "). Total "
        << keyedCell(QStringLiteral("total_cycles"), QString::number(sim.totalCycles()), integer(sim.totalCycles()))
               .replace(QStringLiteral("<td"), QStringLiteral("<b")).replace(QStringLiteral("</td>"), QStringLiteral("</b>"))
        << " cycles (" << number(sim.totalCycles() / clockMhz, 2) << " \u00b5s), "
        << keyedCell(QStringLiteral("total_energy_pj"), QString::number(sim.totalEnergyPj(), 'g', 17), number(sim.totalEnergyPj() * 1e-6, 3))
               .replace(QStringLiteral("<td"), QStringLiteral("<b")).replace(QStringLiteral("</td>"), QStringLiteral("</b>"))
        << " \u00b5J, DRAM " << integer(dramRead) << " bytes read and " << integer(dramWritten) << " written, SRAM "
        << integer(sramRead) << " read and " << integer(sramWritten) << " written.</p>\n<p>Array config (<code>array.json</code>):</p>\n<pre>" << esc(QString::fromUtf8(data.arrayJson)) << "</pre>\n";

    BarChart cycles;
    cycles.title = QStringLiteral("Cycles per GEMM");
    cycles.xLabel = QStringLiteral("GEMM, in op trace order");
    cycles.yLabel = QStringLiteral("cycles");
    BarChart util = cycles, traffic = cycles, energy = cycles;
    util.title = QStringLiteral("Utilization per GEMM");
    util.yLabel = QStringLiteral("overall utilization (%)");
    traffic.title = QStringLiteral("DRAM traffic per GEMM");
    traffic.yLabel = QStringLiteral("bytes");
    energy.title = QStringLiteral("Energy per GEMM");
    energy.yLabel = QStringLiteral("energy (\u00b5J)");
    BarSeries cyclesSeries { QStringLiteral("cycles"), kBlue, {} }, utilSeries { QStringLiteral("utilization"), kGreen, {} };
    BarSeries readSeries { QStringLiteral("DRAM read"), kBlue, {} }, writeSeries { QStringLiteral("DRAM written"), kOrange, {} };
    BarSeries macSeries { QStringLiteral("MAC"), kBlue, {} }, memorySeries { QStringLiteral("SRAM + DRAM"), kOrange, {} };
    for (const accelsim::LayerStats& l : sim.layers) {
        const QString name = QString::fromStdString(l.name);
        for (BarChart* chart : { &cycles, &util, &traffic, &energy }) {
            chart->categories << name;
        }
        cyclesSeries.values << double(l.totalCycles);
        utilSeries.values << l.overallUtilPct;
        readSeries.values << double(l.ifmap.dramBytes() + l.filter.dramBytes() + l.metadataDramBytes);
        writeSeries.values << double(l.ofmap.dramBytes());
        macSeries.values << l.energy.macPj * 1e-6;
        memorySeries.values << (l.energy.sramPj + l.energy.dramPj) * 1e-6;
    }
    cycles.series << cyclesSeries;
    util.series << utilSeries;
    traffic.series << readSeries << writeSeries;
    energy.series << macSeries << memorySeries;
    for (const BarChart* chart : { &cycles, &util, &traffic, &energy }) {
        out << figures.tag(barChartSvg(*chart), chart->title) << "\n";
    }
    out << "<table>\n<tr><th>GEMM</th><th>M</th><th>K</th><th>N</th><th>Bits (w/a)</th><th>Cycles</th><th>Util. (%)</th>"
           "<th>MACs done</th><th>SRAM read (B)</th><th>DRAM read (B)</th><th>DRAM written (B)</th><th>Energy (\u00b5J)</th></tr>\n";
    for (std::size_t i = 0; i < sim.layers.size(); ++i) {
        const accelsim::LayerStats& l = sim.layers[i];
        const accelsim::Layer& w = data.workload.layers[i];
        out << "<tr><td style=\"white-space: nowrap\"><code>" << esc(QString::fromStdString(l.name)) << "</code></td><td class=\"num\">" << w.m
            << "</td><td class=\"num\">" << w.k << "</td><td class=\"num\">" << w.n << "</td><td>" << l.filter.bits << "/"
            << l.ifmap.bits << (l.geometry.sparse() ? QStringLiteral(", %1:%2").arg(l.geometry.nmN).arg(l.geometry.nmM) : QString())
            << "</td>" << keyedCell(QStringLiteral("cycles:%1").arg(i), QString::number(l.totalCycles), integer(l.totalCycles))
            << "<td class=\"num\">" << number(l.overallUtilPct, 2) << "</td><td class=\"num\">" << integer(l.macsPerformed)
            << "</td><td class=\"num\">" << integer(l.ifmap.sramBytes() + l.filter.sramBytes() + l.metadataSramBytes)
            << "</td><td class=\"num\">" << integer(l.ifmap.dramBytes() + l.filter.dramBytes() + l.metadataDramBytes)
            << "</td><td class=\"num\">" << integer(l.ofmap.dramBytes()) << "</td><td class=\"num\">"
            << number(l.energy.totalPj() * 1e-6, 4) << "</td></tr>\n";
    }
    out << "</table>\n";
}

} // namespace optiscope::report::html
