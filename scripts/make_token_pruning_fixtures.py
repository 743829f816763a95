#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""Writes tests/fixtures/compression/token_pruning.json: kept-token sets per layer and outputs of
GPT-2, BERT and ViT with token pruning (prune_tokens recipe steps, RECIPE_SCHEMA.md), computed by
a plain float64 PyTorch forward pass written here from the Hugging Face modeling code, apart from
the engine's implementation:

* every layer runs on the list of alive token positions only (pruned tokens are neither queries
  nor keys; GPT-2's causal mask compares original positions);
* cascade (SpAtten): score[j] += attention received by position j (sum over heads and queries)
  after every layer; before layer l >= start_layer keep the protected token (GPT-2: the last,
  encoders: CLS) and the best of the rest, k = floor(keep_ratio * alive + 0.5) in all (or
  keep_count); ties: lower position first;
* threshold (LTP): importance[j] = mean over heads and over the queries that may attend to j
  (GPT-2: those at or after j) of the previous layer's attention; prune below `threshold`;
* evit: the k = floor(keep_ratio * candidates + 0.5) candidates (non-CLS rows, earlier fused
  tokens included) with the highest CLS attention (mean over heads, previous layer) stay, the rest
  become one token appended last: their average weighted by that attention;
* pruned tokens keep the hidden state they had and reach the final norm and head with it.

    /usr/bin/python3 scripts/make_token_pruning_fixtures.py
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_oracle_fixtures as oracle  # noqa: E402  (safetensors reader, gelu_new, number format)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DT = torch.float64
FUSED = -1


def load(folder):
    with open(os.path.join(ROOT, folder, "config.json")) as f:
        cfg = json.load(f)
    weights = {k: torch.from_numpy(a.copy()).to(DT) for k, (_, a) in
               oracle.read_safetensors(os.path.join(ROOT, folder, "model.safetensors")).items()}
    return cfg, weights


def fixture_case(folder, name):
    with open(os.path.join(ROOT, folder, "expected.json")) as f:
        return next(c for c in json.load(f)["cases"] if c["name"] == name)


class Pruner:
    """Chooses the alive rows before each layer; rows = list of positions (FUSED for fused rows)."""

    def __init__(self, step, tokens, protected, causal):
        self.step, self.tokens, self.protected, self.causal = step, tokens, protected, causal
        self.score = [0.0] * tokens
        self.last = None  # [rows] importance from the previous layer (threshold, evit)
        self.observed = False

    def observe(self, rows, probs):  # probs [H, R, R] of the current rows
        self.observed = True
        method = self.step["method"]
        if method == "cascade":
            received = probs.sum(dim=(0, 1))
            for r, pos in enumerate(rows):
                self.score[pos] += float(received[r])
        elif method == "threshold":
            self.last = []
            for r, pos in enumerate(rows):
                queries = [i for i, q in enumerate(rows) if not self.causal or q >= pos]
                self.last.append(float(probs[:, queries, r].sum()) / (probs.shape[0] * len(queries)))
        else:
            self.last = [float(v) for v in probs[:, 0, :].mean(dim=0)]

    def decide(self, layer, rows):
        """Returns (kept row indices in current order, fused row indices) or None for no change."""
        if not self.observed or layer < self.step["start_layer"]:
            return None
        method = self.step["method"]
        candidates = [r for r, pos in enumerate(rows) if pos != self.protected]
        if method == "cascade":
            total = self.step.get("keep_count") or math.floor(self.step["keep_ratio"] * len(rows) + 0.5)
            total = min(total, len(rows))
            order = sorted(candidates, key=lambda r: (-self.score[rows[r]], r))
            chosen = order[: max(0, total - (len(rows) - len(candidates)))]
            fused = []
        elif method == "threshold":
            chosen = [r for r in candidates if not self.last[r] < self.step["threshold"]]
            # float32 inference must decide the same: no importance may sit at the threshold.
            assert min(abs(self.last[r] - self.step["threshold"]) for r in candidates) > 1e-4
            fused = []
        else:
            k = self.step.get("keep_count") or math.floor(self.step["keep_ratio"] * len(candidates) + 0.5)
            k = min(k, len(candidates))
            order = sorted(candidates, key=lambda r: (-self.last[r], r))
            chosen, fused = order[:k], sorted(order[k:])
        if len(chosen) == len(candidates):
            return None
        keep = sorted([r for r in range(len(rows)) if r not in candidates] + chosen)
        return keep, fused


def prune_rows(pruner, layer, rows, x, carried):
    decision = pruner.decide(layer, rows)
    if decision is None:
        return rows, x
    keep, fused = decision
    for r, pos in enumerate(rows):
        if r not in keep and pos != FUSED:
            carried[pos] = x[r]
    new_rows = [rows[r] for r in keep]
    new_x = x[keep]
    if fused:
        w = torch.tensor([pruner.last[r] for r in fused], dtype=DT)
        token = (w[:, None] * x[fused]).sum(dim=0) / w.sum()
        new_rows.append(FUSED)
        new_x = torch.cat([new_x, token[None]], dim=0)
    return new_rows, new_x


def expand(rows, x, carried):
    out = carried.clone()
    for r, pos in enumerate(rows):
        if pos != FUSED:
            out[pos] = x[r]
    return out


def attention(q, k, v, heads, bias):  # q, k, v [R, D]; bias [R, R] added to the scores
    R, d = q.shape
    qh, kh, vh = (t.view(R, heads, d // heads).transpose(0, 1) for t in (q, k, v))
    probs = torch.softmax(qh @ kh.transpose(-1, -2) / math.sqrt(d // heads) + bias, dim=-1)
    return (probs @ vh).transpose(0, 1).reshape(R, d), probs


def gpt2(W, cfg, ids, mask, step):
    d, heads, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    T = len(ids)
    x = W["transformer.wte.weight"][ids] + W["transformer.wpe.weight"][:T]
    carried, rows = x.clone(), list(range(T))
    pruner = Pruner(step, T, T - 1, True)
    kept = []
    for layer in range(cfg["n_layer"]):
        rows, x = prune_rows(pruner, layer, rows, x, carried)
        kept.append(sorted(rows))
        p = f"transformer.h.{layer}."
        pos = torch.tensor(rows)
        visible = pos[None, :] <= pos[:, None]  # causal by original position
        h = F.layer_norm(x, (d,), W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        q, k, v = (h @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"]).split(d, dim=-1)
        R = len(rows)
        qh, kh, vh = (t.view(R, heads, d // heads).transpose(0, 1) for t in (q, k, v))
        scores = qh @ kh.transpose(-1, -2) / math.sqrt(d // heads)
        # As HF: hidden scores become MIN, then the padding mask adds MIN again.
        scores = torch.where(visible[None], scores, torch.tensor(oracle.F32_MIN, dtype=DT))
        pad = (1.0 - torch.tensor([mask[r] for r in rows], dtype=DT))[None, None, :] * oracle.F32_MIN
        probs = torch.softmax(scores + pad, dim=-1)
        ctx = (probs @ vh).transpose(0, 1).reshape(R, d)
        pruner.observe(rows, probs)
        x = x + ctx @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
        h = F.layer_norm(x, (d,), W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        x = x + oracle.gelu_new(h @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"]) @ W[p + "mlp.c_proj.weight"] \
            + W[p + "mlp.c_proj.bias"]
    full = expand(rows, x, carried)
    full = F.layer_norm(full, (d,), W["transformer.ln_f.weight"], W["transformer.ln_f.bias"], eps)
    return full @ W["transformer.wte.weight"].T, kept


def bert(W, cfg, ids, types, mask, step):
    d, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    T = len(ids)
    e = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.token_type_embeddings.weight"][types] \
        + W["embeddings.position_embeddings.weight"][:T]
    x = F.layer_norm(e, (d,), W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"], eps)
    carried, rows = x.clone(), list(range(T))
    pruner = Pruner(step, T, 0, False)
    kept = []
    for layer in range(cfg["num_hidden_layers"]):
        rows, x = prune_rows(pruner, layer, rows, x, carried)
        kept.append(sorted(rows))
        p = f"encoder.layer.{layer}."
        a = p + "attention.self."
        bias = (1.0 - torch.tensor([mask[r] for r in rows], dtype=DT))[None, :] * oracle.F32_MIN
        ctx, probs = attention(F.linear(x, W[a + "query.weight"], W[a + "query.bias"]),
                               F.linear(x, W[a + "key.weight"], W[a + "key.bias"]),
                               F.linear(x, W[a + "value.weight"], W[a + "value.bias"]), heads, bias)
        pruner.observe(rows, probs)
        o = F.linear(ctx, W[p + "attention.output.dense.weight"], W[p + "attention.output.dense.bias"])
        o = F.layer_norm(o + x, (d,), W[p + "attention.output.LayerNorm.weight"],
                         W[p + "attention.output.LayerNorm.bias"], eps)
        m = F.gelu(F.linear(o, W[p + "intermediate.dense.weight"], W[p + "intermediate.dense.bias"]))
        m = F.linear(m, W[p + "output.dense.weight"], W[p + "output.dense.bias"])
        x = F.layer_norm(m + o, (d,), W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)
    return expand(rows, x, carried), kept  # BertModel: the last hidden state


def vit(W, cfg, pixels, step, classifier):
    prefix = "vit." if classifier else ""
    d, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    p = prefix + "embeddings."
    x = F.conv2d(pixels[None], W[p + "patch_embeddings.projection.weight"], W[p + "patch_embeddings.projection.bias"],
                 stride=cfg["patch_size"])[0].flatten(1).T
    x = torch.cat([W[p + "cls_token"][0], x], dim=0) + W[p + "position_embeddings"][0]
    T = x.shape[0]
    carried, rows = x.clone(), list(range(T))
    pruner = Pruner(step, T, 0, False)
    kept, fused = [], []
    for layer in range(cfg["num_hidden_layers"]):
        rows, x = prune_rows(pruner, layer, rows, x, carried)
        kept.append(sorted(r for r in rows if r != FUSED))
        fused.append(rows.count(FUSED))
        p = f"{prefix}encoder.layer.{layer}."
        a = p + "attention.attention."
        h = F.layer_norm(x, (d,), W[p + "layernorm_before.weight"], W[p + "layernorm_before.bias"], eps)
        ctx, probs = attention(F.linear(h, W[a + "query.weight"], W[a + "query.bias"]),
                               F.linear(h, W[a + "key.weight"], W[a + "key.bias"]),
                               F.linear(h, W[a + "value.weight"], W[a + "value.bias"]), heads, 0.0)
        pruner.observe(rows, probs)
        x = x + F.linear(ctx, W[p + "attention.output.dense.weight"], W[p + "attention.output.dense.bias"])
        h = F.layer_norm(x, (d,), W[p + "layernorm_after.weight"], W[p + "layernorm_after.bias"], eps)
        m = F.gelu(F.linear(h, W[p + "intermediate.dense.weight"], W[p + "intermediate.dense.bias"]))
        x = x + F.linear(m, W[p + "output.dense.weight"], W[p + "output.dense.bias"])
    seq = F.layer_norm(expand(rows, x, carried), (d,), W[prefix + "layernorm.weight"], W[prefix + "layernorm.bias"],
                       eps)
    if classifier:
        return F.linear(seq[0:1], W["classifier.weight"], W["classifier.bias"]), kept, fused
    return seq, kept, fused


def step_of(method, start_layer=1, **fields):
    return dict(type="prune_tokens", method=method, start_layer=start_layer, **fields)


def main():
    torch.set_num_threads(1)
    cases = []

    def add(name, folder, inputs, step, logits, kept, fused=None, rows=None):
        item = {"name": name, "model": folder, **inputs, "step": step, "kept": kept}
        if fused is not None:
            item["fused"] = fused
        if rows is not None:  # only these logit rows are stored (the vocabulary is large)
            item["logit_rows"] = rows
            logits = logits[rows]
        item["logits_shape"] = list(logits.shape)
        item["logits"] = logits
        cases.append(item)

    cfg, W = load("tests/fixtures/gpt2")
    for case_name in ("len16_max_positions", "batch_row1_right_padded"):
        case = fixture_case("tests/fixtures/gpt2", case_name)
        inputs = {"fixture_case": case_name, "input_ids": case["input_ids"], "attention_mask": case["attention_mask"]}
        for step in (step_of("cascade", keep_ratio=0.5), step_of("threshold", threshold=0.06)):
            logits, kept = gpt2(W, cfg, case["input_ids"], case["attention_mask"], step)
            add(f"gpt2_{case_name}_{step['method']}", "tests/fixtures/gpt2", inputs, step, logits, kept)

    cfg, W = load("samples/tiny-gpt2")
    with open(os.path.join(ROOT, "samples/tiny-gpt2/reference.json")) as f:
        prompt = json.load(f)["prompts"][2]
    ids = prompt["token_ids"] + prompt["greedy_ids"]
    ids = ids[:32]
    for step in (step_of("cascade", keep_ratio=0.7), step_of("cascade", start_layer=2, keep_count=9)):
        logits, kept = gpt2(W, cfg, ids, [1] * len(ids), step)
        add(f"tiny_gpt2_cascade_{step.get('keep_ratio', step.get('keep_count'))}", "samples/tiny-gpt2",
            {"input_ids": ids}, step, logits, kept, rows=[len(ids) - 1])

    cfg, W = load("tests/fixtures/bert")
    for case_name in ("len16_max_positions_with_mask_tokens", "batch_row1_right_padded"):
        case = fixture_case("tests/fixtures/bert", case_name)
        inputs = {"fixture_case": case_name, "input_ids": case["input_ids"],
                  "token_type_ids": case["token_type_ids"], "attention_mask": case["attention_mask"]}
        for step in (step_of("cascade", keep_ratio=0.6), step_of("threshold", threshold=0.05)):
            h, kept = bert(W, cfg, case["input_ids"], case["token_type_ids"], case["attention_mask"], step)
            add(f"bert_{case_name}_{step['method']}", "tests/fixtures/bert", inputs, step, h, kept)

    for folder, classifier in (("tests/fixtures/vit", False), ("tests/fixtures/vit_img_cls_gray28", True)):
        cfg, W = load(folder)
        case = fixture_case(folder, "image0")
        pixels = torch.tensor(case["pixel_values"], dtype=torch.float32).to(DT).view(case["pixel_shape"][-3:])
        steps = [step_of("cascade", keep_count=3), step_of("evit", keep_ratio=0.5)]
        if classifier:
            steps.append(step_of("evit", keep_count=1))  # all patches but one fused
        for step in steps:
            out, kept, fused = vit(W, cfg, pixels, step, classifier)
            tag = step.get("keep_ratio", step.get("keep_count"))
            add(f"{os.path.basename(folder)}_{step['method']}_{tag}", folder, {"fixture_case": "image0"}, step,
                out, kept, fused)

    lines = ['{', '  "generator": "scripts/make_token_pruning_fixtures.py",', '  "cases": [']
    for i, item in enumerate(cases):
        fields = [f"{json.dumps(k)}: {oracle.fmt_value(v) if k == 'logits' else json.dumps(v)}"
                  for k, v in item.items()]
        lines.append("    {" + ", ".join(fields) + "}" + ("," if i + 1 < len(cases) else ""))
    lines += ["  ]", "}"]
    path = os.path.join(ROOT, "tests", "fixtures", "compression", "token_pruning.json")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    back = json.load(open(path))
    assert len(back["cases"]) == len(cases)
    for item in back["cases"]:
        print(f"{item['name']}: kept {[len(k) for k in item['kept']]} fused {item.get('fused')}")
    print(f"{path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
