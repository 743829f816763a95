#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds Release, runs the whole test suite headless under Xvfb.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/fetch_use_lite.sh"
"$root/scripts/fetch_gguf_js.sh"
cmake --preset release -S "$root"
cmake --build "$root/build/release"
cd "$root/build/release"
xvfb-run -a -s "-screen 0 1600x1000x24" ctest --output-on-failure --timeout 900 "$@"
