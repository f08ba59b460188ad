"""Named value transforms a task's field mapping may apply (``{column: bbox, transform: xywh_to_xyxy}``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evalkit.errors import ConfigError, DataError, did_you_mean

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

TRANSFORMS: dict[str, Callable[[Any], Any]] = {}


def transform(name: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    def deco(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        TRANSFORMS[name] = fn
        return fn

    return deco


def apply_transform(name: str, value: Any) -> Any:
    if name not in TRANSFORMS:
        raise ConfigError(f"unknown transform {name!r}{did_you_mean(name, TRANSFORMS)} (known: {', '.join(sorted(TRANSFORMS))})")
    try:
        return TRANSFORMS[name](value)
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise DataError(f"transform {name!r} cannot handle the value {str(value)[:80]!r}: {exc}") from exc


@transform("str")
def to_str(value: Any) -> str:
    return "" if value is None else str(value)


@transform("int")
def to_int(value: Any) -> int:
    return int(value)


@transform("float")
def to_float(value: Any) -> float:
    return float(value)


@transform("strip")
def strip(value: Any) -> str:
    return str(value).strip()


@transform("list")
def to_list(value: Any) -> list[Any]:
    """A scalar becomes a one-element list; a list (or tuple) stays as it is."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@transform("answer_list")
def answer_list(value: Any) -> list[str]:
    """VQAv2-style ``[{answer, answer_confidence, answer_id}, …]`` (or plain strings) → answer strings."""
    return [str(a["answer"]) if isinstance(a, dict) else str(a) for a in to_list(value)]


@transform("xywh_to_xyxy")
def xywh_to_xyxy(value: Any) -> list[float]:
    """COCO ``[x, y, w, h]`` in pixels → ``[x1, y1, x2, y2]`` in pixels."""
    x, y, w, h = (float(v) for v in value)
    return [x, y, x + w, y + h]


@transform("index_to_letter")
def index_to_letter(value: Any) -> str:
    return LETTERS[int(value)]


@transform("first")
def first(value: Any) -> Any:
    return to_list(value)[0]


@transform("lower")
def lower(value: Any) -> str:
    return str(value).lower()
