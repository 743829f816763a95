#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# GPT-2-small-shaped forward pass, T=128: Optiscope (tests/benchmarks/bench_inference) against
# plain PyTorch (scripts/bench_torch.py) on 1 and 2 threads, interleaved in one run, and the
# ratio ours / PyTorch (below 1 = we are faster). Each side gets its best configuration: for
# PyTorch on 2 threads both (torch 2, BLAS 2) and (torch 1, BLAS 2) are tried.
#
#   scripts/bench.sh [BUILD_DIR]      (default build/release; the benchmark target is built first)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/release}"
runs="${BENCH_RUNS:-5}"
tokens="${BENCH_TOKENS:-128}"
cmake --build "$build" --target bench_inference >/dev/null
bench="$build/tests/benchmarks/bench_inference"
# Timing runs use OpenBLAS's own CPU detection and cache sizes.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

best_ms() { sed -n 's/.*best_ms=\([0-9.]*\).*/\1/p' | sort -g | head -1; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
# The first call may write the ~500 MB random checkpoint to /tmp; keep that out of the timings.
OPENBLAS_NUM_THREADS=1 "$bench" --tokens "$tokens" --runs 1 --threads 1 | grep -v best_ms
printf '%-8s %14s %14s %10s\n' threads optiscope_ms pytorch_ms ratio
for n in 1 2; do
  ours=$(OPENBLAS_NUM_THREADS=$n "$bench" --tokens "$tokens" --runs "$runs" --threads "$n" | best_ms)
  torch=$( {
    OPENBLAS_NUM_THREADS=$n /usr/bin/python3 "$root/scripts/bench_torch.py" --tokens "$tokens" --runs "$runs" --torch-threads "$n"
    if ((n > 1)); then
      OPENBLAS_NUM_THREADS=$n /usr/bin/python3 "$root/scripts/bench_torch.py" --tokens "$tokens" --runs "$runs" --torch-threads 1
    fi
  } | best_ms)
  printf '%-8s %14s %14s %10s\n' "$n" "$ours" "$torch" "$(awk -v a="$ours" -v b="$torch" 'BEGIN { printf "%.2f", a / b }')"
done
