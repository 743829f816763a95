#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""Writes tests/fixtures/compression/sparsegpt_layer.json: SparseGPT on a small random layer, by
the reference algorithm of Frantar & Alistarh (github.com/IST-DASLab/sparsegpt, sparsegpt.py,
SparseGPT.fasterprune) transcribed to torch float64, for tests/core/tst_sparsegpt.cpp.

One deliberate change: the reference's unstructured threshold `sort(tmp)[int(numel * sparsity)]`
with `tmp <= thresh` prunes int(numel·sparsity) + 1 weights per block; here exactly
round(numel·sparsity) (the lowest scores, ties by row-major position), as Optiscope promises.
N:M: the reference's `prunen` counts pruned weights, so prunen = m − n.

    /usr/bin/python3 scripts/make_sparsegpt_fixture.py
"""
import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "fixtures", "compression",
                   "sparsegpt_layer.json")


def fasterprune(W, H, sparsity, prunen, prunem, blocksize, percdamp):
    W = W.clone()
    H = H.clone()
    rows, columns = W.shape
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    damp = percdamp * torch.mean(torch.diag(H))
    diag = torch.arange(columns)
    H[diag, diag] += damp
    H = torch.linalg.cholesky(H)
    H = torch.cholesky_inverse(H)
    H = torch.linalg.cholesky(H, upper=True)
    Hinv = H
    keep = torch.ones_like(W, dtype=torch.bool)
    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1
        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        if prunen == 0:
            tmp = W1 ** 2 / (torch.diag(Hinv1).reshape((1, -1))) ** 2
            k = round(tmp.numel() * sparsity)  # changed, see the docstring
            order = sorted(range(tmp.numel()), key=lambda j: (float(tmp.flatten()[j]), j))
            mask1 = torch.zeros(tmp.numel(), dtype=torch.bool)
            mask1[order[:k]] = True
            mask1 = mask1.reshape(tmp.shape)
        else:
            mask1 = torch.zeros_like(W1) == 1
        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]
            if prunen != 0 and i % prunem == 0:
                tmp = W1[:, i:(i + prunem)] ** 2 / (torch.diag(Hinv1)[i:(i + prunem)].reshape((1, -1))) ** 2
                mask1.scatter_(1, i + torch.topk(tmp, prunen, dim=1, largest=False)[1], True)
            q = w.clone()
            q[mask1[:, i]] = 0
            Q1[:, i] = q
            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err1
        W[:, i1:i2] = Q1
        keep[:, i1:i2] = ~mask1
        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    return W, keep


def f32_list(values):
    """Shortest decimals that read back as the float32 values (numpy's Dragon4)."""
    return "[" + ",".join(str(np.float32(v)) for v in values) + "]"


def main():
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(20230102)
    rows, cols, tokens = 16, 32, 48
    W = torch.randn(rows, cols, generator=g).to(torch.float32).to(torch.float64)
    shared = torch.randn(tokens, 1, generator=g)
    X = (torch.randn(tokens, cols, generator=g) + 0.8 * shared).to(torch.float32).to(torch.float64)
    cases = []
    for name, dead, sparsity, n, m, block in [
        ("unstructured_50_block8", -1, 0.5, 0, 0, 8),
        ("unstructured_60_block32", -1, 0.6, 0, 0, 32),
        ("2:4_block16_dead_input", 7, 0.0, 2, 4, 16),
        ("1:4_block8", -1, 0.0, 1, 4, 8),
    ]:
        x = X.clone()
        if dead >= 0:
            x[:, dead] = 0
        H = 2.0 / tokens * x.T @ x
        out, keep = fasterprune(W, H, sparsity, (m - n) if m else 0, m, block, 0.01)
        assert torch.all(out[~keep] == 0)
        fields = {"name": json.dumps(name), "dead_input": str(dead), "ratio": str(sparsity), "n": str(n),
                  "m": str(m), "block_size": str(block), "dampening": "0.01",
                  "mask": json.dumps(keep.to(torch.int32).flatten().tolist(), separators=(",", ":")),
                  "result": f32_list(out.flatten().tolist())}
        cases.append("    {" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}")
    lines = ["{", '  "generator": "scripts/make_sparsegpt_fixture.py",',
             f'  "rows": {rows}, "cols": {cols}, "tokens": {tokens},',
             '  "comment": "weight [rows x cols] and x [tokens x cols] row-major; H = 2/tokens * x^T x, with column'
             ' dead_input of x zeroed when >= 0",',
             f'  "weight": {f32_list(W.flatten().tolist())},', f'  "x": {f32_list(X.flatten().tolist())},',
             '  "cases": [', ",\n".join(cases), "  ]", "}"]
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    json.load(open(OUT))  # well-formed
    print(f"{OUT}: {len(cases)} cases, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
