# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# Sourced by the fetch_*.sh scripts: one way to get an npm package's tarball into a cache folder with
# `npm pack` (downloads the tarball only; no install, no lifecycle scripts), check it against the
# registry's dist.integrity, and unpack it. Callers set `who` (their name, for messages) first.
# Offline or no npm is reported and returns 1 so the caller can skip what needs the package (the tests
# QSKIP); an integrity mismatch deletes the tarball and exits 1 — a changed package is never used.

# npm_available REASON: false (with a message naming what will be skipped) when npm is missing.
npm_available() {
  command -v npm >/dev/null && return 0
  echo "$who: npm not found; $1 will be skipped" >&2
  return 1
}

# npm_fetch_tarball FOLDER SPEC TARBALL INTEGRITY: FOLDER/TARBALL present and verified.
npm_fetch_tarball() {
  mkdir -p "$1"
  if [[ ! -f "$1/$3" ]]; then
    if ! (cd "$1" && npm pack --silent --ignore-scripts "$2" >/dev/null); then
      echo "$who: npm pack $2 failed (offline?); the checks that need it will be skipped" >&2
      return 1
    fi
  fi
  local actual
  actual="sha512-$(openssl dgst -sha512 -binary "$1/$3" | base64 -w0)"
  if [[ "$actual" != "$4" ]]; then
    echo "$who: $3 integrity $actual does not match $4" >&2
    rm -f "$1/$3"
    exit 1
  fi
}

# npm_unpack FOLDER TARBALL DEST: the tarball's package/ folder becomes DEST (replaced if present).
npm_unpack() {
  local staging="$1/unpack.$$"
  rm -rf "$staging" "$3"
  mkdir -p "$staging" "$(dirname "$3")"
  tar -xzf "$1/$2" -C "$staging"
  mv "$staging/package" "$3"
  rmdir "$staging"
  chmod -R u+rwX,go+rX "$3"
}

# npm_fetch FOLDER SPEC TARBALL INTEGRITY: fetch, verify and unpack into FOLDER/package.
npm_fetch() {
  npm_fetch_tarball "$@" || return 1
  npm_unpack "$1" "$3" "$1/package"
  echo "$who: unpacked $2 into $1/package"
}
