"""Parsers for the bounding boxes each model family writes in its text output.

A parser never raises: text it cannot read gives ``None``, which grounding scores as the official
Qwen-VL script does, as the box (0, 0, 0, 0). Each parser says in which frame its numbers are:
``"grid1000"`` (Qwen-VL and Qwen2-VL: integers on a 0..1000 grid), ``"unit"`` (fractions of the
width and height, as LLaVA writes them) or ``"pixel"`` (absolute pixels of the original image).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

BoxFrame = Literal["grid1000", "unit", "pixel"]


@dataclass(frozen=True)
class ParsedBox:
    """``(x1, y1, x2, y2)`` as written by the model, in ``frame``."""

    coords: tuple[float, float, float, float]
    frame: BoxFrame


BoxParser = Callable[[str], "ParsedBox | None"]

# Qwen-VL eval_mm/evaluate_grounding.py: PATTERN = re.compile(r'\((.*?)\),\((.*?)\)').
_QWEN_VL_PAIR = re.compile(r"\((.*?)\),\((.*?)\)")


def _two_floats(group: str) -> tuple[float, float] | None:
    parts = group.split(",")
    if len(parts) != 2:
        return None
    try:
        return float(parts[0]), float(parts[1])
    except ValueError:
        return None


def parse_qwen_vl_box(text: str) -> ParsedBox | None:
    """Qwen-VL's ``(x1,y1),(x2,y2)`` on the 0..1000 grid, read exactly as its official grounding
    evaluation (``eval_mm/evaluate_grounding.py``) reads it.

    Only the first match of the lazy regex ``\\((.*?)\\),\\((.*?)\\)`` counts; each group must split on
    ``,`` into exactly two ``float()``-able parts. Quirks kept: ``"(1,2), (3,4)"`` (space after
    ``),``) does not match, and prose with an earlier ``(`` swallows the box into group 1.
    """
    match = _QWEN_VL_PAIR.search(text)
    if match is None:
        return None
    first, second = _two_floats(match.group(1)), _two_floats(match.group(2))
    if first is None or second is None:
        return None
    return ParsedBox((first[0], first[1], second[0], second[1]), "grid1000")


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_POINT_PAIR = re.compile(
    rf"\(\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\)\s*,?\s*(?:to\s*)?\(\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\)"
)
_FOUR_LIST = re.compile(rf"\[\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\]")


def _four(match: re.Match[str]) -> tuple[float, float, float, float]:
    return float(match.group(1)), float(match.group(2)), float(match.group(3)), float(match.group(4))


def parse_point_pair_box(text: str) -> ParsedBox | None:
    """``(x1,y1),(x2,y2)`` on the 0..1000 grid, read leniently: spaces anywhere, an optional
    comma or "to" between the corners, the first well-formed pair wins (Qwen2-VL writes this form
    between ``<|box_start|>`` and ``<|box_end|>``)."""
    match = _POINT_PAIR.search(text)
    return None if match is None else ParsedBox(_four(match), "grid1000")


def parse_unit_list_box(text: str) -> ParsedBox | None:
    """The first ``[x1, y1, x2, y2]`` list, in fractions of width and height (LLaVA-1.5)."""
    match = _FOUR_LIST.search(text)
    return None if match is None else ParsedBox(_four(match), "unit")


def parse_pixel_list_box(text: str) -> ParsedBox | None:
    """The first ``[x1, y1, x2, y2]`` list, in absolute pixels of the original image (e.g. a
    ``"bbox_2d": [...]`` answer)."""
    match = _FOUR_LIST.search(text)
    return None if match is None else ParsedBox(_four(match), "pixel")


BOX_PARSERS: dict[str, BoxParser] = {
    "qwen-vl": parse_qwen_vl_box,
    "qwen2-vl": parse_point_pair_box,
    "unit-list": parse_unit_list_box,
    "pixel-list": parse_pixel_list_box,
}


def get_box_parser(name: str) -> BoxParser:
    """The named parser; ``ValueError`` naming the known ones otherwise."""
    if name not in BOX_PARSERS:
        raise ValueError(f"unknown box parser {name!r}; use one of {', '.join(sorted(BOX_PARSERS))}")
    return BOX_PARSERS[name]
