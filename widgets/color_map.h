// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// One perceptually uniform colour scale (viridis) shared by the 2D views and the VTK lookup
// table, so a value has the same colour everywhere.
#include <QColor>

namespace optiscope::widgets {

// t in [0, 1] (clamped).
QColor viridis(double t);
// Maps value in [0, maxValue] to viridis; maxValue <= 0 maps everything to the low end.
QRgb attentionRgb(float value, float maxValue);
// Diverging blue - white - red for signed values (differences); t in [-1, 1] (clamped).
QColor diverging(double t);
// Maps value in [-maxAbs, maxAbs] to the diverging scale.
QRgb differenceRgb(float value, float maxAbs);

} // namespace optiscope::widgets
