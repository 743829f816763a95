#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""Independent BERT WordPiece reference for tests/core/tst_tokenizer.cpp.

A plain transcription of Google BERT's tokenization.py (BasicTokenizer + WordpieceTokenizer)
on top of Python's unicodedata and str methods. It also builds the small deterministic test
vocabulary (no BERT vocab is available offline): special tokens, every character seen, the
corpus words seen at least twice, and the most frequent "##" suffixes and word prefixes.
Emoji (code points >= U+1F000) are left out of the vocabulary so [UNK] occurs.

    python3 scripts/wordpiece_reference.py

writes tests/fixtures/tokenizers/bert_{uncased,cased}/{vocab.txt,tokenizer_config.json,
expected.json}. Run it with the Python whose unicodedata generated core/src/unicode_tables.cpp.
"""
import collections
import json
import pathlib
import unicodedata

ROOT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tokenizers"
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def is_whitespace(char):
    if char in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(char) == "Zs"


def is_control(char):
    if char in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(char).startswith("C")


def is_punctuation(char):
    cp = ord(char)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126):
        return True
    return unicodedata.category(char).startswith("P")


def is_chinese_char(cp):
    return (
        (0x4E00 <= cp <= 0x9FFF)
        or (0x3400 <= cp <= 0x4DBF)
        or (0x20000 <= cp <= 0x2A6DF)
        or (0x2A700 <= cp <= 0x2B73F)
        or (0x2B740 <= cp <= 0x2B81F)
        or (0x2B820 <= cp <= 0x2CEAF)
        or (0xF900 <= cp <= 0xFAFF)
        or (0x2F800 <= cp <= 0x2FA1F)
    )


def basic_tokenize(text, do_lower_case):
    cleaned = []
    for char in text:
        cp = ord(char)
        if cp == 0 or cp == 0xFFFD or is_control(char):
            continue
        cleaned.append(" " if is_whitespace(char) else char)
    text = "".join(cleaned)
    text = "".join(f" {c} " if is_chinese_char(ord(c)) else c for c in text)
    split_tokens = []
    for token in text.strip().split():
        if do_lower_case:
            token = token.lower()
            token = "".join(c for c in unicodedata.normalize("NFD", token) if unicodedata.category(c) != "Mn")
        current = []
        for char in token:
            if is_punctuation(char):
                if current:
                    split_tokens.append("".join(current))
                    current = []
                split_tokens.append(char)
            else:
                current.append(char)
        if current:
            split_tokens.append("".join(current))
    return " ".join(split_tokens).strip().split()


def wordpiece(token, vocab, max_chars=100):
    chars = list(token)
    if len(chars) > max_chars:
        return ["[UNK]"]
    pieces = []
    start = 0
    while start < len(chars):
        end = len(chars)
        current = None
        while start < end:
            substr = "".join(chars[start:end])
            if start > 0:
                substr = "##" + substr
            if substr in vocab:
                current = substr
                break
            end -= 1
        if current is None:
            return ["[UNK]"]
        pieces.append(current)
        start = end
    return pieces


def corpus_texts():
    corpus = json.loads((ROOT / "corpus.json").read_text(encoding="utf-8"))
    invalid = [bytes.fromhex(h).decode("utf-8", errors="replace") for h in corpus["invalidUtf8Hex"]]
    return corpus["texts"], corpus["invalidUtf8Hex"], invalid


def build_vocab(texts, do_lower_case):
    words = collections.Counter()
    for text in texts:
        words.update(basic_tokenize(text, do_lower_case))
    chars = sorted({c for w in words for c in w if ord(c) < 0x1F000})
    suffixes = collections.Counter()
    prefixes = collections.Counter()
    for word, count in words.items():
        if len(word) > 12:
            continue
        for n in range(2, min(5, len(word))):
            suffixes[word[-n:]] += count
            prefixes[word[:n + 1]] += count
    frequent_words = sorted(w for w, c in words.items() if c >= 2 and len(w) > 1)
    top = lambda counter, k: [s for s, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]
    vocab = list(SPECIALS)
    for token in chars + ["##" + c for c in chars] + frequent_words + ["##" + s for s in top(suffixes, 120)] + top(prefixes, 80):
        if token not in vocab:
            vocab.append(token)
    return vocab


def main():
    texts, hexes, invalid = corpus_texts()
    for name, lower in (("bert_uncased", True), ("bert_cased", False)):
        folder = ROOT / name
        folder.mkdir(exist_ok=True)
        vocab_list = build_vocab(texts, lower)
        (folder / "vocab.txt").write_text("".join(t + "\n" for t in vocab_list), encoding="utf-8")
        (folder / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": lower}) + "\n")
        vocab = {t: i for i, t in enumerate(vocab_list)}

        def encode(text):
            tokens = [p for word in basic_tokenize(text, lower) for p in wordpiece(word, vocab)]
            return tokens, [vocab[t] for t in tokens]

        rows = []
        for text in texts:
            tokens, ids = encode(text)
            rows.append({"text": text, "tokens": tokens, "ids": ids})
        bad = []
        for h, text in zip(hexes, invalid):
            tokens, ids = encode(text)
            bad.append({"hex": h, "tokens": tokens, "ids": ids})
        header = {"generator": "scripts/wordpiece_reference.py", "unicode": unicodedata.unidata_version, "do_lower_case": lower}
        lines = ["{"] + [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in header.items()]
        for key, entries in (("texts", rows), ("invalidUtf8", bad)):
            body = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in entries)
            lines.append(f' "{key}": [\n{body}\n ]' + ("," if key == "texts" else ""))
        lines.append("}")
        (folder / "expected.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{name}: vocab {len(vocab_list)}, {len(rows)} texts, {len(bad)} invalid rows")


if __name__ == "__main__":
    main()
