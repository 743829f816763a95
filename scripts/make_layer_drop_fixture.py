#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""Writes tests/fixtures/compression/layer_drop.json: outputs of the gpt2 and bert oracle
fixtures with whole transformer blocks removed (LayerDrop-style), as Hugging Face would compute
them after `del model.transformer.h[i]` / `del model.encoder.layer[i]`: the remaining blocks are
renumbered and n_layer / num_hidden_layers shrinks, then the plain reference forward passes of
scripts/make_oracle_fixtures.py run in float64. Same number formatting as expected.json.

    /usr/bin/python3 scripts/make_layer_drop_fixture.py
"""
import json
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_oracle_fixtures as oracle  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def load(name):
    folder = os.path.join(FIXTURES, name)
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    weights = {k: torch.from_numpy(a.copy()).to(oracle.DT) for k, (_, a) in
               oracle.read_safetensors(os.path.join(folder, "model.safetensors")).items()}
    with open(os.path.join(folder, "expected.json")) as f:
        cases = {c["name"]: c for c in json.load(f)["cases"]}
    return cfg, weights, cases


def drop_blocks(weights, cfg, layer_key, pattern, dropped):
    """Deletes blocks like `del ModuleList[i]`: the rest keep their order under new indices."""
    kept = [i for i in range(cfg[layer_key]) if i not in dropped]
    renumber = {old: new for new, old in enumerate(kept)}
    out = {}
    for name, value in weights.items():
        m = re.match(pattern, name)
        if not m:
            out[name] = value
        elif int(m.group(2)) in renumber:
            out[m.group(1) + str(renumber[int(m.group(2))]) + name[m.end(2):]] = value
    cfg = dict(cfg, **{layer_key: len(kept)})
    return out, cfg


def main():
    torch.set_num_threads(1)
    out = []
    cfg, weights, cases = load("gpt2")
    case = cases["len16_max_positions"]
    ids = torch.tensor([case["input_ids"]])
    for dropped in ([0], [1]):
        w, c = drop_blocks(weights, cfg, "n_layer", r"(transformer\.h\.)(\d+)", dropped)
        logits = oracle.gpt2_forward(w, c, ids, torch.tensor([case["attention_mask"]]))[0][0]
        out.append({"fixture": "gpt2", "case": case["name"], "dropped": dropped, "input_ids": case["input_ids"],
                    "output_shape": list(logits.shape), "output": oracle.fmt_value(logits)})
    cfg, weights, cases = load("bert")
    case = cases["len5_pair"]
    for dropped in ([0], [1]):
        w, c = drop_blocks(weights, cfg, "num_hidden_layers", r"(encoder\.layer\.)(\d+)", dropped)
        h = oracle.bert_forward(w, c, "model", torch.tensor([case["input_ids"]]),
                                torch.tensor([case["token_type_ids"]]), torch.tensor([case["attention_mask"]]))[0][0]
        out.append({"fixture": "bert", "case": case["name"], "dropped": dropped, "input_ids": case["input_ids"],
                    "token_type_ids": case["token_type_ids"], "output_shape": list(h.shape),
                    "output": oracle.fmt_value(h)})
    lines = ['{', '  "generator": "scripts/make_layer_drop_fixture.py",', '  "cases": [']
    for i, item in enumerate(out):
        fields = [f"{json.dumps(k)}: {v if k == 'output' else json.dumps(v)}" for k, v in item.items()]
        lines.append("    {" + ", ".join(fields) + "}" + ("," if i + 1 < len(out) else ""))
    lines += ["  ]", "}"]
    path = os.path.join(FIXTURES, "compression", "layer_drop.json")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    back = json.load(open(path))  # parses, and the numbers read back as the float32 outputs
    assert len(back["cases"]) == len(out)
    print(f"{path}: {len(out)} cases, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
