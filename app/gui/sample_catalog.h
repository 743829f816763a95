// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// The models File ▸ Open Sample offers: every bundled sample (samples/*/config.json, Hugging Face
// layout) and the fetched Universal Sentence Encoder Lite (third_party_cache/, present only after
// scripts/fetch_use_lite.sh). Each with a one-line description from its files: architecture,
// parameters, size on disk and the held-out metric of its model card (train_metrics.json).
#include <QList>
#include <QString>

namespace optiscope::gui {

struct SampleEntry {
    enum class Kind { HuggingFace, UseLite };
    Kind kind = Kind::HuggingFace;
    QString id; // folder name, e.g. "tiny-gpt2"; "use-lite"
    QString title; // menu text
    QString folder; // absolute; where it would be when not fetched
    QString description; // one line
    bool available = true;
    QString unavailableReason; // tooltip of a disabled entry: which script fetches it
};

// $OPTISCOPE_SAMPLES_DIR, else the nearest samples/ (holding tiny-gpt2/config.json) above the
// executable's folder or the working directory, so a build tree inside the source tree and the
// source tree itself both work. Empty when not found.
QString findSamplesFolder();
// The nearest third_party_cache/ above the executable's folder or the working directory; empty if none.
QString findThirdPartyCache();

QList<SampleEntry> sampleCatalog();
// The GPT-2 sample the app opens at start; empty when the samples are not found.
QString defaultSampleFolder();

// Before opening: empty when the entry's folder still has its files, else one line naming the
// missing file (a sample folder that was moved or deleted since the menu was built).
QString checkSampleFiles(const SampleEntry& entry);

} // namespace optiscope::gui
