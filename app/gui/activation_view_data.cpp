// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "activation_view_data.h"

#include "tensor_view_data.h"

#include "optiscope/core/compression/activation_quantization.h"

#include <cmath>

namespace optiscope::gui {

namespace {
    bool endsWith(const std::string& text, const std::string& suffix)
    {
        return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
    }

    QString describe(const core::ActivationQuantization& q)
    {
        if (q.mixedInt8) {
            return QObject::tr("LLM.int8: columns above |x| = %1 in fp16, the rest int8 per token").arg(q.outlierThreshold);
        }
        const auto& s = q.spec;
        const QString kind = s.scaling == core::ActivationScaling::Static ? QObject::tr("static per tensor")
            : s.granularity == core::ActivationGranularity::PerToken      ? QObject::tr("dynamic per token")
                                                                          : QObject::tr("dynamic per tensor");
        return QObject::tr("int%1 %2, %3").arg(s.bits).arg(s.symmetric ? QObject::tr("sym.") : QObject::tr("asym."), kind);
    }
} // namespace

const core::LinearInput* findLinearInput(const std::map<std::string, core::LinearInput>& inputs, const std::string& name)
{
    if (auto it = inputs.find(name); it != inputs.end()) {
        return &it->second;
    }
    for (const auto& [key, input] : inputs) {
        if (endsWith(name, "." + key) || endsWith(key, "." + name)) {
            return &input;
        }
    }
    return nullptr;
}

widgets::HistogramData activationHistogram(const core::LinearInput& input, const core::Model& model, const std::string& name)
{
    widgets::HistogramData data = widgets::makeHistogram(input.values, kHistogramBins);
    data.title = QObject::tr("Input activations of %1 (last run: %2 tokens \u00d7 %3 features)")
                     .arg(QString::fromStdString(name))
                     .arg(input.rows)
                     .arg(input.cols);
    data.valueLabel = QObject::tr("activation value");
    const core::ActivationQuantization* q = model.activationQuantization(name);
    if (!q) {
        data.note = QObject::tr("fp32: the recipe does not quantize this layer's input");
        return data;
    }
    const bool staticGrid = !q->mixedInt8 && q->spec.scaling == core::ActivationScaling::Static;
    if (staticGrid) {
        data.levels = integerGridLevels(q->spec.bits, q->spec.symmetric, q->scale, q->zeroPoint);
        if (!data.levels.empty()) {
            data.hasClipRange = true;
            data.clipLow = data.levels.front();
            data.clipHigh = data.levels.back();
        }
    }
    const auto quantized = core::quantizeActivations(input.values, input.rows, input.cols, *q);
    double power = 0, squaredError = 0, maxError = 0;
    for (std::size_t i = 0; i < input.values.size(); ++i) {
        const double x = input.values[i];
        const double e = x - quantized[i];
        power += x * x;
        squaredError += e * e;
        maxError = std::max(maxError, std::abs(e));
    }
    const double n = static_cast<double>(std::max<std::size_t>(1, input.values.size()));
    const double sqnr = squaredError > 0 ? 10.0 * std::log10(power / squaredError) : INFINITY;
    data.note = QObject::tr("%1%2 \u00b7 error on this run: MSE %3, max |error| %4, SQNR %5 dB")
                    .arg(describe(*q))
                    .arg(staticGrid ? QString() : QObject::tr(" (each input gets its own grid: none drawn)"))
                    .arg(squaredError / n, 0, 'g', 3)
                    .arg(maxError, 0, 'g', 3)
                    .arg(sqnr, 0, 'f', 1);
    return data;
}

} // namespace optiscope::gui
