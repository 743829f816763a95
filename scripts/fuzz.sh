#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# Builds the parser fuzz targets (OPTISCOPE_FUZZ=ON, engine only, ASan+UBSan) in build/fuzz and runs one of
# them for SECONDS, seeded from the test fixtures, the corrupt corpus and tests/fuzz/seeds.
#   scripts/fuzz.sh TARGET SECONDS        e.g. scripts/fuzz.sh fuzz_safetensors 600
#   scripts/fuzz.sh TARGET 0 FILE...      replay FILE(s) once (reproduce a crash)
# Crashing inputs land in build/fuzz/artifacts/TARGET/; minimise by hand and commit to
# tests/corrupt/fuzz_regressions/ with the parser prefix (safetensors_, config_, recipe_, ...), which
# tst_corrupt_engine replays. CXX picks the compiler (default: the system c++, i.e. GCC on Debian 12).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: fuzz.sh TARGET SECONDS [FILE...]}
seconds=${2:?usage: fuzz.sh TARGET SECONDS [FILE...]}
shift 2
build=${OPTISCOPE_FUZZ_BUILD:-$root/build/fuzz} # any engine-only build dir configured with OPTISCOPE_FUZZ=ON

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOPTISCOPE_FUZZ=ON \
    -DOPTISCOPE_ENGINE_ONLY=ON -DOPTISCOPE_USE_BLAS=OFF >/dev/null
fi
nice ninja -C "$build" -j2 "$target" >/dev/null || { nice ninja -C "$build" -j1 "$target" | tail -20; exit 1; }

corpus=$build/corpus/$target
artifacts=$build/artifacts/$target
mkdir -p "$corpus" "$artifacts"
seed() { for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$corpus/seed-$(echo "$f" | md5sum | cut -c1-12)" || true; done; }
fx=$root/tests/fixtures
bad=$root/tests/corrupt
max_len=4096
case $target in
  fuzz_safetensors) seed "$fx"/*/model.safetensors "$bad"/safetensors/*; max_len=131072 ;;
  fuzz_config) seed "$fx"/*/config.json "$bad"/config/* ;;
  fuzz_tokenizer_json) seed "$bad"/tokenizer/tokenizer_json_* ;;
  fuzz_vocab_txt) seed "$fx"/tokenizers/bert_*/vocab.txt "$bad"/tokenizer/*.txt ;;
  fuzz_gpt2_bpe) ;; # seeds/: a small byte-level vocabulary + merges joined by a NUL byte
  fuzz_recipe) seed "$bad"/recipe/* ;;
  fuzz_scalesim_csv) seed "$bad"/scalesim/*.csv ;;
  fuzz_cfg) seed "$bad"/scalesim/*.cfg "$bad"/scalesim/*.json ;;
  fuzz_tfjs_manifest) ;; # seeds/: a small manifest naming the 64-byte shard the target writes
  fuzz_sentencepiece_vocab) seed "$bad"/tokenizer/vocab_*.json ;;
  fuzz_session) max_len=8192 ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
[ -d "$root/tests/fuzz/seeds/$target" ] && seed "$root/tests/fuzz/seeds/$target"/*
seed "$bad"/fuzz_regressions/"${target#fuzz_}"_*

# max_allocation_size_mb: a header that claims a huge tensor must be refused before allocating, so an
# allocation above 1 GiB counts as a finding rather than an out-of-memory kill.
export ASAN_OPTIONS=${ASAN_OPTIONS:-max_allocation_size_mb=1024:detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}
if [ "$seconds" = 0 ]; then
  exec "$build/tests/fuzz/$target" -timeout=10 "$@"
fi
exec "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -max_len=$max_len \
  -artifact_prefix="$artifacts/" "$corpus"
