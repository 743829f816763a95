# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""Independent reference for core::trainLogisticProbe (tst_text_probe): the same strictly convex
objective, mean log-loss + l2/2 * ||w||^2 (bias not penalised), minimised by PyTorch's L-BFGS in
float64 -- a different optimiser from our Newton/IRLS, so agreement checks the objective and the
solution, not a shared implementation.

Input: a JSON file {"dim": D, "l2": L, "features": "<path of raw little-endian float32 [N, D]>",
"labels": [N ints], "train": [row indices], "test": [row indices]}.
Output (stdout): JSON {"weights": [...], "bias": b, "loss": f, "grad_max_abs": g,
"train_accuracy": a, "test_accuracy": a}.
"""

import json
import sys

import numpy as np
import torch


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    dim, l2 = spec["dim"], spec["l2"]
    x_all = torch.from_numpy(np.fromfile(spec["features"], dtype="<f4").reshape(-1, dim).astype(np.float64))
    y_all = torch.tensor(spec["labels"], dtype=torch.float64)
    train = torch.tensor(spec["train"], dtype=torch.long)
    x, y = x_all[train], y_all[train]
    w = torch.zeros(dim, dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)

    def objective():
        z = x @ w + b
        return torch.nn.functional.softplus(z).sub(y * z).mean() + 0.5 * l2 * w.dot(w)

    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=5000, tolerance_grad=1e-13, tolerance_change=1e-16,
                            history_size=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = objective()
        loss.backward()
        return loss

    for _ in range(10):  # L-BFGS may stop on tolerance_change early; restarting costs nothing at the optimum
        opt.step(closure)
    loss = closure()
    grad = max(float(w.grad.abs().max()), float(b.grad.abs()))

    def accuracy(rows):
        rows = torch.tensor(rows, dtype=torch.long)
        pred = ((x_all[rows] @ w + b) >= 0).to(torch.float64)
        return float((pred == y_all[rows]).to(torch.float64).mean())

    print(json.dumps({"weights": w.detach().tolist(), "bias": float(b), "loss": float(loss), "grad_max_abs": grad,
                      "train_accuracy": accuracy(spec["train"]), "test_accuracy": accuracy(spec["test"])}))


if __name__ == "__main__":
    main()
