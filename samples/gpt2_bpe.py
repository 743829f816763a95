# SPDX-License-Identifier: Apache-2.0
# SPDX-FileCopyrightText: Optiscope developers
"""GPT-2 byte-level BPE: training, encoding, decoding and the vocab.json / merges.txt files.

Standard library only, so the tokenizer can be retrained and checked without PyTorch.
"""

import collections
import json
import re

END_OF_TEXT = "<|endoftext|>"


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode character map (openai/gpt-2 encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


# GPT-2's pre-tokenizer is
#   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
# Python's `re` has no \p{..}: letters become [^\W\d_] (str.isalpha), numbers \d (Unicode Nd),
# and "neither" becomes (?:[^\s\w]|_) because \w also contains '_', which \p{L}/\p{N} do not.
# The two differ only on numeric characters outside Nd (e.g. '²', 'Ⅻ') and on a few
# letter-like marks; check_corpus_is_regex_safe() verifies that a corpus has none of them.
PRETOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")


def check_corpus_is_regex_safe(text):
    """Return the non-ASCII characters of `text` that are letters or digits (where the
    approximated regex could differ from GPT-2's \\p{L}/\\p{N}); empty means exact."""
    return sorted({c for c in text if ord(c) > 127 and (c.isalnum() or c == "_")})


def pretokenize(text):
    return PRETOKENIZE.findall(text)


class ByteLevelBpe:
    def __init__(self, merges, vocab):
        self.merges = merges  # list of (left, right) in rank order
        self.ranks = {pair: i for i, pair in enumerate(merges)}
        self.encoder = vocab  # token string -> id
        self.decoder = {i: t for t, i in vocab.items()}
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {c: b for b, c in self.byte_encoder.items()}
        self.cache = {}

    def bpe(self, token):
        """Apply merges lowest rank first, exactly like openai/gpt-2 encoder.py."""
        if token in self.cache:
            return self.cache[token]
        word = list(token)
        while len(word) > 1:
            best = min(
                ((self.ranks.get((word[i], word[i + 1]), 1 << 30), i) for i in range(len(word) - 1)),
                key=lambda r: r[0],
            )
            if best[0] == 1 << 30:
                break
            left, right = self.merges[best[0]]
            merged = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == left and word[i + 1] == right:
                    merged.append(left + right)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.cache[token] = word
        return word

    def encode(self, text):
        ids = []
        for piece in pretokenize(text):
            mapped = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(mapped))
        return ids

    def decode(self, ids):
        text = "".join(self.decoder[i] for i in ids)
        return bytearray(self.byte_decoder[c] for c in text).decode("utf-8", errors="replace")

    def save(self, vocab_path, merges_path):
        with open(vocab_path, "w", encoding="utf-8") as f:
            json.dump(self.encoder, f, ensure_ascii=False)
        with open(merges_path, "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n")
            for left, right in self.merges:
                f.write(f"{left} {right}\n")

    @staticmethod
    def load(vocab_path, merges_path):
        with open(vocab_path, encoding="utf-8") as f:
            vocab = json.load(f)
        with open(merges_path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        # Same parsing as HF GPT2Tokenizer: skip the "#version" line and the empty last line.
        merges = [tuple(line.split()) for line in lines[1:-1]]
        return ByteLevelBpe(merges, vocab)


def train_bpe(text, vocab_size):
    """Learn merges by greedy pair counting over word frequencies (ties -> smallest pair).

    Ids: 0..255 are the byte symbols in bytes_to_unicode() order (as in GPT-2's encoder.json),
    then merged tokens in the order they were learned, then <|endoftext|> as the last id.
    Pair counts are updated incrementally, touching only the words that contain the merged pair.
    """
    byte_encoder = bytes_to_unicode()
    word_counts = collections.Counter(pretokenize(text))
    words = []  # symbol lists
    counts = []
    for piece, count in word_counts.items():
        words.append([byte_encoder[b] for b in piece.encode("utf-8")])
        counts.append(count)

    pair_counts = collections.Counter()
    pair_words = collections.defaultdict(set)
    for wi, word in enumerate(words):
        for a, b in zip(word, word[1:]):
            pair_counts[(a, b)] += counts[wi]
            pair_words[(a, b)].add(wi)

    vocab = {byte_encoder[b]: i for i, b in enumerate(byte_encoder)}
    merges = []
    target = vocab_size - 1  # the last id is <|endoftext|>
    while len(vocab) < target and pair_counts:
        best_count = max(pair_counts.values())
        if best_count < 2:
            break
        best = min(p for p, c in pair_counts.items() if c == best_count)
        left, right = best
        merged_symbol = left + right
        merges.append(best)
        if merged_symbol not in vocab:
            vocab[merged_symbol] = len(vocab)
        for wi in list(pair_words[best]):
            word = words[wi]
            count = counts[wi]
            for a, b in zip(word, word[1:]):
                pair_counts[(a, b)] -= count
                if pair_counts[(a, b)] <= 0:
                    del pair_counts[(a, b)]
            new_word = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == left and word[i + 1] == right:
                    new_word.append(merged_symbol)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            words[wi] = new_word
            for a, b in zip(new_word, new_word[1:]):
                pair_counts[(a, b)] += count
                pair_words[(a, b)].add(wi)
        pair_counts.pop(best, None)
        del pair_words[best]
    vocab[END_OF_TEXT] = len(vocab)
    return ByteLevelBpe(merges, vocab)
