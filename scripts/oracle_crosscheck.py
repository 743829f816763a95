# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""Second opinion on make_oracle_fixtures.py: rebuilds every fixture's network from stock
torch.nn modules (nn.TransformerEncoderLayer, nn.MultiheadAttention, nn.Embedding, nn.LayerNorm)
and compares embeddings, per-layer hidden states, attention probabilities and head outputs with
the hand-written reference. Both run in float64, so they must agree to ~1e-12."""

import torch
import torch.nn as nn
import torch.nn.functional as F

MAX_DIFF = 1e-9  # float64 re-association noise is ~1e-14; anything above this is a real mismatch


def gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


def _set(param, value):
    with torch.no_grad():
        param.copy_(value)


def _layer_norm(W, name, d, eps):
    ln = nn.LayerNorm(d, eps=eps).double()
    _set(ln.weight, W[name + ".weight"])
    _set(ln.bias, W[name + ".bias"])
    return ln


def _encoder_layer(d, heads, inner, eps, activation, norm_first):
    # Parameters keep requires_grad so the nested-tensor fast path (which zeroes padded rows) stays off.
    return nn.TransformerEncoderLayer(d, heads, inner, dropout=0.0, activation=activation, layer_norm_eps=eps,
                                      batch_first=True, norm_first=norm_first).double()


def gpt2_layer(W, cfg, layer):
    d = cfg["n_embd"]
    p = f"transformer.h.{layer}."
    m = _encoder_layer(d, cfg["n_head"], 4 * d, cfg["layer_norm_epsilon"], gelu_tanh, True)
    _set(m.self_attn.in_proj_weight, W[p + "attn.c_attn.weight"].T)  # Conv1D [in, out] -> Linear [out, in]
    _set(m.self_attn.in_proj_bias, W[p + "attn.c_attn.bias"])
    _set(m.self_attn.out_proj.weight, W[p + "attn.c_proj.weight"].T)
    _set(m.self_attn.out_proj.bias, W[p + "attn.c_proj.bias"])
    _set(m.linear1.weight, W[p + "mlp.c_fc.weight"].T)
    _set(m.linear1.bias, W[p + "mlp.c_fc.bias"])
    _set(m.linear2.weight, W[p + "mlp.c_proj.weight"].T)
    _set(m.linear2.bias, W[p + "mlp.c_proj.bias"])
    m.norm1, m.norm2 = _layer_norm(W, p + "ln_1", d, cfg["layer_norm_epsilon"]), _layer_norm(W, p + "ln_2", d,
                                                                                           cfg["layer_norm_epsilon"])
    return m


def encoder_layer(W, cfg, p, vit):
    d, eps = cfg["hidden_size"], cfg["layer_norm_eps"]
    m = _encoder_layer(d, cfg["num_attention_heads"], cfg["intermediate_size"], eps, "gelu", vit)
    a = p + ("attention.attention." if vit else "attention.self.")
    _set(m.self_attn.in_proj_weight, torch.cat([W[a + n + ".weight"] for n in ("query", "key", "value")]))
    _set(m.self_attn.in_proj_bias, torch.cat([W[a + n + ".bias"] for n in ("query", "key", "value")]))
    _set(m.self_attn.out_proj.weight, W[p + "attention.output.dense.weight"])
    _set(m.self_attn.out_proj.bias, W[p + "attention.output.dense.bias"])
    _set(m.linear1.weight, W[p + "intermediate.dense.weight"])
    _set(m.linear1.bias, W[p + "intermediate.dense.bias"])
    _set(m.linear2.weight, W[p + "output.dense.weight"])
    _set(m.linear2.bias, W[p + "output.dense.bias"])
    if vit:
        m.norm1, m.norm2 = _layer_norm(W, p + "layernorm_before", d, eps), _layer_norm(W, p + "layernorm_after", d, eps)
    else:
        m.norm1 = _layer_norm(W, p + "attention.output.LayerNorm", d, eps)
        m.norm2 = _layer_norm(W, p + "output.LayerNorm", d, eps)
    return m


def _embeddings(cfg, arch, prefix, W, batch):
    if arch == "gpt2":
        ids = batch["input_ids"]
        return F.embedding(ids, W["transformer.wte.weight"]) + F.embedding(
            torch.arange(ids.shape[1]), W["transformer.wpe.weight"])[None]
    if arch == "bert":
        ids, p = batch["input_ids"], prefix + "embeddings."
        e = (F.embedding(ids, W[p + "word_embeddings.weight"])
             + F.embedding(batch["token_type_ids"], W[p + "token_type_embeddings.weight"])
             + F.embedding(torch.arange(ids.shape[1]), W[p + "position_embeddings.weight"])[None])
        return _layer_norm(W, p + "LayerNorm", cfg["hidden_size"], cfg["layer_norm_eps"])(e)
    # ViT patch embedding as unfold + matmul instead of conv2d
    p, size = prefix + "embeddings.", cfg["patch_size"]
    cols = F.unfold(batch["pixel_values"], kernel_size=size, stride=size)  # [B, C*p*p, patches]
    kernel = W[p + "patch_embeddings.projection.weight"].reshape(cfg["hidden_size"], -1)
    x = (kernel @ cols).transpose(1, 2) + W[p + "patch_embeddings.projection.bias"]
    cls = W[p + "cls_token"].expand(x.shape[0], -1, -1)
    return torch.cat([cls, x], dim=1) + W[p + "position_embeddings"]


def _diff(a, b):
    assert a.shape == b.shape, (a.shape, b.shape)
    return float((a - b).abs().max())


def check(cfg, arch, prefix, W, outputs):
    worst = 0.0
    for batch, logits, attentions, hidden in outputs:
        x = _embeddings(cfg, arch, prefix, W, batch)
        worst = max(worst, _diff(x, hidden[0]))
        t = x.shape[1]
        causal = ~torch.tril(torch.ones(t, t, dtype=torch.bool)) if arch == "gpt2" else None
        padding = (batch["attention_mask"] == 0) if "attention_mask" in batch else None
        layers = cfg.get("n_layer") or cfg.get("num_hidden_layers")
        for layer in range(layers):
            if arch == "gpt2":
                m = gpt2_layer(W, cfg, layer)
            else:
                m = encoder_layer(W, cfg, f"{prefix}encoder.layer.{layer}.", arch == "vit")
            q = m.norm1(x) if m.norm_first else x
            _, probs = m.self_attn(q, q, q, attn_mask=causal, key_padding_mask=padding, need_weights=True,
                                   average_attn_weights=False)
            worst = max(worst, _diff(probs, attentions[layer]))
            x = m(x, src_mask=causal, src_key_padding_mask=padding)
            if layer + 1 < layers or arch != "gpt2":
                worst = max(worst, _diff(x, hidden[layer + 1]))
        worst = max(worst, _check_head(cfg, arch, prefix, W, x, logits, hidden))
    assert worst < MAX_DIFF, f"reference and torch.nn disagree by {worst}"
    return worst


def _check_head(cfg, arch, prefix, W, x, logits, hidden):
    if arch == "gpt2":
        h = _layer_norm(W, "transformer.ln_f", cfg["n_embd"], cfg["layer_norm_epsilon"])(x)
        return max(_diff(h, hidden[-1]), _diff(h @ W["transformer.wte.weight"].T, logits))
    d = cfg["hidden_size"]
    if arch == "vit":
        x = _layer_norm(W, prefix + "layernorm", d, cfg["layer_norm_eps"])(x)
        if prefix == "":
            return _diff(x, logits)
        return _diff(x[:, 0] @ W["classifier.weight"].T + W["classifier.bias"], logits)
    if prefix == "":
        return _diff(x, logits)
    if "classifier.weight" in W:
        pooled = torch.tanh(x[:, 0] @ W["bert.pooler.dense.weight"].T + W["bert.pooler.dense.bias"])
        return _diff(pooled @ W["classifier.weight"].T + W["classifier.bias"], logits)
    p = "cls.predictions."
    h = F.gelu(x @ W[p + "transform.dense.weight"].T + W[p + "transform.dense.bias"])
    h = _layer_norm(W, p + "transform.LayerNorm", d, cfg["layer_norm_eps"])(h)
    tied = cfg.get("tie_word_embeddings", True)
    decoder = W["bert.embeddings.word_embeddings.weight"] if tied else W[p + "decoder.weight"]
    return _diff(h @ decoder.T + W[p + "bias"], logits)
