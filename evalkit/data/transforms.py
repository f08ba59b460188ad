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
        raise ConfigError(
            f"unknown transform {name!r}{did_you_mean(name, TRANSFORMS)} (known: {', '.join(sorted(TRANSFORMS))})"
        )
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


@transform("or_na")
def or_na(value: Any) -> str:
    """Empty or missing text becomes ``N/A``: ScienceQA's context as Qwen-VL's
    ``eval_mm/evaluate_multiple_choice.py`` writes it (``hint if hint else 'N/A'``)."""
    text = "" if value is None else str(value)
    return text if text else "N/A"


@transform("pick_option")
def pick_option(value: Any) -> str:
    """``[options, index]`` (two columns) → the text of the option at ``index`` (AI2D's answer)."""
    options, index = value
    return str(to_list(options)[int(index)])


def _image_size(cell: Any) -> tuple[int, int]:
    """Width and height read from an embedded image's header (no full decode)."""
    import base64
    import io

    from PIL import Image, UnidentifiedImageError

    raw = cell.get("bytes") if isinstance(cell, dict) else cell
    if isinstance(raw, str) and len(raw) > 64:
        raw = base64.b64decode(raw)
    if not isinstance(raw, (bytes, bytearray)) or not raw:
        raise ValueError("the image is not embedded in the data (only a path); map width and height to columns instead")
    try:
        with Image.open(io.BytesIO(raw)) as image:
            return image.size
    except (OSError, UnidentifiedImageError) as exc:
        raise ValueError(f"cannot read the image header: {exc}") from exc


@transform("image_width")
def image_width(value: Any) -> int:
    """The width in pixels of an embedded image cell (RefCOCO on the hub has no width column)."""
    return _image_size(value)[0]


@transform("image_height")
def image_height(value: Any) -> int:
    """The height in pixels of an embedded image cell."""
    return _image_size(value)[1]


# SEED-Bench v1 ``question_type_id`` → evaluation dimension (AILab-CVC/SEED-Bench DATASET.md, in the
# order fixed on 2023-08-02; the first release had 3 and 4 swapped).
SEED_DIMENSIONS = {
    1: "Scene Understanding", 2: "Instance Identity", 3: "Instance Attributes", 4: "Instance Location",
    5: "Instances Counting", 6: "Spatial Relation", 7: "Instance Interaction", 8: "Visual Reasoning",
    9: "Text Understanding", 10: "Action Recognition", 11: "Action Prediction", 12: "Procedure Understanding",
}  # fmt: skip


@transform("seed_dimension")
def seed_dimension(value: Any) -> str:
    """A SEED-Bench ``question_type_id`` (1-12) → its dimension name."""
    key = int(value)
    if key not in SEED_DIMENSIONS:
        raise ValueError(f"SEED-Bench question_type_id runs from 1 to 12, got {value!r}")
    return SEED_DIMENSIONS[key]


def uniform_frame_indices(num_frames: int, num_segments: int) -> list[int]:
    """Which of ``num_frames`` frames to keep, as ``get_index`` of Qwen-VL's ``eval_mm/seed_bench/trans.py``:
    all frames when there are fewer than ``num_segments``, else the frame near the middle of each of
    ``num_segments`` equal segments (rounding half to even, as numpy does)."""
    if num_segments > num_frames:
        return list(range(num_frames))
    seg_size = float(num_frames - 1) / num_segments
    start = int(seg_size / 2)
    return [start + round(seg_size * i) for i in range(num_segments)]


def _frames(value: Any, n: int) -> list[Any]:
    frames = to_list(value)
    return [frames[i] for i in uniform_frame_indices(len(frames), n)]


@transform("uniform_frames_4")
def uniform_frames_4(value: Any) -> list[Any]:
    """Four uniformly sampled frames of a list of frames (the 4 frames of Qwen-VL's published SEED-Bench
    video input); a single image stays as it is."""
    return _frames(value, 4)


@transform("uniform_frames_8")
def uniform_frames_8(value: Any) -> list[Any]:
    """Eight uniformly sampled frames (``n_frames = 8`` of Qwen-VL's ``seed_bench/trans.py``)."""
    return _frames(value, 8)


@transform("content_id")
def content_id(value: Any) -> str:
    """A short stable id hashed from a row's own content (its question, image bytes, options...),
    for datasets with no id column (ChartQA, AI2D, ScienceQA). Rows with identical content get the
    same id; pair it with ``fields.repeated_ids: number`` when such repeats exist."""
    import hashlib
    import json

    def plain(v: Any) -> Any:
        if isinstance(v, (bytes, bytearray)):
            return {"sha1": hashlib.sha1(bytes(v)).hexdigest()}
        if isinstance(v, dict):
            return plain(v["bytes"]) if v.get("bytes") else {str(k): plain(x) for k, x in sorted(v.items())}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if hasattr(v, "tolist") and not isinstance(v, str):
            return plain(v.tolist())
        return v if isinstance(v, (int, float, bool)) or v is None else str(v)

    blob = json.dumps(plain(value), sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha1(blob).hexdigest()[:16]
