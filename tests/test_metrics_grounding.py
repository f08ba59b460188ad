"""Grounding against the official Qwen-VL grounding evaluation (float32), plus the box parsers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evalkit.metrics import get_box_parser, grounding_score, parse_point_pair_box, parse_qwen_vl_box

GOLDEN = json.loads((Path(__file__).parent / "golden" / "grounding.json").read_text())


def _float(value: float | str) -> float:
    return float(value)  # the golden file writes non-finite values as "NaN", "Infinity"


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, abs=1e-9)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: str(c["id"]))
def test_golden_case(case: dict) -> None:
    box, iou, correct = grounding_score(case["prediction"], case["gt_bbox"], case["width"], case["height"])
    assert all(_same(a, _float(b)) for a, b in zip(box, case["expected_box"]))
    assert _same(iou, _float(case["expected_iou"]))
    assert correct is case["expected_correct"]


def test_golden_precision() -> None:
    correct = [grounding_score(c["prediction"], c["gt_bbox"], c["width"], c["height"])[2] for c in GOLDEN["cases"]]
    assert sum(correct) == GOLDEN["aggregate"]["correct"]


def test_float32_matters_near_the_grid_edge() -> None:
    # The official pipeline divides by 999 in float32; a float64 computation differs by > 1e-9.
    box, _, _ = grounding_score("(100,200),(500,800)", [64, 96, 320, 384], 640, 480)
    assert box[0] == 64.0640640258789
    assert box[0] != 100 / 999 * 640


def test_standard_protocol_divides_by_1000_and_corrects_degenerate_boxes() -> None:
    box, iou, correct = grounding_score("(0,0),(1000,1000)", [0, 0, 640, 480], 640, 480, protocol="standard")
    assert box == [0.0, 0.0, 640.0, 480.0] and iou == 1.0 and correct
    _, iou_official, _ = grounding_score("(0,0),(0,0)", [10, 10, 10, 10], 640, 480, protocol="qwen-vl")
    _, iou_standard, _ = grounding_score("(0,0),(0,0)", [10, 10, 10, 10], 640, 480, protocol="standard")
    assert math.isnan(iou_official) and iou_standard == 0.0
    # swapped corners: a negative area enters the official union, the standard IoU is 0
    _, iou_swapped, _ = grounding_score("(500,800),(100,200)", [64, 96, 320, 384], 640, 480, protocol="standard")
    assert iou_swapped == 0.0


def test_parse_failures_become_the_zero_box() -> None:
    for text in ["(1,2), (3,4)", "(100,200)", "", "the dog (left) is at (100,200),(500,800)"]:
        assert parse_qwen_vl_box(text) is None
        box, iou, correct = grounding_score(text, [64, 96, 320, 384], 640, 480)
        assert box == [0.0, 0.0, 0.0, 0.0] and iou == 0.0 and not correct


def test_other_families_use_their_own_parsers() -> None:
    # Qwen2-VL: the same grid, read leniently (space after the comma, <|box_start|> tags removed)
    parsed = parse_point_pair_box("<|box_start|>(100, 200), (500, 800)<|box_end|>")
    assert parsed is not None and parsed.coords == (100, 200, 500, 800) and parsed.frame == "grid1000"
    # LLaVA-style fractions and pixel lists
    box, iou, _ = grounding_score("[0.1, 0.2, 0.5, 0.8]", [64, 96, 320, 384], 640, 480, "standard", "unit-list")
    assert box == pytest.approx([64, 96, 320, 384]) and iou == pytest.approx(1.0)
    box, _, correct = grounding_score(
        '{"bbox_2d": [64, 96, 320, 384]}', [64, 96, 320, 384], 640, 480, "standard", "pixel-list"
    )
    assert box == [64, 96, 320, 384] and correct


def test_unknown_names_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown box parser"):
        get_box_parser("llava")
    with pytest.raises(ValueError, match="unknown grounding protocol"):
        grounding_score("(1,2),(3,4)", [0, 0, 1, 1], 10, 10, protocol="coco")
    with pytest.raises(ValueError, match="gt_bbox"):
        grounding_score("(1,2),(3,4)", [0, 0, 1], 10, 10)
