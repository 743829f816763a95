#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""Writes the exactness oracle under tests/fixtures/: tiny GPT-2, BERT and ViT checkpoints in
Hugging Face layout (config.json + safetensors) and expected.json with the outputs of a plain
PyTorch reference that follows the Hugging Face modeling code line by line.

Run with /usr/bin/python3 (Debian python3-torch). transformers and safetensors are not needed:
the safetensors files are written and re-read by hand here. The reference computes in float64
from the stored (float32 or float16) weights; outputs are rounded to float32 and written as the
shortest decimal that reads back as that float32 (checked after writing). Output is
byte-for-byte deterministic.

    /usr/bin/python3 scripts/make_oracle_fixtures.py [--out tests/fixtures] [--no-check]
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

F32_MIN = float(torch.finfo(torch.float32).min)  # HF's mask value for fp32 models
TRANSFORMERS_VERSION = "4.36.2"  # what the mimicked config.json files claim to come from
DT = torch.float64

# ---------------------------------------------------------------------------------------------
# safetensors by hand

_ST_DTYPES = {"F32": ("<f4", torch.float32), "F16": ("<f2", torch.float16)}


def write_safetensors(path, tensors, dtype="F32"):
    """tensors: list of (name, float tensor); stored in name order like the Rust writer does."""
    np_dtype, torch_dtype = _ST_DTYPES[dtype]
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, t in sorted(tensors, key=lambda item: item[0]):
        data = t.detach().to(torch_dtype).numpy().astype(np_dtype).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((-len(raw)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)
    return offset


def read_safetensors(path):
    """Independent reader used only to verify what write_safetensors produced."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0 and 8 + n <= len(blob), path
    header = json.loads(blob[8 : 8 + n].decode("utf-8"))
    data = blob[8 + n :]
    header.pop("__metadata__", None)
    out = {}
    spans = []
    for name, info in header.items():
        begin, end = info["data_offsets"]
        np_dtype = {"F32": "<f4", "F16": "<f2"}[info["dtype"]]
        count = int(np.prod(info["shape"])) if info["shape"] else 1
        assert end - begin == count * np.dtype(np_dtype).itemsize, (path, name)
        arr = np.frombuffer(data[begin:end], dtype=np_dtype).reshape(info["shape"])
        out[name] = (info["dtype"], arr)
        spans.append((begin, end))
    spans.sort()
    cursor = 0
    for begin, end in spans:  # contiguous, no holes, covers the whole data section
        assert begin == cursor, path
        cursor = end
    assert cursor == len(data), path
    return out


def check_safetensors(path, tensors, dtype):
    back = read_safetensors(path)
    assert sorted(back) == sorted(name for name, _ in tensors), path
    np_dtype, torch_dtype = _ST_DTYPES[dtype]
    for name, t in tensors:
        stored_dtype, arr = back[name]
        assert stored_dtype == dtype and list(arr.shape) == list(t.shape), (path, name)
        want = t.detach().to(torch_dtype).numpy().astype(np_dtype)
        assert arr.tobytes() == want.tobytes(), (path, name)


# ---------------------------------------------------------------------------------------------
# random weights (std ~0.2 so attention is far from uniform)


class Init:
    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)
        self.tensors = []  # (name, float32 tensor) in HF state_dict order

    def randn(self, name, *shape, std=0.2, mean=0.0):
        t = (torch.randn(*shape, generator=self.g, dtype=torch.float32) * std + mean).contiguous()
        self.tensors.append((name, t))
        return t

    def linear(self, name, n_out, n_in):  # nn.Linear: weight [out, in]
        self.randn(name + ".weight", n_out, n_in)
        self.randn(name + ".bias", n_out, std=0.1)

    def conv1d(self, name, n_in, n_out):  # HF Conv1D: weight [in, out]
        self.randn(name + ".weight", n_in, n_out)
        self.randn(name + ".bias", n_out, std=0.1)

    def layer_norm(self, name, d):
        self.randn(name + ".weight", d, std=0.1, mean=1.0)
        self.randn(name + ".bias", d, std=0.1)

    def weights(self, dtype="F32"):
        """What the reference computes with: the stored values, widened to float64."""
        cast = torch.float16 if dtype == "F16" else torch.float32
        return {name: t.to(cast).to(DT) for name, t in self.tensors}


# ---------------------------------------------------------------------------------------------
# reference forward passes (batch-first, float64, eval mode: no dropout)


def gelu_new(x):  # transformers.activations.NewGELUActivation
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def split_heads(x, heads):  # [B, T, D] -> [B, H, T, D/H]
    b, t, d = x.shape
    return x.view(b, t, heads, d // heads).transpose(1, 2)


def merge_heads(x):  # [B, H, T, dh] -> [B, T, H*dh]
    b, h, t, dh = x.shape
    return x.transpose(1, 2).reshape(b, t, h * dh)


def extended_mask(mask):  # [B, T] of 0/1 -> [B, 1, 1, T]: 0 or finfo(float32).min
    return (1.0 - mask.to(DT))[:, None, None, :] * F32_MIN


def gpt2_forward(W, cfg, ids, mask):
    """GPT2LMHeadModel: returns logits [B,T,V], attentions [L,B,H,T,T], hidden [L+1,B,T,D]."""
    d, heads, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    b, t = ids.shape
    h = W["transformer.wte.weight"][ids] + W["transformer.wpe.weight"][torch.arange(t)][None]
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))[None, None]
    ext = extended_mask(mask)
    hidden, attentions = [], []
    for layer in range(cfg["n_layer"]):
        p = f"transformer.h.{layer}."
        hidden.append(h)  # HF appends each block's input; the last entry is after ln_f
        x = F.layer_norm(h, (d,), W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        qkv = x @ W[p + "attn.c_attn.weight"] + W[p + "attn.c_attn.bias"]
        q, k, v = (split_heads(part, heads) for part in qkv.split(d, dim=-1))
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d // heads)
        scores = torch.where(causal, scores, torch.tensor(F32_MIN, dtype=DT))
        probs = torch.softmax(scores + ext, dim=-1)
        attentions.append(probs)
        h = h + merge_heads(probs @ v) @ W[p + "attn.c_proj.weight"] + W[p + "attn.c_proj.bias"]
        x = F.layer_norm(h, (d,), W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        m = gelu_new(x @ W[p + "mlp.c_fc.weight"] + W[p + "mlp.c_fc.bias"])
        h = h + m @ W[p + "mlp.c_proj.weight"] + W[p + "mlp.c_proj.bias"]
    h = F.layer_norm(h, (d,), W["transformer.ln_f.weight"], W["transformer.ln_f.bias"], eps)
    hidden.append(h)
    logits = h @ W["transformer.wte.weight"].T  # tied LM head
    return logits, torch.stack(attentions), torch.stack(hidden)


def self_attention(W, p, x, heads, ext):  # BERT/ViT self-attention block; p ends in "attention."
    q = split_heads(F.linear(x, W[p + "query.weight"], W[p + "query.bias"]), heads)
    k = split_heads(F.linear(x, W[p + "key.weight"], W[p + "key.bias"]), heads)
    v = split_heads(F.linear(x, W[p + "value.weight"], W[p + "value.bias"]), heads)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if ext is not None:
        scores = scores + ext
    probs = torch.softmax(scores, dim=-1)
    return merge_heads(probs @ v), probs


def bert_encoder(W, cfg, prefix, ids, token_types, mask):
    """BertModel body: returns last_hidden_state [B,T,D], attentions, hidden [L+1,B,T,D]."""
    d, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    p = prefix + "embeddings."
    t = ids.shape[1]
    e = W[p + "word_embeddings.weight"][ids] + W[p + "token_type_embeddings.weight"][token_types]
    e = e + W[p + "position_embeddings.weight"][torch.arange(t)][None]
    h = F.layer_norm(e, (d,), W[p + "LayerNorm.weight"], W[p + "LayerNorm.bias"], eps)
    ext = extended_mask(mask)
    hidden, attentions = [h], []
    for layer in range(cfg["num_hidden_layers"]):
        p = f"{prefix}encoder.layer.{layer}."
        ctx, probs = self_attention(W, p + "attention.self.", h, heads, ext)
        attentions.append(probs)
        a = F.linear(ctx, W[p + "attention.output.dense.weight"], W[p + "attention.output.dense.bias"])
        a = F.layer_norm(a + h, (d,), W[p + "attention.output.LayerNorm.weight"],
                         W[p + "attention.output.LayerNorm.bias"], eps)
        m = F.gelu(F.linear(a, W[p + "intermediate.dense.weight"], W[p + "intermediate.dense.bias"]))
        m = F.linear(m, W[p + "output.dense.weight"], W[p + "output.dense.bias"])
        h = F.layer_norm(m + a, (d,), W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"], eps)
        hidden.append(h)
    return h, torch.stack(attentions), torch.stack(hidden)


def pooler(W, prefix, h):  # BertPooler / ViTPooler: tanh(dense(first token))
    return torch.tanh(F.linear(h[:, 0], W[prefix + "pooler.dense.weight"], W[prefix + "pooler.dense.bias"]))


def bert_forward(W, cfg, kind, ids, token_types, mask):
    """kind: model | mlm | mlm_untied | seq_cls. Returns (logits, attentions, hidden, pooled)."""
    prefix = "" if kind == "model" else "bert."
    h, attentions, hidden = bert_encoder(W, cfg, prefix, ids, token_types, mask)
    d, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
    if kind == "model":
        return h, attentions, hidden, pooler(W, prefix, h)
    if kind == "seq_cls":
        pooled = pooler(W, prefix, h)
        return F.linear(pooled, W["classifier.weight"], W["classifier.bias"]), attentions, hidden, None
    p = "cls.predictions."
    x = F.gelu(F.linear(h, W[p + "transform.dense.weight"], W[p + "transform.dense.bias"]))
    x = F.layer_norm(x, (d,), W[p + "transform.LayerNorm.weight"], W[p + "transform.LayerNorm.bias"], eps)
    decoder = W[p + "decoder.weight"] if kind == "mlm_untied" else W["bert.embeddings.word_embeddings.weight"]
    return x @ decoder.T + W[p + "bias"], attentions, hidden, None


def vit_forward(W, cfg, kind, pixels):
    """kind: model | img_cls. pixels [B,C,H,W]. hidden_states follow HF: the encoder's outputs,
    i.e. without the final vit.layernorm; logits of ViTModel = last_hidden_state (with it)."""
    prefix = "" if kind == "model" else "vit."
    d, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    p = prefix + "embeddings."
    x = F.conv2d(pixels, W[p + "patch_embeddings.projection.weight"], W[p + "patch_embeddings.projection.bias"],
                 stride=cfg["patch_size"])
    x = x.flatten(2).transpose(1, 2)  # [B, patches, D], patches in row-major grid order
    cls = W[p + "cls_token"].expand(x.shape[0], -1, -1)
    h = torch.cat([cls, x], dim=1) + W[p + "position_embeddings"]
    hidden, attentions = [h], []
    for layer in range(cfg["num_hidden_layers"]):
        p = f"{prefix}encoder.layer.{layer}."
        x = F.layer_norm(h, (d,), W[p + "layernorm_before.weight"], W[p + "layernorm_before.bias"], eps)
        ctx, probs = self_attention(W, p + "attention.attention.", x, heads, None)
        attentions.append(probs)
        h = h + F.linear(ctx, W[p + "attention.output.dense.weight"], W[p + "attention.output.dense.bias"])
        x = F.layer_norm(h, (d,), W[p + "layernorm_after.weight"], W[p + "layernorm_after.bias"], eps)
        m = F.gelu(F.linear(x, W[p + "intermediate.dense.weight"], W[p + "intermediate.dense.bias"]))
        h = h + F.linear(m, W[p + "output.dense.weight"], W[p + "output.dense.bias"])
        hidden.append(h)
    seq = F.layer_norm(h, (d,), W[prefix + "layernorm.weight"], W[prefix + "layernorm.bias"], eps)
    if kind == "model":
        return seq, torch.stack(attentions), torch.stack(hidden), pooler(W, prefix, seq)
    logits = F.linear(seq[:, 0], W["classifier.weight"], W["classifier.bias"])
    return logits, torch.stack(attentions), torch.stack(hidden), None


# ---------------------------------------------------------------------------------------------
# weights in HF state_dict order


def gpt2_weights(cfg, seed):
    init, d = Init(seed), cfg["n_embd"]
    inner = cfg["n_inner"] or 4 * d
    init.randn("transformer.wte.weight", cfg["vocab_size"], d)
    init.randn("transformer.wpe.weight", cfg["n_positions"], d)
    for layer in range(cfg["n_layer"]):
        p = f"transformer.h.{layer}."
        init.layer_norm(p + "ln_1", d)
        init.conv1d(p + "attn.c_attn", d, 3 * d)
        init.conv1d(p + "attn.c_proj", d, d)
        init.layer_norm(p + "ln_2", d)
        init.conv1d(p + "mlp.c_fc", d, inner)
        init.conv1d(p + "mlp.c_proj", inner, d)
    init.layer_norm("transformer.ln_f", d)
    return init


def bert_weights(cfg, seed, kind):
    init, d, inner = Init(seed), cfg["hidden_size"], cfg["intermediate_size"]
    prefix = "" if kind == "model" else "bert."
    p = prefix + "embeddings."
    init.randn(p + "word_embeddings.weight", cfg["vocab_size"], d)
    init.randn(p + "position_embeddings.weight", cfg["max_position_embeddings"], d)
    init.randn(p + "token_type_embeddings.weight", cfg["type_vocab_size"], d)
    init.layer_norm(p + "LayerNorm", d)
    for layer in range(cfg["num_hidden_layers"]):
        p = f"{prefix}encoder.layer.{layer}."
        for name in ("query", "key", "value"):
            init.linear(p + "attention.self." + name, d, d)
        init.linear(p + "attention.output.dense", d, d)
        init.layer_norm(p + "attention.output.LayerNorm", d)
        init.linear(p + "intermediate.dense", inner, d)
        init.linear(p + "output.dense", d, inner)
        init.layer_norm(p + "output.LayerNorm", d)
    if kind in ("model", "seq_cls"):
        init.linear(prefix + "pooler.dense", d, d)
    if kind == "seq_cls":
        init.linear("classifier", len(cfg["id2label"]), d)
    if kind in ("mlm", "mlm_untied"):
        init.randn("cls.predictions.bias", cfg["vocab_size"], std=0.1)
        init.linear("cls.predictions.transform.dense", d, d)
        init.layer_norm("cls.predictions.transform.LayerNorm", d)
    if kind == "mlm_untied":
        init.randn("cls.predictions.decoder.weight", cfg["vocab_size"], d)
    return init


def vit_weights(cfg, seed, kind):
    init, d, inner = Init(seed), cfg["hidden_size"], cfg["intermediate_size"]
    prefix = "" if kind == "model" else "vit."
    p, patch, channels = prefix + "embeddings.", cfg["patch_size"], cfg["num_channels"]
    patches = (cfg["image_size"] // patch) ** 2
    init.randn(p + "cls_token", 1, 1, d)
    init.randn(p + "position_embeddings", 1, patches + 1, d)
    init.randn(p + "patch_embeddings.projection.weight", d, channels, patch, patch)
    init.randn(p + "patch_embeddings.projection.bias", d, std=0.1)
    for layer in range(cfg["num_hidden_layers"]):
        p = f"{prefix}encoder.layer.{layer}."
        for name in ("query", "key", "value"):
            init.linear(p + "attention.attention." + name, d, d)
        init.linear(p + "attention.output.dense", d, d)
        init.linear(p + "intermediate.dense", inner, d)
        init.linear(p + "output.dense", d, inner)
        init.layer_norm(p + "layernorm_before", d)
        init.layer_norm(p + "layernorm_after", d)
    init.layer_norm(prefix + "layernorm", d)
    if kind == "model":
        init.linear("pooler.dense", d, d)
    else:
        init.linear("classifier", len(cfg["id2label"]), d)
    return init


# ---------------------------------------------------------------------------------------------
# config.json as save_pretrained writes it (json.dumps(indent=2, sort_keys=True) + "\n")


def gpt2_config(torch_dtype="float32"):
    return {
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
        "bos_token_id": 99, "embd_pdrop": 0.1, "eos_token_id": 99, "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_embd": 32, "n_head": 4, "n_inner": None,
        "n_layer": 2, "n_positions": 16, "reorder_and_upcast_attn": False, "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True, "summary_activation": None,
        "summary_first_dropout": 0.1, "summary_proj_to_labels": True, "summary_type": "cls_index",
        "summary_use_proj": True, "torch_dtype": torch_dtype, "transformers_version": TRANSFORMERS_VERSION,
        "use_cache": True, "vocab_size": 100,
    }


def labels(names):
    return {"id2label": {str(i): n for i, n in enumerate(names)}, "label2id": {n: i for i, n in enumerate(names)}}


BERT_CLASSES = {"model": "BertModel", "mlm": "BertForMaskedLM", "mlm_untied": "BertForMaskedLM",
                "seq_cls": "BertForSequenceClassification"}


def bert_config(kind):
    cfg = {
        "architectures": [BERT_CLASSES[kind]], "attention_probs_dropout_prob": 0.1, "classifier_dropout": None,
        "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 32, "initializer_range": 0.02,
        "intermediate_size": 64, "layer_norm_eps": 1e-12, "max_position_embeddings": 16, "model_type": "bert",
        "num_attention_heads": 4, "num_hidden_layers": 2, "pad_token_id": 0, "position_embedding_type": "absolute",
        "torch_dtype": "float32", "transformers_version": TRANSFORMERS_VERSION, "type_vocab_size": 2,
        "use_cache": True, "vocab_size": 100,
    }
    if kind == "seq_cls":
        cfg.update(labels(["negative", "neutral", "positive"]))
    if kind == "mlm_untied":
        cfg["tie_word_embeddings"] = False  # otherwise HF re-ties and ignores the stored decoder
    return cfg


FASHION_MNIST = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"]


def vit_config(kind, image_size=8, patch_size=4, channels=3, label_names=("cat", "dog", "bird")):
    cfg = {
        "architectures": ["ViTModel" if kind == "model" else "ViTForImageClassification"],
        "attention_probs_dropout_prob": 0.0, "encoder_stride": 16, "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
        "hidden_size": 32, "image_size": image_size, "initializer_range": 0.02, "intermediate_size": 64,
        "layer_norm_eps": 1e-12, "model_type": "vit", "num_attention_heads": 4, "num_channels": channels,
        "num_hidden_layers": 2, "patch_size": patch_size, "qkv_bias": True, "torch_dtype": "float32",
        "transformers_version": TRANSFORMERS_VERSION,
    }
    if kind != "model":
        cfg.update(labels(list(label_names)))
    return cfg


# ---------------------------------------------------------------------------------------------
# inputs: each group of rows runs as one batch; every row becomes one case


def gpt2_inputs(g):
    def ids(n):
        return torch.randint(0, 99, (n,), generator=g).tolist()

    padded = ids(5) + [99] * 3  # GPT-2 has no pad token; pad with eos as usual
    return [
        [("len1", {"input_ids": ids(1), "attention_mask": [1]})],
        [("len5", {"input_ids": ids(5), "attention_mask": [1] * 5})],
        [("len16_max_positions", {"input_ids": ids(16), "attention_mask": [1] * 16})],
        [("batch_row0_full", {"input_ids": ids(8), "attention_mask": [1] * 8}),
         ("batch_row1_right_padded", {"input_ids": padded, "attention_mask": [1] * 5 + [0] * 3})],
    ]


def bert_inputs(g):  # ids: 0 [PAD], 2 [CLS], 3 [SEP], 4 [MASK], words 5..99
    def words(n):
        return torch.randint(5, 100, (n,), generator=g).tolist()

    def row(ids, types=None, valid=None):
        valid = len(ids) if valid is None else valid
        return {"input_ids": ids, "attention_mask": [1] * valid + [0] * (len(ids) - valid),
                "token_type_ids": types or [0] * len(ids)}

    a, b = words(7), words(6)
    return [
        [("len1", row([2]))],
        [("len5_pair", row([2, *words(1), 3, *words(1), 3], [0, 0, 0, 1, 1]))],
        [("len16_max_positions_with_mask_tokens",
          row([2, *a[:3], 4, *a[3:], 3] + [*b[:2], 4, *b[2:4], 3], [0] * 10 + [1] * 6))],
        [("batch_row0_full", row([2, *words(6), 3])),
         ("batch_row1_right_padded", row([2, *words(3), 3] + [0] * 3, valid=5))],
    ]


def vit_inputs(g, cfg):
    shape = (cfg["num_channels"], cfg["image_size"], cfg["image_size"])
    images = [("image0", torch.randn(*shape, generator=g)), ("image1", torch.rand(*shape, generator=g) * 2 - 1),
              ("zeros", torch.zeros(*shape))]
    return [[(name, {"pixel_values": img.flatten().tolist(), "pixel_shape": list(shape)}) for name, img in images]]


# ---------------------------------------------------------------------------------------------
# expected.json


def f32_repr(v):
    """Shortest decimal that reads back as the same float32 (numpy's Dragon4), e.g. 0.12345679."""
    v = np.float32(v)
    assert np.isfinite(v)
    return str(v)


def fmt_value(v):
    if isinstance(v, torch.Tensor):
        v = v.detach().to(torch.float32).flatten().tolist()
        return "[" + ",".join(f32_repr(x) for x in v) + "]"
    if isinstance(v, list) and v and isinstance(v[0], float):
        return "[" + ",".join(f32_repr(x) for x in v) + "]"
    return json.dumps(v, separators=(",", ":"))


def write_expected(path, header, cases):
    lines = ["{"]
    for key, value in header.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value)},")
    lines.append('  "cases": [')
    for i, case in enumerate(cases):
        body = ",\n".join(f"      {json.dumps(k)}: {fmt_value(v)}" for k, v in case.items())
        lines.append("    {\n" + body + "\n    }" + ("," if i + 1 < len(cases) else ""))
    lines.append("  ]")
    lines.append("}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    # The file must parse, and every number read as a double and narrowed to float32 (what a C++ reader
    # does) must give back exactly the float32 value the reference produced.
    with open(path, encoding="utf-8") as f:
        back = json.load(f)["cases"]
    for case, loaded in zip(cases, back):
        for key, value in case.items():
            if isinstance(value, torch.Tensor) or (isinstance(value, list) and value and isinstance(value[0], float)):
                want = np.asarray(value.to(torch.float32).flatten() if isinstance(value, torch.Tensor) else value,
                                  dtype=np.float32)
                got = np.asarray(loaded[key], dtype=np.float64).astype(np.float32)
                assert got.tobytes() == want.tobytes(), (path, case["name"], key)


def run_cases(groups, forward):
    """forward(batch inputs dict of tensors) -> (logits, attentions, hidden, pooled) batch-first."""
    cases, outputs = [], []
    for group in groups:
        batch = {}
        for key in group[0][1]:
            if key == "pixel_values":
                shape = group[0][1]["pixel_shape"]
                batch[key] = torch.tensor([r[key] for _, r in group], dtype=torch.float32).view(-1, *shape).to(DT)
            elif key != "pixel_shape":
                batch[key] = torch.tensor([r[key] for _, r in group], dtype=torch.long)
        logits, attentions, hidden, pooled = forward(batch)
        outputs.append((batch, logits, attentions, hidden))
        for b, (name, inputs) in enumerate(group):
            row_logits = logits[b] if logits.dim() == 3 else logits[b].view(1, -1)
            case = {"name": name, **inputs, "logits_shape": list(row_logits.shape), "logits": row_logits,
                    "attentions_shape": list(attentions[:, b].shape), "attentions": attentions[:, b],
                    "hidden_shape": list(hidden[:, b].shape), "hidden_states": hidden[:, b]}
            if pooled is not None:
                case["pooler_output_shape"] = [pooled.shape[-1]]
                case["pooler_output"] = pooled[b]
            cases.append(case)
    return cases, outputs


# ---------------------------------------------------------------------------------------------
# fixtures


def prepare_dir(path):
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):  # drop stale generated files (e.g. model.safetensors of an old layout)
        if name.endswith((".json", ".safetensors")):
            os.remove(os.path.join(path, name))


def save_model(folder, cfg, init, dtype="F32", shards=1):
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    tensors = init.tensors
    if shards == 1:
        path = os.path.join(folder, "model.safetensors")
        write_safetensors(path, tensors, dtype)
        check_safetensors(path, tensors, dtype)
        return
    # like save_pretrained's sharding: state_dict order, a new shard once the size limit is reached
    limit = sum(t.numel() for _, t in tensors) * 4 // shards
    groups, size = [[]], 0
    for name, t in tensors:
        if size >= limit:
            groups.append([])
            size = 0
        groups[-1].append((name, t))
        size += t.numel() * 4
    assert len(groups) == shards
    weight_map, total = {}, 0
    for i, group in enumerate(groups):
        file_name = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        total += write_safetensors(os.path.join(folder, file_name), group, dtype)
        check_safetensors(os.path.join(folder, file_name), group, dtype)
        weight_map.update({name: file_name for name, _ in group})
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(folder, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")


def pick(groups, names):
    """Keeps the batches holding any of the named cases (variants carry fewer cases to stay small)."""
    if names is None:
        return groups
    kept = [g for g in groups if any(name in names for name, _ in g)]
    assert kept, names
    return kept


def make_gpt2(seed, dtype="F32", shards=1, cases=None):
    cfg = gpt2_config("float16" if dtype == "F16" else "float32")
    init = gpt2_weights(cfg, seed)
    W = init.weights(dtype)
    groups = pick(gpt2_inputs(torch.Generator().manual_seed(seed + 1)), cases)
    cases, outputs = run_cases(groups, lambda b: (*gpt2_forward(W, cfg, b["input_ids"], b["attention_mask"]), None))
    return cfg, init, dtype, shards, cases, ("gpt2", "", W, outputs)


def make_bert(seed, kind, cases=None):
    cfg = bert_config(kind)
    init = bert_weights(cfg, seed, kind)
    W = init.weights()
    groups = pick(bert_inputs(torch.Generator().manual_seed(seed + 1)), cases)
    cases, outputs = run_cases(groups, lambda b: bert_forward(W, cfg, kind, b["input_ids"], b["token_type_ids"],
                                                              b["attention_mask"]))
    return cfg, init, "F32", 1, cases, ("bert", "" if kind == "model" else "bert.", W, outputs)


def make_vit(seed, kind, cases=None, **geometry):
    cfg = vit_config(kind, **geometry)
    init = vit_weights(cfg, seed, kind)
    W = init.weights()
    groups = vit_inputs(torch.Generator().manual_seed(seed + 1), cfg)
    groups = [[case for case in g if cases is None or case[0] in cases] for g in groups]
    cases, outputs = run_cases(groups, lambda b: vit_forward(W, cfg, kind, b["pixel_values"]))
    return cfg, init, "F32", 1, cases, ("vit", "" if kind == "model" else "vit.", W, outputs)


SHORT_AND_FULL = {"len5", "len16_max_positions"}
FIXTURES = [
    ("gpt2", make_gpt2, dict(seed=1000)),
    ("gpt2_fp16", make_gpt2, dict(seed=1100, dtype="F16", cases=SHORT_AND_FULL)),
    ("gpt2_sharded", make_gpt2, dict(seed=1200, shards=2, cases={"len5"})),
    ("bert", make_bert, dict(seed=2000, kind="model")),
    ("bert_mlm", make_bert, dict(seed=2100, kind="mlm")),
    ("bert_mlm_untied", make_bert,
     dict(seed=2200, kind="mlm_untied", cases={"len5_pair", "len16_max_positions_with_mask_tokens"})),
    ("bert_seq_cls", make_bert, dict(seed=2300, kind="seq_cls", cases={"len5_pair", "batch_row1_right_padded"})),
    ("vit", make_vit, dict(seed=3000, kind="model")),
    ("vit_img_cls", make_vit, dict(seed=3100, kind="img_cls")),
    ("vit_img_cls_gray28", make_vit, dict(seed=3200, kind="img_cls", image_size=28, patch_size=7, channels=1,
                                          label_names=FASHION_MNIST, cases={"image0"})),
]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(root, "tests", "fixtures"))
    parser.add_argument("--no-check", action="store_true", help="skip the torch.nn cross-check")
    args = parser.parse_args()
    torch.set_num_threads(1)  # one summation order, so reruns give identical bytes
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import oracle_crosscheck

    for name, make, kwargs in FIXTURES:
        folder = os.path.join(args.out, name)
        prepare_dir(folder)
        cfg, init, dtype, shards, cases, check = make(**kwargs)
        save_model(folder, cfg, init, dtype, shards)
        header = {"fixture": name, "model_class": cfg["architectures"][0],
                  "generator": "scripts/make_oracle_fixtures.py"}
        write_expected(os.path.join(folder, "expected.json"), header, cases)
        if not args.no_check:
            worst = oracle_crosscheck.check(cfg, *check)
            max_prob = min(float(c["attentions"].max(dim=-1).values.mean()) for c in cases)
            print(f"{name}: cross-check max |diff| {worst:.1e}; mean row max attention prob >= {max_prob:.2f}")
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
        print(f"{name}: {len(cases)} cases, {size} bytes")


if __name__ == "__main__":
    main()
