"""A small byte-level BPE vocabulary in the ``qwen.tiktoken`` file format.

The file is what the official Qwen tokenizer reads: one ``base64(token) rank`` line per mergeable
token. Ranks 0-255 are the single bytes (byte ``b`` has rank ``b``), then one rank per merge in the
order it was learned, so tiktoken's lowest-rank-first merging reproduces the training merges. Text is
split with Qwen's own pre-tokenisation pattern before merging, so no token crosses a split. Special
tokens are not in the file: the tokenizer numbers them after the last rank.
"""

from __future__ import annotations

import base64
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import regex

from evalkit.models.qwen_vl.tokenizer import PAT_STR, SPECIAL_TOKENS

_SPECIAL_OR_IMAGE = regex.compile(r"<img>.*?</img>|" + "|".join(regex.escape(t) for t in SPECIAL_TOKENS))
_PRETOKENIZE = regex.compile(PAT_STR)


def pieces(text: str) -> list[str]:
    """The pre-tokenised pieces of ``text``; special tokens and image spans are left out."""
    out: list[str] = []
    for chunk in _SPECIAL_OR_IMAGE.split(unicodedata.normalize("NFC", text)):
        out.extend(_PRETOKENIZE.findall(chunk))
    return out


def train_bpe(texts: Iterable[str], max_merges: int, min_count: int = 2) -> list[bytes]:
    """Merged tokens in the order they are learned: each merge joins the most frequent adjacent pair.

    Ties are broken by the pair's bytes, so the result depends only on the texts' piece counts.
    Stops after ``max_merges`` merges or when no pair occurs ``min_count`` times.
    """
    words: Counter[tuple[bytes, ...]] = Counter()
    for text in texts:
        for piece in pieces(text):
            words[tuple(bytes([b]) for b in piece.encode("utf-8"))] += 1
    merges: list[bytes] = []
    while len(merges) < max_merges:
        pairs: Counter[tuple[bytes, bytes]] = Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best, count = min(pairs.items(), key=lambda item: (-item[1], item[0]))
        if count < min_count:
            break
        merged = best[0] + best[1]
        merges.append(merged)
        words = Counter({_merge(word, best, merged): n for word, n in words.items()})
    return merges


def _merge(word: tuple[bytes, ...], pair: tuple[bytes, bytes], merged: bytes) -> tuple[bytes, ...]:
    out: list[bytes] = []
    i = 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(merged)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def mergeable_ranks(merges: list[bytes]) -> dict[bytes, int]:
    """Single bytes at ranks 0-255, then each merge (duplicates, which BPE cannot learn, are refused)."""
    ranks = {bytes([b]): b for b in range(256)}
    for token in merges:
        if token in ranks:
            raise ValueError(f"token {token!r} appears twice in the merges")
        ranks[token] = len(ranks)
    return ranks


def write_tiktoken(ranks: dict[bytes, int], path: Path) -> None:
    """Write ``ranks`` as a tiktoken file (sorted by rank, one ``base64 rank`` line each)."""
    lines = [
        f"{base64.b64encode(token).decode('ascii')} {rank}"
        for token, rank in sorted(ranks.items(), key=lambda kv: kv[1])
    ]
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
