#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""PyTorch reference timing for tests/benchmarks/bench_inference.cpp: the same GPT-2-small
shape (12 layers, d=768, 12 heads, vocab 50257, 1024 positions, random float32 weights, tied
LM head over all T positions), T=128, plain torch ops, best of N runs after a warm-up.

OpenBLAS reads its thread count at load time, so set OPENBLAS_NUM_THREADS in the environment
(scripts/bench.sh does, and unsets OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/bench_torch.py --torch-threads 1
"""
import argparse
import math
import os
import time

import torch
import torch.nn.functional as F

LAYERS, HIDDEN, HEADS, VOCAB, POSITIONS = 12, 768, 12, 50257, 1024


def make_weights(seed):
    g = torch.Generator().manual_seed(seed)

    def rand(*shape, amplitude):
        return (torch.rand(*shape, generator=g) * 2 - 1) * amplitude

    d = HIDDEN
    w = {"wte": rand(VOCAB, d, amplitude=0.035), "wpe": rand(POSITIONS, d, amplitude=0.02),
         "ln_f.weight": 1 + rand(d, amplitude=0.1), "ln_f.bias": rand(d, amplitude=0.01)}
    for i in range(LAYERS):
        p = f"h.{i}."
        w.update({p + "ln_1.weight": 1 + rand(d, amplitude=0.1), p + "ln_1.bias": rand(d, amplitude=0.01),
                  p + "c_attn.weight": rand(d, 3 * d, amplitude=0.035), p + "c_attn.bias": rand(3 * d, amplitude=0.01),
                  p + "c_proj.weight": rand(d, d, amplitude=0.035), p + "c_proj.bias": rand(d, amplitude=0.01),
                  p + "ln_2.weight": 1 + rand(d, amplitude=0.1), p + "ln_2.bias": rand(d, amplitude=0.01),
                  p + "c_fc.weight": rand(d, 4 * d, amplitude=0.035), p + "c_fc.bias": rand(4 * d, amplitude=0.01),
                  p + "mlp_proj.weight": rand(4 * d, d, amplitude=0.035), p + "mlp_proj.bias": rand(d, amplitude=0.01)})
    return w


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def forward(w, ids):
    t = ids.shape[0]
    d, dh = HIDDEN, HIDDEN // HEADS
    x = w["wte"][ids] + w["wpe"][:t]
    causal = torch.full((t, t), float("-inf")).triu(1)
    for i in range(LAYERS):
        p = f"h.{i}."
        h = F.layer_norm(x, (d,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], 1e-5)
        qkv = torch.addmm(w[p + "c_attn.bias"], h, w[p + "c_attn.weight"])  # HF Conv1D: x @ W[in, out] + b
        q, k, v = (m.view(t, HEADS, dh).transpose(0, 1) for m in qkv.split(d, dim=1))
        scores = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(dh) + causal
        context = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(0, 1).reshape(t, d)
        x = x + torch.addmm(w[p + "c_proj.bias"], context, w[p + "c_proj.weight"])
        h = F.layer_norm(x, (d,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], 1e-5)
        h = gelu_new(torch.addmm(w[p + "c_fc.bias"], h, w[p + "c_fc.weight"]))
        x = x + torch.addmm(w[p + "mlp_proj.bias"], h, w[p + "mlp_proj.weight"])
    x = F.layer_norm(x, (d,), w["ln_f.weight"], w["ln_f.bias"], 1e-5)
    return torch.matmul(x, w["wte"].t())  # tied LM head: logits for every position, like our engine


def macs(t):
    d = HIDDEN
    per_layer = t * d * 3 * d + 2 * t * t * d + t * d * d + 2 * t * d * 4 * d
    return LAYERS * per_layer + t * d * VOCAB


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--torch-threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.torch_threads)
    w = make_weights(1234)
    ids = torch.randint(0, VOCAB, (args.tokens,), generator=torch.Generator().manual_seed(7))
    best = float("inf")
    with torch.inference_mode():
        for i in range(args.runs + 1):  # run 0 is the warm-up
            start = time.perf_counter()
            forward(w, ids)
            ms = (time.perf_counter() - start) * 1e3
            if i > 0:
                best = min(best, ms)
    flops = 2.0 * macs(args.tokens)
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"pytorch {torch.__version__} torch_threads={args.torch_threads} blas_threads={blas} "
          f"best_ms={best:.1f} gflops={flops / (best * 1e6):.1f}")


if __name__ == "__main__":
    main()
