#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
# Regenerates the hand-made corrupt files in tests/corrupt/. Each file holds exactly one defect;
# cases.json says which command reads it and which field word the error must name.
import json, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))

def put(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def st(header, data=b"", length=None):
    raw = header if isinstance(header, bytes) else header.encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data

F = '"dtype":"F32","shape":[2],"data_offsets":[0,8]'
# safetensors
put("safetensors/empty.safetensors", b"")
put("safetensors/truncated_length.safetensors", b"\x10\x00\x00")
put("safetensors/header_length_lies.safetensors", st('{"a":{' + F + '}}', b"\0" * 8, length=4096))
put("safetensors/header_length_huge.safetensors", st('{}', length=1 << 62))
put("safetensors/broken_json.safetensors", st('{"a":{"dtype":"F32","shape":[2],'))
put("safetensors/header_not_object.safetensors", st('[1,2,3]'))
put("safetensors/entry_not_object.safetensors", st('{"a":7}'))
put("safetensors/offsets_overlap.safetensors",
    st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', b"\0" * 12))
put("safetensors/offsets_out_of_bounds.safetensors", st('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', b"\0" * 8))
put("safetensors/offsets_reversed.safetensors", st('{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}', b"\0" * 8))
put("safetensors/offsets_negative.safetensors", st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}', b"\0" * 8))
put("safetensors/unknown_dtype.safetensors", st('{"a":{"dtype":"F99","shape":[2],"data_offsets":[0,8]}}', b"\0" * 8))
put("safetensors/shape_overflow.safetensors",
    st('{"a":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,8]}}', b"\0" * 8))
put("safetensors/shape_negative.safetensors", st('{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', b"\0" * 8))
put("safetensors/shape_not_array.safetensors", st('{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}', b"\0" * 8))
put("safetensors/size_mismatch.safetensors", st('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', b"\0" * 8))
put("safetensors/duplicate_names.safetensors", st('{"a":{' + F + '},"a":{' + F + '}}', b"\0" * 8))
put("safetensors/missing_offsets.safetensors", st('{"a":{"dtype":"F32","shape":[2]}}', b"\0" * 8))
put("safetensors/metadata_not_string.safetensors", st('{"__metadata__":{"format":1},"a":{' + F + '}}', b"\0" * 8))
put("safetensors/name_bad_utf8.safetensors", st(b'{"\xff\xfe":{' + F.encode() + b'}}', b"\0" * 8))
put("safetensors/missing_tensor.safetensors", st('{"a":{' + F + '}}', b"\0" * 8))

# config.json (replaces the gpt2 fixture's config)
base = json.load(open(os.path.join(HERE, "..", "fixtures", "gpt2", "config.json")))
def cfg(rel, **changes):
    c = dict(base)
    for k, v in changes.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    put("config/" + rel, json.dumps(c, indent=1))
put("config/empty.json", "")
put("config/not_json.json", "model_type: gpt2\n")
put("config/top_level_array.json", "[1, 2]")
put("config/bad_utf8.json", b'{"model_type": "gpt\xff2"}')
put("config/deep_nesting.json", '{"model_type": "gpt2", "x": ' + "[" * 10000)
cfg("missing_model_type.json", model_type=None, architectures=None)
cfg("unknown_model_type.json", model_type="llama9", architectures=["Llama9ForCausalLM"])
cfg("n_embd_string.json", n_embd="32")
cfg("n_layer_negative.json", n_layer=-2)
cfg("n_head_zero.json", n_head=0)
cfg("n_head_not_dividing.json", n_head=5)
cfg("vocab_size_huge.json", vocab_size=10**18)
cfg("n_positions_float.json", n_positions=16.5)
cfg("missing_n_embd.json", n_embd=None)

# tokenizers
put("tokenizer/vocab_array.json", "[1, 2]")

put("tokenizer/vocab_negative_id.json", '{"a": -1, "b": 1}')
put("tokenizer/vocab_string_id.json", '{"a": "0", "b": 1}')
put("tokenizer/merges_unknown_token.txt", "#version: 0.2\na b\nx y\n")
put("tokenizer/merges_three_parts.txt", "#version: 0.2\na b c\n")
put("tokenizer/vocab_bad_utf8.txt", b"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhel\xc3\x28lo\n")
put("tokenizer/vocab_empty.txt", "")
put("tokenizer/tokenizer_json_broken.json", '{"model": {"type": "BPE", "vocab": {')
put("tokenizer/tokenizer_json_unknown_model.json", '{"model": {"type": "WordLevel", "vocab": {"a": 0}}}')

# recipes (engine API only until the CLI takes --recipe)
put("recipe/unknown_step_type.json", '{"schema": 1, "steps": [{"type": "distill", "targets": "*"}]}')
put("recipe/ratio_above_one.json", '{"schema": 1, "steps": [{"type": "prune", "targets": "*", "ratio": 1.5}]}')
put("recipe/nm_n_not_below_m.json",
    '{"schema": 1, "steps": [{"type": "prune", "targets": "*", "pattern": "n:m", "n": 4, "m": 4}]}')
put("recipe/steps_not_array.json", '{"schema": 1, "steps": {"type": "prune"}}')
put("recipe/schema_future.json", '{"schema": 99, "steps": []}')

# SCALE-Sim inputs (engine API)
put("scalesim/topology_missing_comma.csv",
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
    "conv1, 8, 8, 3, 3, 4, 8, 1\n")
put("scalesim/topology_non_numeric.csv",
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
    "conv1, 8, eight, 3, 3, 4, 8, 1,\n")
put("scalesim/gemm_negative.csv", "Layer, M, N, K,\nfc, 4, -8, 16,\n")
put("scalesim/unknown_dataflow.cfg",
    "[general]\nrun_name = bad\n\n[architecture_presets]\nArrayHeight: 8\nArrayWidth: 8\nIfmapSramSzkB: 64\n"
    "FilterSramSzkB: 64\nOfmapSramSzkB: 64\nIfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\n"
    "Dataflow: xs\nBandwidth: 10\n")
put("scalesim/zero_array.cfg",
    "[general]\nrun_name = bad\n\n[architecture_presets]\nArrayHeight: 0\nArrayWidth: 8\nIfmapSramSzkB: 64\n"
    "FilterSramSzkB: 64\nOfmapSramSzkB: 64\nIfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\n"
    "Dataflow: os\nBandwidth: 10\n")

# A vocab.json holding GPT-2's 256 byte-level tokens (so loading gets past them) and "ab"; the merges
# then name a token absent from it.
def byte_chars():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for _, c in sorted(zip(bs, cs))]
vocab = {c: i for i, c in enumerate(byte_chars())}
vocab["ab"] = 256
put("tokenizer/vocab_bytes.json", json.dumps(vocab, ensure_ascii=False))
put("tokenizer/merges_unknown_token.txt", "#version: 0.2\na b\nx zz\n")

# Optiscope array-config JSON (engine API)
put("scalesim/array_rows_string.json", '{"rows": "32", "cols": 32}')
put("scalesim/array_unknown_key.json", '{"rows": 32, "colums": 32}')
put("scalesim/array_bandwidth_negative.json", '{"interfaceBandwidth": "USER", "bandwidthBytesPerCycle": [-10]}')

# Numbers beyond double range: nlohmann throws out_of_range (not parse_error) for these.
put("config/number_overflow.json", '{"model_type": "gpt2", "n_embd": 1e400}')
put("recipe/number_overflow.json", '{"schema": 1, "steps": [{"type": "prune", "targets": "*", "ratio": 1e400}]}')
put("scalesim/array_number_overflow.json", '{"rows": 1e400}')

# SRAM size whose bit count overflows int64 (found by fuzz_cfg; also in fuzz_regressions/).
put("scalesim/sram_kib_huge.cfg",
    "[general]\nrun_name = f\n\n[architecture_presets]\nArrayHeight: 8\nArrayWidth: 8\nIfmapSramSzkB: 9223372036854775807\n"
    "FilterSramSzkB: 64\nOfmapSramSzkB: 64\nIfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\n"
    "Dataflow: os\nBandwidth: 10\n")
