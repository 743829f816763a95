// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#include "color_map.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace optiscope::widgets {
namespace {
    // matplotlib's viridis sampled at 9 evenly spaced points; linear between them.
    constexpr std::array<std::array<double, 3>, 9> kViridis { {
        { 0.267004, 0.004874, 0.329415 },
        { 0.278826, 0.175490, 0.483397 },
        { 0.229739, 0.322361, 0.545706 },
        { 0.172719, 0.448791, 0.557885 },
        { 0.127568, 0.566949, 0.550556 },
        { 0.157851, 0.683765, 0.501686 },
        { 0.369214, 0.788888, 0.382914 },
        { 0.678489, 0.863742, 0.189503 },
        { 0.993248, 0.906157, 0.143936 },
    } };
}

QColor viridis(double t)
{
    if (!std::isfinite(t)) {
        t = 0;
    }
    t = std::clamp(t, 0.0, 1.0);
    const double scaled = t * (kViridis.size() - 1);
    const auto index = std::min<std::size_t>(static_cast<std::size_t>(scaled), kViridis.size() - 2);
    const double f = scaled - static_cast<double>(index);
    const auto& a = kViridis[index];
    const auto& b = kViridis[index + 1];
    return QColor::fromRgbF(static_cast<float>(a[0] + f * (b[0] - a[0])), static_cast<float>(a[1] + f * (b[1] - a[1])),
        static_cast<float>(a[2] + f * (b[2] - a[2])));
}

QColor diverging(double t)
{
    if (!std::isfinite(t)) {
        t = 0;
    }
    t = std::clamp(t, -1.0, 1.0);
    // ColorBrewer RdBu ends (#2166ac, #b2182b) through white: equal steps look equal either side of zero.
    const QColor end = t < 0 ? QColor(0x21, 0x66, 0xac) : QColor(0xb2, 0x18, 0x2b);
    const double f = std::fabs(t);
    const auto mix = [f](int channel) { return static_cast<int>(255 + (channel - 255) * f + 0.5); };
    return QColor(mix(end.red()), mix(end.green()), mix(end.blue()));
}

QRgb differenceRgb(float value, float maxAbs) { return diverging(maxAbs > 0 ? value / maxAbs : 0.0).rgb(); }

QRgb attentionRgb(float value, float maxValue)
{
    return viridis(maxValue > 0 ? value / maxValue : 0.0).rgb();
}

} // namespace optiscope::widgets
