#!/usr/bin/env python3
"""Writes the byte-level BPE fixture that tests/test_text_bpe_tokenizer.cpp checks
include/grpo/text/bpe_tokenizer.hpp against:

  tests/data/bpe/tokenizer.json               a small ByteLevel BPE trained here (merges as [a, b])
  tests/data/bpe/tokenizer_prefix_space.json  the same model, add_prefix_space=true, merges as "a b"
  tests/data/bpe/encodings.json               test strings with the ids and decodes that Hugging
                                              Face `tokenizers` gives for both files, and id
                                              sequences whose bytes are not UTF-8 with their
                                              (lossy) decodes

Installs nothing. Needs `tokenizers` in the interpreter that runs it:
  python3 -m venv /tmp/bpevenv && /tmp/bpevenv/bin/pip install tokenizers
  /tmp/bpevenv/bin/python scripts/make_bpe_fixture.py        (from the repository root)
Training is deterministic for a fixed corpus and tokenizers version (printed into encodings.json).
"""
import json
import os

import tokenizers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

OUT_DIR = "tests/data/bpe"
SPECIAL_TOKENS = ["<pad>", "<eos>", "<think>", "</think>", "<answer>", "</answer>"]

# Small math-reasoning corpus: mostly English, a little French, Chinese and emoji, so that some
# merges join the bytes of multi-byte characters.
CORPUS = [
    "<think>We need 2x + 3 = 7. Subtract 3 from both sides: 2x = 4. Divide by 2: x = 2.</think><answer>2</answer>",
    "<think>The sum of 12 and 30 is 42, so the answer is 42.</think><answer>42</answer>",
    "<think>Let's compute 7 * 8. That's 56. We'll check: 56 / 8 = 7.</think><answer>56</answer>",
    "<think>If a train travels 60 km in 1 hour, it travels 180 km in 3 hours.</think><answer>180</answer>",
    "<think>We're asked for the product of 6 and 9, which is 54. I'm sure it's right.</think><answer>54</answer>",
    "<think>Solve for x: 5x - 10 = 15. Add 10 to both sides: 5x = 25. So x = 5.</think><answer>5</answer>",
    "<think>Countdown: use 3, 7, 25 to make 100. 25 * (7 - 3) = 100.</think><answer>25 * (7 - 3)</answer>",
    "The answer is the number that makes both sides equal. Check the answer by substitution.",
    "First, subtract the constant. Then divide both sides by the coefficient of x.",
    "Question: what is 15 + 27? Answer: 42.\nQuestion: what is 9 - 4? Answer: 5.\n",
    "Il faut résoudre 2x + 3 = 7. On soustrait 3 des deux côtés : 2x = 4, donc x = 2. C'est ça.",
    "La réponse est égale à la somme des deux nombres. Très bien, l'élève a réussi.",
    "两边减三，得到 2x = 4，所以 x = 2。答案是 2。",
    "我们需要计算 12 加 30，答案是 42。",
    "Great job! 🎉 The answer is correct ✅. Try again 🤔 if it's wrong ❌.",
    "    indented line\n\ttabbed line\n\n  two spaces  \n",
]

TEST_STRINGS = [
    "", "a", "x", " ", "  ", "   ", "\n", "\n\n", "\t", " \t ", "\r\n",
    "hello", "Hello World", "the answer is 42", "2x + 3 = 7", "12345678901234567890",
    "3.14159", "-17", "1,000,000", "x=2", "(a+b)*c", "a  b", "a   b", "a \n b",
    "trailing space ", "trailing spaces   ", "  leading spaces", "line one\nline two\n",
    "tab\tseparated\tvalues", "mixed \t\n whitespace", "it's", "we're", "they've", "I'm", "we'll",
    "he'd", "don't", "IT'S", "'s'", "''", "rock'n'roll",
    "<think>2x = 4</think><answer>2</answer>", "<think></think>", "<answer> 2 </answer>",
    "so<think>x</think>then", "a <think>b", "<think>\n</think>\n<answer>", "<thinking>",
    "</answer", "<<think>>", "<answer><answer>",
    "résoudre l'équation", "Ça fait égal à deux", "naïve façade", "Ünïcödé",
    "两边减三", "答案是 2。", "x 等于 two", "Привет мир", "Καλημέρα",
    "🎉", "🤔 hmm 🤔", "👍🏽", "👨‍👩‍👧", "e\u0301", "a\u0308b", "\u0301\u0301",
    "٣ + ٤ = ٧", "²³", "Ⅻ", "½ + ¼", "१२३",
    "\u00a0nbsp", "a\u3000b", "\u2028", "end\u00a0", "zero\u200bwidth",
    "\x00\x01", "~!@#$%^&*_+", "a..b", "--", "\\n",
]


def train():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=True)  # ignored by the C++ side
    trainer = trainers.BpeTrainer(vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=SPECIAL_TOKENS, show_progress=False)
    tok.train_from_iterator(CORPUS, trainer)
    return tok


def prefix_space_variant(config):
    """The same model with add_prefix_space=true on the pre-tokenizer (wrapped in a one-element
    Sequence) and the merges written in the older "a b" string form."""
    variant = json.loads(json.dumps(config))
    byte_level = dict(variant["pre_tokenizer"], add_prefix_space=True)
    variant["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [byte_level]}
    variant["model"]["merges"] = [" ".join(pair) for pair in variant["model"]["merges"]]
    return variant


def byte_ids(tok):
    """id of the single-byte token of each byte 0..255, via the byte-level mapping."""
    vocab = tok.get_vocab()
    mapping = bytes_to_unicode()
    return {b: vocab[mapping[b]] for b in range(256)}


def bytes_to_unicode():
    """GPT-2's byte -> printable character table (encoder.py), rebuilt here to look up the
    single-byte tokens; printable Latin-1 bytes map to themselves, the rest to U+0100 onwards."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    tok = train()
    config = json.loads(tok.to_str())
    variant = prefix_space_variant(config)
    with open(f"{OUT_DIR}/tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)
    with open(f"{OUT_DIR}/tokenizer_prefix_space.json", "w", encoding="utf-8") as f:
        json.dump(variant, f, ensure_ascii=False, indent=1)
    # Reload both from the files, so the ids below are what the committed files give.
    tok = Tokenizer.from_file(f"{OUT_DIR}/tokenizer.json")
    tok_prefix = Tokenizer.from_file(f"{OUT_DIR}/tokenizer_prefix_space.json")

    cases = []
    for text in TEST_STRINGS:
        ids = tok.encode(text, add_special_tokens=False).ids
        ids_prefix = tok_prefix.encode(text, add_special_tokens=False).ids
        cases.append({
            "text": text,
            "ids": ids,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "ids_prefix_space": ids_prefix,
            "decoded_prefix_space": tok_prefix.decode(ids_prefix, skip_special_tokens=False),
        })

    by_byte = byte_ids(tok)
    think = tok.token_to_id("<think>")
    a, b = by_byte[ord("a")], by_byte[ord("b")]
    broken = [
        [by_byte[0xFF]], [by_byte[0x80]], [by_byte[0xE2], by_byte[0x82]], [by_byte[0xE2], a],
        [by_byte[0xE2], by_byte[0x82], by_byte[0xE2], by_byte[0x82], by_byte[0xAC]],
        [by_byte[0xF0], by_byte[0x9F], by_byte[0x98]], [a, by_byte[0xF0], by_byte[0x9F], by_byte[0x98], b],
        [by_byte[0xC0], by_byte[0xAF]], [by_byte[0xED], by_byte[0xA0], by_byte[0x80]],
        [by_byte[0xF4], by_byte[0x90], by_byte[0x80], by_byte[0x80]], [by_byte[0xE0], by_byte[0x80], by_byte[0x80]],
        [by_byte[0xC3]], [by_byte[0xE2], think, by_byte[0x82], by_byte[0xAC]], [by_byte[0xF8], by_byte[0xC1], b],
    ]
    invalid = [{"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)} for ids in broken]

    with open(f"{OUT_DIR}/encodings.json", "w", encoding="utf-8") as f:
        json.dump({"generated_by": f"scripts/make_bpe_fixture.py with tokenizers {tokenizers.__version__}",
                   "vocab_size": tok.get_vocab_size(), "cases": cases, "invalid_utf8": invalid},
                  f, ensure_ascii=False, indent=0)
    print(f"vocab {tok.get_vocab_size()}, {len(cases)} strings, {len(invalid)} invalid sequences")


if __name__ == "__main__":
    main()
