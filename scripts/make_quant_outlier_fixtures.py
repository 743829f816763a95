#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""Writes tests/fixtures/compression/quant_outliers.json: independent PyTorch / NumPy (float64)
references for per-head weight quantization, activation fake-quantization (dynamic per token and
per tensor), LLM.int8's mixed decomposition and GOBO, on seeded random data. tst_quant_outliers
compares the engine against them.

Arithmetic mirrors what the engine documents (quantization.h, activation_quantization.h): a scale
is range / qmax computed in float64 and stored as float32; q = round(x / scale) with round half to
even (torch.round), clamped to the narrow symmetric range ±(2^(b-1) - 1) or to 0..2^b - 1 with an
integer zero point; x' = (q - z) · scale in float64, stored as float32.

    /usr/bin/python3 scripts/make_quant_outlier_fixtures.py [--out tests/fixtures/compression/quant_outliers.json]
"""
import argparse
import json

import numpy as np
import torch

F64 = torch.float64


def f32(t):
    return t.to(torch.float32).to(F64)


def fake_quant(x, bits, symmetric, dim=None):
    """x float64 (values already float32); one grid over `dim` (None: the whole tensor)."""
    if symmetric:
        qmax = 2 ** (bits - 1) - 1
        qmin = -qmax
        amax = x.abs().amax() if dim is None else x.abs().amax(dim=dim, keepdim=True)
        scale = f32(amax / qmax)
        zero = torch.zeros_like(scale)
    else:
        qmax = 2 ** bits - 1
        qmin = 0
        lo = torch.clamp(x.amin() if dim is None else x.amin(dim=dim, keepdim=True), max=0.0)
        hi = torch.clamp(x.amax() if dim is None else x.amax(dim=dim, keepdim=True), min=0.0)
        scale = f32((hi - lo) / qmax)
        safe = torch.where(scale == 0, torch.ones_like(scale), scale)
        zero = torch.where(scale == 0, torch.zeros_like(scale), torch.clamp(torch.round(-lo / safe), 0, qmax))
    safe = torch.where(scale == 0, torch.ones_like(scale), scale)
    q = torch.clamp(torch.round(x / safe) + zero, qmin, qmax)
    out = f32((q - zero) * scale)
    return torch.where(scale == 0, torch.zeros_like(out), out)


def per_head(w_in_out, head_size, along_input, bits, symmetric):
    """w stored [in, out] (GPT-2 Conv1D); groups of head_size output (or input) features."""
    out = torch.empty_like(w_in_out)
    extent = w_in_out.shape[0] if along_input else w_in_out.shape[1]
    for g in range(extent // head_size):
        sl = slice(g * head_size, (g + 1) * head_size)
        if along_input:
            out[sl, :] = fake_quant(w_in_out[sl, :], bits, symmetric)
        else:
            out[:, sl] = fake_quant(w_in_out[:, sl], bits, symmetric)
    return out


def llm_int8(x, w, threshold):
    """x [T, in], w [in, out]; returns y and the outlier columns."""
    cols = torch.nonzero((x.abs() > threshold).any(dim=0)).flatten()
    rest = x.clone()
    rest[:, cols] = 0
    xq = fake_quant(rest, 8, True, dim=1)  # per token
    wq = fake_quant(w, 8, True, dim=0)  # per output column
    w16 = w.to(torch.float16).to(F64)
    y = xq @ wq + x[:, cols] @ w16[cols, :]
    return y, cols.tolist()


def gobo(values, bits, sigma, max_iterations=100):
    v = values.astype(np.float64)
    mean = v.sum() / v.size
    std = np.sqrt(((v - mean) ** 2).sum() / v.size)
    outlier = np.abs(v - mean) > sigma * std
    inliers = np.sort(v[~outlier])
    k = 2 ** bits
    centroids = np.quantile(inliers, (np.arange(k) + 0.5) / k)  # linear interpolation, as the engine
    previous = None
    mse = []
    converged = False
    for _ in range(max_iterations):
        bounds = (centroids[:-1] + centroids[1:]) / 2
        ends = np.append(np.searchsorted(inliers, bounds, side="right"), inliers.size)
        ends = np.maximum.accumulate(ends)
        if previous is not None and np.array_equal(ends, previous):
            converged = True
            break
        begin = 0
        err = 0.0
        for c in range(k):
            if ends[c] > begin:
                cluster = inliers[begin:ends[c]]
                centroids[c] = cluster.sum() / cluster.size
                err += ((cluster - centroids[c]) ** 2).sum()
            begin = ends[c]
        centroids = np.sort(centroids)
        mse.append(err / inliers.size)
        previous = ends
    stored = np.sort(centroids.astype(np.float32))
    out = values.astype(np.float32).copy()
    for i in np.nonzero(~outlier)[0]:
        d = np.abs(stored.astype(np.float64) - v[i])
        out[i] = stored[int(np.argmin(d))]  # argmin: the first (lower) on a tie
    return {
        "mean": mean, "sigma": std, "outliers": np.nonzero(outlier)[0].tolist(),
        "centroids": [short(c) for c in stored], "values": [short(x) for x in out],
        "mse": mse, "iterations": len(mse), "converged": converged,
    }


def short(v):
    """A float32 value as the shortest decimal that reads back as that float32."""
    return float(np.format_float_positional(np.float32(v), unique=True))


def flat(t):
    """float32-valued tensors (inputs, fake-quantized values) in their shortest form."""
    return [short(x) for x in t.flatten().tolist()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="tests/fixtures/compression/quant_outliers.json")
    args = parser.parse_args()
    rng = np.random.RandomState(20261129)
    fixture = {"generator": "scripts/make_quant_outlier_fixtures.py"}

    # Per head: a fused QKV [in 32, out 96] with 4 heads of 8 (12 groups), and an output
    # projection [in 32, out 32] split along its input.
    # Scaled in float32, so the engine reads exactly the values the reference uses.
    qkv32 = rng.standard_normal((32, 96)).astype(np.float32)
    qkv32[:, 8:16] *= np.float32(6.0)  # one head with a much wider range
    proj32 = rng.standard_normal((32, 32)).astype(np.float32)
    proj32[16:24, :] *= np.float32(0.05)
    qkv = torch.tensor(qkv32, dtype=F64)
    proj = torch.tensor(proj32, dtype=F64)
    fixture["per_head"] = {
        "head_size": 8,
        "qkv": {"in": 32, "out": 96, "values": flat(qkv),
                "int4_sym": flat(per_head(qkv, 8, False, 4, True)),
                "int8_asym": flat(per_head(qkv, 8, False, 8, False))},
        "proj": {"in": 32, "out": 32, "values": flat(proj),
                 "int4_sym": flat(per_head(proj, 8, True, 4, True))},
    }

    # Activations [6 tokens, 40 features] with one token 20x louder and one all-zero token.
    x32 = rng.standard_normal((6, 40)).astype(np.float32)
    x32[2] *= np.float32(20.0)
    x32[4] = 0.0
    x = torch.tensor(x32, dtype=F64)
    fixture["activations"] = {
        "rows": 6, "cols": 40, "values": flat(x),
        "int8_per_token": flat(fake_quant(x, 8, True, dim=1)),
        "int4_per_token_asym": flat(fake_quant(x, 4, False, dim=1)),
        "int8_per_tensor": flat(fake_quant(x, 8, True)),
        "int4_per_tensor": flat(fake_quant(x, 4, True)),
    }

    # LLM.int8: x [8, 64] with three planted outlier columns, w [64, 24].
    xo = torch.tensor((rng.standard_normal((8, 64)) * 1.5).astype(np.float32), dtype=F64)
    xo = torch.clamp(xo, -5.5, 5.5)  # ordinary columns stay below the threshold
    for col, row, value in ((5, 3, 11.0), (17, 0, -7.5), (40, 6, 25.0)):
        xo[row, col] = value
    wo = torch.tensor((rng.standard_normal((64, 24)) * 0.1).astype(np.float32), dtype=F64)
    y, cols = llm_int8(xo, wo, 6.0)
    fixture["llm_int8"] = {"rows": 8, "in": 64, "out": 24, "threshold": 6.0, "x": flat(xo), "w": flat(wo),
                           "y": y.flatten().tolist(), "outlier_columns": cols}

    # GOBO: a Gaussian tensor with a few planted far outliers.
    g = (rng.standard_normal(3000) * 0.05).astype(np.float32)
    g[[7, 1234, 2999]] = np.array([0.9, -0.7, 0.5], dtype=np.float32)
    fixture["gobo"] = {"values": [short(v) for v in g], "sigma": 3.0,
                       "bits3": gobo(g, 3, 3.0), "bits4": gobo(g, 4, 3.0)}

    with open(args.out, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
