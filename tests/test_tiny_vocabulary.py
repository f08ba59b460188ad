"""The tiny model's BPE vocabulary: learned merges, the qwen.tiktoken file, special ids after the ranks."""

from __future__ import annotations

from pathlib import Path

from evalkit.models.qwen_vl.tokenizer import SPECIAL_TOKENS, QwenTokenizer, read_tiktoken_ranks
from evalkit.tiny.vocabulary import mergeable_ranks, pieces, train_bpe, write_tiktoken


def test_pieces_drop_special_tokens_and_image_spans() -> None:
    text = "<|im_start|>user\n<img>synth/a.png</img>What color?<|im_end|>"
    assert pieces(text) == ["user", "\n", "What", " color", "?"]


def test_bpe_merges_the_most_frequent_pair_first_and_stops_below_min_count() -> None:
    merges = train_bpe([" red red red", " rod"], max_merges=50, min_count=2)
    # " r" occurs 4 times, then " re" / "ed" 3 times (ties broken by bytes), and nothing of " rod" alone.
    assert merges[0] == b" r"
    assert b" red" in merges
    assert b" rod" not in merges and b"od" not in merges
    assert train_bpe([" red red red", " rod"], max_merges=50, min_count=2) == merges  # deterministic


def test_tiktoken_file_round_trips_and_specials_follow_the_ranks(tmp_path: Path) -> None:
    merges = train_bpe(["What color is the circle? Answer: red"] * 3, max_merges=100)
    ranks = mergeable_ranks(merges)
    path = tmp_path / "qwen.tiktoken"
    write_tiktoken(ranks, path)
    assert read_tiktoken_ranks(path) == ranks
    assert all(ranks[bytes([b])] == b for b in range(256))
    tokenizer = QwenTokenizer.from_file(path)
    assert len(tokenizer) == len(ranks) + len(SPECIAL_TOKENS)
    assert tokenizer.eod_id == len(ranks)  # <|endoftext|> is the first id after the BPE ranks
    assert tokenizer.img_start_id == len(ranks) + SPECIAL_TOKENS.index("<img>")
    ids = tokenizer.encode(" circle")
    assert len(ids) == 1 and tokenizer.decode(ids) == " circle"
    text = "<img>x.png</img>What color is the circle? Answer: red<|endoftext|>"
    encoded = tokenizer.encode(text)
    assert encoded[0] == tokenizer.img_start_id and encoded[257] == tokenizer.img_end_id
    assert tokenizer.decode(encoded) == text
    assert tokenizer.decode(encoded, skip_special_tokens=True) == "x.pngWhat color is the circle? Answer: red"
