# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""Train samples/tiny-vit: a small ViT on Fashion-MNIST, saved in Hugging Face ViTForImageClassification layout.

Data: Debian package dataset-fashion-mnist (gzipped IDX files under /usr/share/datasets/fashion-mnist).
Run (CPU, one thread; 9 minutes on a free core, 13.5 on a busy shared one):
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 /usr/bin/python3 samples/train_tiny_vit.py --out samples/tiny-vit
Then `--analyze-only` re-reads the written folder and regenerates reference.json (PyTorch logits of
fixed test images and the test-set accuracy) and attention_summary.json from the files on disk,
which also checks the safetensors writer.
"""

import argparse
import gzip
import json
import math
import os
import struct
import time
import zlib

import numpy as np
import torch
import torch.nn.functional as F

SEED = 1234
DATA_DIR = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
REFERENCE_IMAGES = 8  # test images 0..7: their logits go to reference.json for other engines
SUBSET_IMAGES = 500  # test images 0..499: accuracy on them goes to reference.json (the C++ test's subset)


def read_idx(path):
    """IDX file (gzipped): big-endian magic 0x0000 08 <ndim>, ndim big-endian uint32 sizes, uint8 data."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise SystemExit(f"{path}: not a uint8 IDX file")
    shape = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    arr = np.frombuffer(data[4 + 4 * ndim :], dtype=np.uint8)
    if arr.size != int(np.prod(shape)):
        raise SystemExit(f"{path}: {arr.size} bytes of data, header says {shape}")
    return arr.reshape(shape)


def load_split(data_dir, prefix):
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    return images, labels.astype(np.int64)


class TinyVit(torch.nn.Module):
    """ViT with parameters named and shaped as HF ViTForImageClassification's state_dict."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d, inner, c, p = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_channels"], cfg["patch_size"]
        patches = (cfg["image_size"] // p) ** 2
        shapes = {
            "vit.embeddings.cls_token": (1, 1, d),
            "vit.embeddings.position_embeddings": (1, patches + 1, d),
            "vit.embeddings.patch_embeddings.projection.weight": (d, c, p, p),
            "vit.embeddings.patch_embeddings.projection.bias": (d,),
        }
        for layer in range(cfg["num_hidden_layers"]):
            q = f"vit.encoder.layer.{layer}."
            for name in ("query", "key", "value"):
                shapes[q + f"attention.attention.{name}.weight"] = (d, d)
                shapes[q + f"attention.attention.{name}.bias"] = (d,)
            shapes[q + "attention.output.dense.weight"] = (d, d)
            shapes[q + "attention.output.dense.bias"] = (d,)
            shapes[q + "intermediate.dense.weight"] = (inner, d)
            shapes[q + "intermediate.dense.bias"] = (inner,)
            shapes[q + "output.dense.weight"] = (d, inner)
            shapes[q + "output.dense.bias"] = (d,)
            for ln in ("layernorm_before", "layernorm_after"):
                shapes[q + ln + ".weight"] = (d,)
                shapes[q + ln + ".bias"] = (d,)
        shapes["vit.layernorm.weight"] = (d,)
        shapes["vit.layernorm.bias"] = (d,)
        shapes["classifier.weight"] = (len(LABELS), d)
        shapes["classifier.bias"] = (len(LABELS),)
        self.names = list(shapes)
        self.params = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(s)) for s in shapes.values()])

    def w(self, name):
        return self.params[self.names.index(name)]

    def init_weights(self, generator):
        # HF ViT: trunc-normal-like std 0.02 for matrices and tokens, zero biases, LayerNorm 1/0.
        std = self.cfg["initializer_range"]
        with torch.no_grad():
            for name, p in zip(self.names, self.params):
                if name.endswith(".bias"):
                    p.zero_()
                elif "layernorm" in name:
                    p.fill_(1.0)
                else:
                    p.copy_(torch.randn(p.shape, generator=generator) * std)

    def state_dict_hf(self):
        return {n: p.detach().clone() for n, p in zip(self.names, self.params)}

    def load_state_dict_hf(self, tensors):
        with torch.no_grad():
            for n, p in zip(self.names, self.params):
                p.copy_(tensors[n].to(p.dtype))

    def forward(self, pixels, return_attention=False):
        """pixels [B, C, H, W] normalised; returns logits [B, labels] (and attentions [L, B, H, T, T])."""
        cfg, w = self.cfg, self.w
        d, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
        p = "vit.embeddings."
        x = F.conv2d(pixels, w(p + "patch_embeddings.projection.weight"), w(p + "patch_embeddings.projection.bias"),
                     stride=cfg["patch_size"])
        x = x.flatten(2).transpose(1, 2)  # [B, patches, D], patches in row-major grid order
        h = torch.cat([w(p + "cls_token").expand(x.shape[0], -1, -1).to(x.dtype), x], dim=1)
        h = h + w(p + "position_embeddings")
        attentions = []
        b, t = h.shape[0], h.shape[1]
        for layer in range(cfg["num_hidden_layers"]):
            q = f"vit.encoder.layer.{layer}."
            a = q + "attention.attention."
            x = F.layer_norm(h, (d,), w(q + "layernorm_before.weight"), w(q + "layernorm_before.bias"), eps)

            def heads_of(name):
                y = F.linear(x, w(a + name + ".weight"), w(a + name + ".bias"))
                return y.view(b, t, heads, d // heads).transpose(1, 2)

            qh, kh, vh = heads_of("query"), heads_of("key"), heads_of("value")
            probs = torch.softmax((qh @ kh.transpose(-1, -2)) / math.sqrt(d // heads), dim=-1)
            if return_attention:
                attentions.append(probs)
            ctx = (probs @ vh).transpose(1, 2).reshape(b, t, d)
            h = h + F.linear(ctx, w(q + "attention.output.dense.weight"), w(q + "attention.output.dense.bias"))
            x = F.layer_norm(h, (d,), w(q + "layernorm_after.weight"), w(q + "layernorm_after.bias"), eps)
            m = F.gelu(F.linear(x, w(q + "intermediate.dense.weight"), w(q + "intermediate.dense.bias")))
            h = h + F.linear(m, w(q + "output.dense.weight"), w(q + "output.dense.bias"))
        seq = F.layer_norm(h, (d,), w("vit.layernorm.weight"), w("vit.layernorm.bias"), eps)
        logits = F.linear(seq[:, 0], w("classifier.weight"), w("classifier.bias"))
        return (logits, torch.stack(attentions)) if return_attention else logits


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset, blobs = 0, []
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
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        begin, end = info["data_offsets"]
        arr = np.frombuffer(data[8 + n + begin : 8 + n + end], dtype="<f4").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def write_grey_png(path, pixels):
    """8-bit greyscale PNG of a uint8 [H, W] array (no PIL on the build machines)."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    h, w = pixels.shape
    raw = b"".join(b"\x00" + pixels[r].tobytes() for r in range(h))  # filter type 0 per row
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def vit_config(args):
    return {
        "architectures": ["ViTForImageClassification"],
        "attention_probs_dropout_prob": 0.0, "encoder_stride": args.patch, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0, "hidden_size": args.hidden, "id2label": {str(i): n for i, n in enumerate(LABELS)},
        "image_size": 28, "initializer_range": 0.02, "intermediate_size": args.intermediate,
        "label2id": {n: i for i, n in enumerate(LABELS)}, "layer_norm_eps": 1e-12, "model_type": "vit",
        "num_attention_heads": args.heads, "num_channels": 1, "num_hidden_layers": args.layers,
        "patch_size": args.patch, "qkv_bias": True, "torch_dtype": "float32", "transformers_version": "4.36.2",
    }


def normalise(images, mean, std, dtype=torch.float32):
    """uint8 [N, 28, 28] -> [N, 1, 28, 28], as ViTImageProcessor: (x / 255 - mean) / std."""
    x = torch.from_numpy(images.astype(np.float32)).to(dtype) * (1.0 / 255.0)
    return ((x - mean) / std).unsqueeze(1)


def accuracy(model, images, labels, mean, std, batch=1000):
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            pred = model(normalise(images[i : i + batch], mean, std)).argmax(-1)
            correct += int((pred == torch.from_numpy(labels[i : i + batch])).sum())
    return correct / len(images)


def train(args):
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    train_images, train_labels = load_split(args.data, "train")
    test_images, test_labels = load_split(args.data, "t10k")
    # Normalisation statistics from the training images only, rounded: they go to preprocessor_config.json.
    mean = round(float(train_images.mean() / 255.0), 4)
    std = round(float(train_images.std() / 255.0), 4)
    cfg = vit_config(args)
    model = TinyVit(cfg)
    generator = torch.Generator().manual_seed(SEED)
    model.init_weights(generator)
    decay = [p for n, p in zip(model.names, model.params) if n.endswith(".weight") and "layernorm" not in n]
    no_decay = [p for n, p in zip(model.names, model.params) if not (n.endswith(".weight") and "layernorm" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.999))

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))

    x_all = normalise(train_images, mean, std)
    y_all = torch.from_numpy(train_labels)
    order, cursor, log = torch.randperm(len(x_all), generator=generator), 0, []
    start = time.time()
    steps_done = 0
    for step in range(args.steps):
        if cursor + args.batch > len(order):  # a new pass over the training set in a new seeded order
            order, cursor = torch.randperm(len(x_all), generator=generator), 0
        idx = order[cursor : cursor + args.batch]
        cursor += args.batch
        x = x_all[idx]
        # Horizontal flips (every class of Fashion-MNIST is left/right symmetric enough), seeded.
        flip = torch.rand(len(idx), generator=generator) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        loss = F.cross_entropy(model(x), y_all[idx])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        steps_done = step + 1
        if step % 100 == 0 or step == args.steps - 1:
            log.append({"step": step, "loss": round(float(loss), 4), "seconds": round(time.time() - start, 1)})
            print(f"step {step} loss {float(loss):.4f} lr {lr_at(step):.2e} {time.time() - start:.0f}s", flush=True)
        if time.time() - start > args.max_seconds:
            print(f"stopping at the time guard after {steps_done} steps", flush=True)
            break
    seconds = time.time() - start
    model.eval()
    metrics = {
        "seed": SEED, "steps": steps_done, "planned_steps": args.steps, "batch": args.batch, "lr": args.lr,
        "warmup": args.warmup, "weight_decay": args.weight_decay, "train_seconds": round(seconds, 1),
        "torch_version": torch.__version__, "threads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in model.params), "normalisation": {"mean": mean, "std": std},
        "train_images": len(train_images), "test_images": len(test_images),
        "train_accuracy_first_10000": accuracy(model, train_images[:10000], train_labels[:10000], mean, std),
        "test_accuracy_in_memory": accuracy(model, test_images, test_labels, mean, std),
        "loss_log": log,
    }
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "config.json"), cfg)
    write_json(os.path.join(args.out, "preprocessor_config.json"), {
        "do_normalize": True, "do_rescale": True, "do_resize": False, "image_mean": [mean],
        "image_processor_type": "ViTImageProcessor", "image_std": [std], "resample": 2,
        "rescale_factor": 1.0 / 255.0, "size": {"height": 28, "width": 28}})
    write_safetensors(os.path.join(args.out, "model.safetensors"), model.state_dict_hf(), {"format": "pt"})
    write_json(os.path.join(args.out, "train_metrics.json"), metrics)
    print(json.dumps({k: v for k, v in metrics.items() if k != "loss_log"}, indent=1))


def load_folder(folder):
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(folder, "preprocessor_config.json")) as f:
        pre = json.load(f)
    model = TinyVit(cfg)
    model.load_state_dict_hf(read_safetensors(os.path.join(folder, "model.safetensors")))
    model.eval()
    return model, pre["image_mean"][0], pre["image_std"][0]


def cls_attention_summary(model, images, labels, mean, std):
    """Where the CLS token looks: per layer and head, its weight on itself and on 'object' patches
    (patches whose mean pixel is above 10 % of full scale), against the object's share of patches."""
    grid = model.cfg["image_size"] // model.cfg["patch_size"]
    p = model.cfg["patch_size"]
    with torch.no_grad():
        _, attn = model(normalise(images, mean, std), return_attention=True)  # [L, B, H, T, T]
    patch_mean = torch.from_numpy(images.astype(np.float32) / 255.0).view(-1, grid, p, grid, p).mean((2, 4)).flatten(1)
    obj = (patch_mean > 0.1).float()  # [B, patches]
    cls_row = attn[:, :, :, 0, :]  # [L, B, H, T]
    summary = {"images": len(images), "object_patch_share": round(float(obj.mean()), 4), "heads": []}
    for layer in range(attn.shape[0]):
        for head in range(attn.shape[2]):
            row = cls_row[layer, :, head]  # [B, T]
            on_object = (row[:, 1:] * obj).sum(-1)
            entropy = -(row * row.clamp_min(1e-12).log()).sum(-1)
            summary["heads"].append({
                "layer": layer, "head": head, "self": round(float(row[:, 0].mean()), 4),
                "object": round(float(on_object.mean()), 4),
                "entropy_nats": round(float(entropy.mean()), 3),
                "uniform_entropy_nats": round(math.log(row.shape[1]), 3),
            })
    # Head-averaged CLS attention of the last layer for the first images, as grids (for the model card).
    last = cls_row[-1].mean(1)[:, 1:]  # [B, patches]
    summary["last_layer_maps"] = [
        {"image": i, "label": LABELS[int(labels[i])],
         "grid": [[round(float(v), 3) for v in last[i].view(grid, grid)[r]] for r in range(grid)],
         "object_mask": [[int(v) for v in obj[i].view(grid, grid)[r]] for r in range(grid)]}
        for i in range(min(4, len(images)))]
    return summary


def analyze(args):
    model, mean, std = load_folder(args.out)
    test_images, test_labels = load_split(args.data, "t10k")
    with torch.no_grad():
        logits = model(normalise(test_images[:REFERENCE_IMAGES], mean, std))
        # float64 forward of the same fp32 weights: the reference other engines are compared with.
        model64 = TinyVit(model.cfg).double()
        model64.load_state_dict_hf(model.state_dict_hf())
        logits64 = model64(normalise(test_images[:REFERENCE_IMAGES], mean, std, torch.float64))
        subset_pred = model(normalise(test_images[:SUBSET_IMAGES], mean, std)).argmax(-1)
    subset_correct = int((subset_pred == torch.from_numpy(test_labels[:SUBSET_IMAGES])).sum())
    full = accuracy(model, test_images, test_labels, mean, std)
    reference = {
        "source": "samples/train_tiny_vit.py --analyze-only (PyTorch float64 forward of the stored fp32 weights)",
        "data": "dataset-fashion-mnist t10k-images-idx3-ubyte.gz / t10k-labels-idx1-ubyte.gz",
        "images": [{"index": i, "label": int(test_labels[i]), "pixels_hex": test_images[i].tobytes().hex(),
                    "logits": [float(v) for v in logits64[i]]} for i in range(REFERENCE_IMAGES)],
        "max_abs_diff_fp32_vs_fp64": float((logits.double() - logits64).abs().max()),
        "subset": {"first": SUBSET_IMAGES, "correct": subset_correct, "accuracy": subset_correct / SUBSET_IMAGES,
                   "predictions": [int(v) for v in subset_pred]},
        "test_accuracy": full,
    }
    write_json(os.path.join(args.out, "reference.json"), reference)
    os.makedirs(os.path.join(args.out, "images"), exist_ok=True)
    for i in range(4):  # sample inputs for `optiscope-cli run --image` and the GUI
        name = f"test{i}_{LABELS[int(test_labels[i])].split('/')[0].replace(' ', '_').lower()}.png"
        write_grey_png(os.path.join(args.out, "images", name), test_images[i])
    summary = cls_attention_summary(model, test_images[:256], test_labels[:256], mean, std)
    write_json(os.path.join(args.out, "attention_summary.json"), summary)
    print(f"test accuracy {full:.4f}, first {SUBSET_IMAGES}: {subset_correct}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=DATA_DIR)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny-vit"))
    ap.add_argument("--patch", type=int, default=7)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--intermediate", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--max-seconds", type=float, default=15 * 60, help="stop early if training exceeds this")
    ap.add_argument("--analyze-only", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if not args.analyze_only:
        train(args)
    analyze(args)


if __name__ == "__main__":
    main()
