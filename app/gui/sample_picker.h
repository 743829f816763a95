// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// File ▸ Open Sample: one entry per model of the sample catalog (sample_catalog.h), each with its
// one-line description; fetched models that are absent are disabled with a tooltip naming the
// script that fetches them. A Hugging Face sample opens in the main window like File ▸ Open; USE
// Lite (a TF.js graph the main window's views cannot show) becomes the Evaluation dock's target.
// A sample whose files disappeared gives a one-line dialog naming the file; the loaded model stays.
class QMenu;

namespace optiscope::gui {

class MainWindow;
struct SampleEntry;

QMenu* addSampleMenu(MainWindow* window, QMenu* fileMenu);
// What the menu entries do (also for tests and the start-up default).
void openSample(MainWindow* window, const SampleEntry& entry);

} // namespace optiscope::gui
