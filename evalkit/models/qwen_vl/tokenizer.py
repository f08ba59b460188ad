"""The Qwen-VL tokenizer: tiktoken BPE over ``qwen.tiktoken`` plus the official special tokens.

Reproduces ``tokenization_qwen.QWenTokenizer`` of the official Qwen-VL-Chat repository:

* text is NFC-normalised before encoding;
* by default every special-token surface form in the text is parsed as special (``"all"``);
  ChatML role/content text allows only the image/ref/box/quad tags (see ``prompt.py``);
* the text between ``<img>`` and ``</img>`` becomes one id per UTF-8 byte of the path (the id equals
  the byte value), padded with ``<imgpad>`` to 256 ids (``image_span``: the resampler's queries, 256
  in every official checkpoint); those positions later carry image features;
* decoding expands an image span back into its path text, and ``skip_special_tokens`` keeps only
  ids below ``<|endoftext|>`` (151643), as the official evaluation scripts decode.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Literal, Union

from evalkit.errors import ModelLoadError

PAT_STR = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"""
    r"""\s*[\r\n]+|\s+(?!\S)|\s+"""
)
ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
IMAGE_START = "<img>"
IMAGE_END = "</img>"
IMAGE_PAD = "<imgpad>"
# The tags a ChatML turn may contain as specials (the official ``IMAGE_ST``), in id order.
VISION_TAGS = ("<ref>", "</ref>", "<box>", "</box>", "<quad>", "</quad>", IMAGE_START, IMAGE_END, IMAGE_PAD)
SPECIAL_TOKENS = (ENDOFTEXT, IM_START, IM_END) + tuple(f"<|extra_{i}|>" for i in range(205)) + VISION_TAGS
IMAGE_SPAN = 256  # ids between <img> and </img> in the official checkpoints

AllowedSpecial = Union[Literal["all"], Collection[str]]


def read_tiktoken_ranks(path: Path) -> dict[bytes, int]:
    """Parse a ``*.tiktoken`` file: one ``base64(token) rank`` pair per line."""
    try:
        contents = path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"cannot read the vocabulary {path}: {exc}") from exc
    ranks: dict[bytes, int] = {}
    for number, line in enumerate(contents.splitlines(), start=1):
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
        except ValueError as exc:
            raise ModelLoadError(f"{path}:{number} is not a 'base64 rank' line of a tiktoken file") from exc
    return ranks


class QwenTokenizer:
    """Encode and decode Qwen-VL ids exactly as the official tokenizer does."""

    def __init__(self, mergeable_ranks: dict[bytes, int], image_span: int = IMAGE_SPAN) -> None:
        import tiktoken

        if image_span <= 0:
            raise ValueError(f"an image span holds at least one id, not {image_span}")
        self.image_span = image_span  # ids between <img> and </img>: the model's image tokens

        n_ranks = len(mergeable_ranks)
        self.special_tokens = {token: n_ranks + i for i, token in enumerate(SPECIAL_TOKENS)}
        self._encoding = tiktoken.Encoding(
            "Qwen", pat_str=PAT_STR, mergeable_ranks=mergeable_ranks, special_tokens=self.special_tokens
        )
        self.eod_id = self.special_tokens[ENDOFTEXT]
        self.im_start_id = self.special_tokens[IM_START]
        self.im_end_id = self.special_tokens[IM_END]
        self.img_start_id = self.special_tokens[IMAGE_START]
        self.img_end_id = self.special_tokens[IMAGE_END]
        self.img_pad_id = self.special_tokens[IMAGE_PAD]

    @classmethod
    def from_file(cls, path: Path, image_span: int = IMAGE_SPAN) -> "QwenTokenizer":
        return cls(read_tiktoken_ranks(path), image_span)

    def __len__(self) -> int:
        return int(self._encoding.n_vocab)

    def encode(self, text: str, allowed_special: AllowedSpecial = "all") -> list[int]:
        """Token ids of ``text``; special surface forms outside ``allowed_special`` are plain text."""
        text = unicodedata.normalize("NFC", text)
        if allowed_special == "all":
            ids = self._encoding.encode(text, allowed_special="all", disallowed_special=())
        else:
            ids = self._encoding.encode(text, allowed_special=set(allowed_special), disallowed_special=())
        return self._expand_image_paths(ids)

    def _expand_image_paths(self, ids: list[int]) -> list[int]:
        out: list[int] = []
        start = 0
        while True:
            begin = _find(ids, self.img_start_id, start)
            if begin < 0:
                out.extend(ids[start:])
                return out
            end = _find(ids, self.img_end_id, begin)
            if end < 0:
                raise ValueError(f"unclosed {IMAGE_START} tag: every {IMAGE_START} needs a {IMAGE_END}")
            out.extend(ids[start:begin])
            out.extend(self._image_span(ids[begin + 1 : end]))
            start = end + 1

    def _image_span(self, inner: list[int]) -> list[int]:
        if any(i >= self.eod_id for i in inner):
            raise ValueError(f"an image path between {IMAGE_START} and {IMAGE_END} cannot contain special tokens")
        path_bytes = self._encoding.decode_bytes(inner)
        if len(path_bytes) > self.image_span:
            raise ValueError(
                f"the image path between {IMAGE_START} and {IMAGE_END} is {len(path_bytes)} bytes; "
                f"at most {self.image_span} fit"
            )
        body = list(path_bytes) + [self.img_pad_id] * (self.image_span - len(path_bytes))
        return [self.img_start_id, *body, self.img_end_id]

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False, errors: str = "replace") -> str:
        """Text of ``ids``; image spans show their path. With ``skip_special_tokens`` only ids < eod stay."""
        expanded = self._collapse_image_paths([int(i) for i in ids])
        if skip_special_tokens:
            expanded = [i for i in expanded if i < self.eod_id]
        return str(self._encoding.decode(expanded, errors=errors))

    def _collapse_image_paths(self, ids: list[int]) -> list[int]:
        out: list[int] = []
        start = 0
        while True:
            begin = _find(ids, self.img_start_id, start)
            end = _find(ids, self.img_end_id, begin) if begin >= 0 else -1
            if begin < 0 or end < 0:
                # An unclosed tag (possible in generated text) is decoded as it stands.
                out.extend(ids[start:])
                return out
            out.extend(ids[start:begin])
            out.append(self.img_start_id)
            out.extend(self._path_ids(ids[begin + 1 : end]))
            out.append(self.img_end_id)
            start = end + 1

    def _path_ids(self, span: list[int]) -> list[int]:
        body = span[: span.index(self.img_pad_id)] if self.img_pad_id in span else span
        if any(i > 255 for i in body):
            return body  # not a path written by ``encode`` (e.g. generated); keep the ids
        path = bytes(body).decode("utf-8", errors="replace")
        return list(self._encoding.encode_ordinary(path))


def _find(ids: list[int], value: int, start: int) -> int:
    try:
        return ids.index(value, start)
    except ValueError:
        return -1
