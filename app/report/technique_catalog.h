// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
#pragma once
// What each compression technique is and where the survey (Chitty-Venkata et al. 2023) treats it:
// one catalog for the GUI step editor's entries and tooltips and the session report's recipe section.
#include <QJsonObject>
#include <QString>

namespace optiscope::report {

enum class Technique {
    PruneUnstructured,
    PruneNM,
    PruneBlocks,
    PruneHeads,
    QuantizeInt,
    QuantizeFormat,
    PruneBankBalanced,
    PruneNeurons,
    PruneHeadsByImportance,
    PruneLayers,
    QuantizeTernaryBinary,
    QuantizeBfp,
    PruneTokens,
    QuantizeActivations,
    LlmInt8,
    QuantizeGobo,
    Unknown,
};

struct TechniqueInfo {
    QString name; // "Prune: N:M" (translated in the step editor's context)
    QString description; // one sentence, ending with the survey section in parentheses
    QString surveySection; // "\u00a7V", "\u00a7VI", ... as cited in the description
};

TechniqueInfo techniqueInfo(Technique technique);

// The technique of any recipe step of RECIPE_SCHEMA.md (Unknown for an unrecognised type).
Technique techniqueOfStep(const QJsonObject& step);
inline TechniqueInfo techniqueForStep(const QJsonObject& step) { return techniqueInfo(techniqueOfStep(step)); }

// The step's parameters in a few words: "2:4, magnitude saliency, on *.attn.c_attn.weight".
QString stepParameters(const QJsonObject& step);

} // namespace optiscope::report
