// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// Light and dark palettes (View ▸ Theme), remembered in QSettings. The views draw with palette
// roles (Window, Base, Text, Mid…), so they follow; colour maps and state colours stay as they are.
#include <QString>

namespace optiscope::gui {

enum class Theme { System, Light, Dark };

void applyTheme(Theme theme); // to the whole application; also saves it
Theme savedTheme(); // System when none saved
QString themeName(Theme theme); // "system", "light", "dark"

} // namespace optiscope::gui
