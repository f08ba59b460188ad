"""Referring-expression grounding (RefCOCO, RefCOCO+, RefCOCOg): IoU of the predicted box."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from evalkit.metrics.boxes import ParsedBox, get_box_parser

GroundingProtocol = Literal["qwen-vl", "standard"]
PROTOCOLS: tuple[GroundingProtocol, ...] = ("qwen-vl", "standard")
IOU_THRESHOLD = 0.5


def grounding_score(
    prediction: str,
    gt_bbox: Sequence[float],
    width: float,
    height: float,
    protocol: str = "qwen-vl",
    parser: str = "qwen-vl",
) -> tuple[list[float], float, bool]:
    """``(predicted box in pixels, IoU, IoU >= 0.5)`` for one model output.

    ``gt_bbox`` is ``[x1, y1, x2, y2]`` in pixels of an image ``width`` × ``height``; ``parser``
    names how the model writes boxes (see ``evalkit.metrics.boxes``). Text the parser cannot read
    gives the box (0, 0, 0, 0).

    ``protocol="qwen-vl"`` reproduces the per-output loop of Qwen-VL's
    ``eval_mm/evaluate_grounding.py`` with its ``box_iou``, quirks included: 0..1000 grid values
    are divided by **999**, everything is computed in float32 in the official order of operations,
    nothing is clamped, a box with swapped corners keeps its signed area, and two zero-area boxes
    give the IoU NaN (0/0), which is not correct. ``protocol="standard"`` corrects the quirks:
    grid values are divided by 1000, the arithmetic is float64, and a box with non-positive width
    or height (or a zero union) has IoU 0.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown grounding protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    if len(gt_bbox) != 4:
        raise ValueError(f"gt_bbox must be [x1, y1, x2, y2] in pixels, got {list(gt_bbox)!r}")
    parsed = get_box_parser(parser)(prediction)
    if parsed is None:
        parsed = ParsedBox((0.0, 0.0, 0.0, 0.0), "grid1000")
    if protocol == "qwen-vl":
        box32 = _to_pixels_float32(parsed, width, height)
        iou = _iou_float32(box32, np.asarray(gt_bbox, dtype=np.float32))
        return [float(v) for v in box32], iou, bool(iou >= IOU_THRESHOLD)
    box = _to_pixels(parsed, width, height, grid_divisor=1000.0)
    iou = _iou_standard(box, [float(v) for v in gt_bbox])
    return box, iou, iou >= IOU_THRESHOLD


def _to_pixels_float32(parsed: ParsedBox, width: float, height: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        box = np.asarray(parsed.coords, dtype=np.float32)
        if parsed.frame == "grid1000":
            box = box / np.float32(999)
        if parsed.frame != "pixel":
            box[0::2] *= np.float32(width)
            box[1::2] *= np.float32(height)
    return box


def _iou_float32(box: np.ndarray, gt: np.ndarray) -> float:
    """Qwen-VL's ``box_iou`` (torchvision ``box_area``) for one pair of boxes, in float32."""
    with np.errstate(all="ignore"):
        area1 = (box[2] - box[0]) * (box[3] - box[1])
        area2 = (gt[2] - gt[0]) * (gt[3] - gt[1])
        wh = np.maximum(np.minimum(box[2:], gt[2:]) - np.maximum(box[:2], gt[:2]), np.float32(0))
        inter = wh[0] * wh[1]
        union = area1 + area2 - inter
        return float(inter / union)


def _to_pixels(parsed: ParsedBox, width: float, height: float, grid_divisor: float) -> list[float]:
    x1, y1, x2, y2 = parsed.coords
    if parsed.frame == "pixel":
        return [x1, y1, x2, y2]
    scale = grid_divisor if parsed.frame == "grid1000" else 1.0
    return [x1 / scale * width, y1 / scale * height, x2 / scale * width, y2 / scale * height]


def _iou_standard(box: Sequence[float], gt: Sequence[float]) -> float:
    w1, h1 = box[2] - box[0], box[3] - box[1]
    w2, h2 = gt[2] - gt[0], gt[3] - gt[1]
    if not (w1 > 0 and h1 > 0 and w2 > 0 and h2 > 0):
        return 0.0
    iw = min(box[2], gt[2]) - max(box[0], gt[0])
    ih = min(box[3], gt[3]) - max(box[1], gt[1])
    inter = max(iw, 0.0) * max(ih, 0.0)
    union = w1 * h1 + w2 * h2 - inter
    iou = inter / union if union > 0 else 0.0
    return iou if math.isfinite(iou) else 0.0
