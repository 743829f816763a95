#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// SPDX-FileCopyrightText: Optiscope developers
//
// Writes the GPT-2 reference ids for tests/fixtures/tokenizers/corpus.json with the npm
// package gpt-3-encoder (a JS port of OpenAI's encoder.py), an oracle independent of our C++.
//
//   cd /tmp && npm pack gpt-3-encoder@1.1.4 && mkdir -p g3e && tar xzf gpt-3-encoder-1.1.4.tgz -C g3e
//   node scripts/tokenizer_reference.js /tmp/g3e/package
//
// Outputs (in tests/fixtures/tokenizers/):
//   gpt2/expected.json        ids per corpus text, per invalid-UTF-8 row (decoded by
//                             TextDecoder, which replaces maximal ill-formed subparts by U+FFFD),
//                             and texts containing "<|endoftext|>" as an added token
//   gpt2_json/tokenizer.json  the same vocab and merges in Hugging Face tokenizer.json form
//
// The package looks merge pairs up by String([a, b]) = "a,b", which can confuse pairs that
// contain commas; this script re-runs every text with a tuple-keyed BPE and stops if the two
// ever disagree, so the fixture is what OpenAI's Python encoder would produce.
'use strict';
const fs = require('fs');
const path = require('path');

const pkgDir = process.argv[2];
if (!pkgDir) {
    console.error('usage: node scripts/tokenizer_reference.js <unpacked gpt-3-encoder package dir>');
    process.exit(2);
}
const encoder = require(path.resolve(pkgDir, 'Encoder.js'));
const root = path.resolve(__dirname, '..', 'tests', 'fixtures', 'tokenizers');

for (const [ours, theirs] of [['gpt2/vocab.json', 'encoder.json'], ['gpt2/merges.txt', 'vocab.bpe']]) {
    if (!fs.readFileSync(path.join(root, ours)).equals(fs.readFileSync(path.join(pkgDir, theirs)))) {
        throw new Error(`${ours} differs from the package's ${theirs}`);
    }
}

// A second BPE with tuple-like keys, only to validate the package's output.
const vocab = JSON.parse(fs.readFileSync(path.join(root, 'gpt2/vocab.json'), 'utf-8'));
const mergeLines = fs.readFileSync(path.join(root, 'gpt2/merges.txt'), 'utf-8').split('\n').slice(1).filter((l) => l.length > 0);
const ranks = new Map(mergeLines.map((line, rank) => [line.split(' ').join('\u0000'), rank]));
const byteToChar = (() => {
    const bs = [];
    for (let b = 33; b <= 126; b++) bs.push(b);
    for (let b = 161; b <= 172; b++) bs.push(b);
    for (let b = 174; b <= 255; b++) bs.push(b);
    const cs = bs.slice();
    let n = 0;
    for (let b = 0; b < 256; b++) {
        if (!bs.includes(b)) {
            bs.push(b);
            cs.push(256 + n++);
        }
    }
    const map = {};
    bs.forEach((b, i) => { map[b] = String.fromCharCode(cs[i]); });
    return map;
})();
const pat = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
function tupleBpe(text) {
    const ids = [];
    for (const match of text.matchAll(pat)) {
        let word = Array.from(new TextEncoder().encode(match[0])).map((b) => byteToChar[b]);
        while (word.length > 1) {
            let best = -1;
            let bestRank = Infinity;
            for (let i = 0; i + 1 < word.length; i++) {
                const r = ranks.get(word[i] + '\u0000' + word[i + 1]);
                if (r !== undefined && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) break;
            const [a, b] = [word[best], word[best + 1]];
            const next = [];
            for (let i = 0; i < word.length;) {
                if (word[i] === a && i + 1 < word.length && word[i + 1] === b) {
                    next.push(a + b);
                    i += 2;
                } else {
                    next.push(word[i]);
                    i += 1;
                }
            }
            word = next;
        }
        for (const token of word) ids.push(vocab[token]);
    }
    return ids;
}

function reference(text) {
    const ids = encoder.encode(text);
    const check = tupleBpe(text);
    if (JSON.stringify(ids) !== JSON.stringify(check)) {
        throw new Error(`package and tuple-keyed BPE disagree on ${JSON.stringify(text)}`);
    }
    if (encoder.decode(ids) !== text) {
        throw new Error(`package does not round-trip ${JSON.stringify(text)}`);
    }
    return ids;
}

const corpus = JSON.parse(fs.readFileSync(path.join(root, 'corpus.json'), 'utf-8'));
const eot = '<|endoftext|>';
const eotId = vocab[eot];
const addedTokenTexts = [eot, `Hello${eot}world`, `${eot}${eot} two in a row`, `a ${eot} b`, `<|endoftext|<|endoftext|>|>`];
const expected = {
    generator: 'scripts/tokenizer_reference.js with gpt-3-encoder@1.1.4',
    node: process.version,
    nodeUnicode: process.versions.unicode,
    texts: corpus.texts.map((text) => ({ text, ids: reference(text) })),
    invalidUtf8: corpus.invalidUtf8Hex.map((hex) => {
        const text = new TextDecoder('utf-8').decode(Buffer.from(hex, 'hex'));
        return { hex, replaced: text, ids: reference(text) };
    }),
    // tokenizer.json path: "<|endoftext|>" is an added token, so the text is split there first.
    addedTokens: addedTokenTexts.map((text) => ({
        text,
        ids: text.split(eot).flatMap((part, i) => (i > 0 ? [eotId] : []).concat(reference(part))),
    })),
};
// One row per line, so a regenerated fixture diffs row by row in review.
const rows = (list) => '[\n' + list.map((row) => '  ' + JSON.stringify(row)).join(',\n') + '\n ]';
const header = ['generator', 'node', 'nodeUnicode'].map((k) => ` ${JSON.stringify(k)}: ${JSON.stringify(expected[k])}`);
const body = ['texts', 'invalidUtf8', 'addedTokens'].map((k) => ` ${JSON.stringify(k)}: ${rows(expected[k])}`);
fs.writeFileSync(path.join(root, 'gpt2/expected.json'), '{\n' + header.concat(body).join(',\n') + '\n}\n');

const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: eotId, content: eot, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: '',
        end_of_word_suffix: '',
        fuse_unk: false,
        byte_fallback: false,
        vocab,
        merges: mergeLines.map((line) => line.split(' ')),
    },
};
fs.writeFileSync(path.join(root, 'gpt2_json/tokenizer.json'), JSON.stringify(tokenizerJson) + '\n');
console.log(`wrote ${expected.texts.length} texts, ${expected.invalidUtf8.length} invalid-UTF-8 rows, ${expected.addedTokens.length} added-token rows`);
