#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
// Independent check of our GGUF files: parses FILE.gguf with Hugging Face's @huggingface/gguf
// (npm, MIT; fetched by scripts/fetch_gguf_js.sh into third_party_cache/gguf_js/package, or
// $OPTISCOPE_GGUF_JS_DIR) and prints the header, every metadata key with its GGUF value type and
// value (arrays in full), the tensor infos and the data offset as one JSON object on stdout.
// Exit 2 when the package is missing, 1 when parsing fails.
"use strict";
const path = require("path");
const fs = require("fs");

const file = process.argv[2];
if (!file) {
  console.error("usage: gguf_reference.js FILE.gguf");
  process.exit(1);
}
const packageDir =
  process.env.OPTISCOPE_GGUF_JS_DIR || path.join(__dirname, "..", "third_party_cache", "gguf_js", "package");
if (!fs.existsSync(path.join(packageDir, "dist", "index.js"))) {
  console.error(`gguf_reference: @huggingface/gguf not found in ${packageDir} (run scripts/fetch_gguf_js.sh)`);
  process.exit(2);
}
const { gguf } = require(path.join(packageDir, "dist", "index.js"));

// BigInt values (uint64 counts, offsets) as numbers when exact, else as decimal strings.
function plain(value) {
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (Array.isArray(value)) {
    return value.map(plain);
  }
  return value;
}

(async () => {
  const result = await gguf(path.resolve(file), { allowLocalFile: true, typedMetadata: true });
  const metadata = {};
  for (const [key, entry] of Object.entries(result.typedMetadata)) {
    if (key === "version" || key === "tensor_count" || key === "kv_count") {
      continue;
    }
    metadata[key] = { type: entry.type, value: plain(entry.value) };
    if (entry.subType !== undefined) {
      metadata[key].subType = entry.subType;
    }
  }
  const out = {
    version: plain(result.metadata.version),
    tensor_count: plain(result.metadata.tensor_count),
    kv_count: plain(result.metadata.kv_count),
    littleEndian: result.littleEndian,
    tensorDataOffset: plain(result.tensorDataOffset),
    metadata,
    tensors: result.tensorInfos.map((t) => ({
      name: t.name,
      shape: plain(t.shape),
      dtype: t.dtype,
      offset: plain(t.offset),
    })),
  };
  process.stdout.write(JSON.stringify(out) + "\n");
})().catch((error) => {
  console.error(`gguf_reference: ${error.message}`);
  process.exit(1);
});
