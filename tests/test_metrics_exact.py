"""Exact match (OCR-VQA, AI2D) and GQA accuracy against the official Qwen-VL evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.metrics import exact_match, gqa_accuracy, gqa_clean_answer

GOLDEN_DIR = Path(__file__).parent / "golden"
EXACT = json.loads((GOLDEN_DIR / "exact_match_accuracy.json").read_text())
GQA = json.loads((GOLDEN_DIR / "gqa_accuracy.json").read_text())


@pytest.mark.parametrize("case", EXACT["cases"], ids=lambda c: str(c["id"]))
def test_exact_match_golden(case: dict) -> None:
    assert exact_match(case["prediction"], case["answers"]) == case["expected"]


@pytest.mark.parametrize("case", GQA["cases"], ids=lambda c: str(c["id"]))
def test_gqa_golden(case: dict) -> None:
    assert gqa_clean_answer(case["prediction"]) == case["cleaned_prediction"]
    assert gqa_accuracy(case["prediction"], case["answers"]) == case["expected"]


def test_golden_aggregates() -> None:
    for golden, fn in ((EXACT, exact_match), (GQA, gqa_accuracy)):
        scores = [fn(c["prediction"], c["answers"]) for c in golden["cases"]]
        assert sum(scores) / len(scores) == pytest.approx(golden["aggregate"]["accuracy"], abs=1e-9)


def test_exact_match_keeps_punctuation_and_uses_lower() -> None:
    assert exact_match("  Paris ", ["paris"]) == 1.0
    assert exact_match("Paris.", ["paris"]) == 0.0
    assert exact_match("STRASSE", ["straße"]) == 0.0  # lower(), not casefold()
    assert exact_match("b", ["a", "B"]) == 1.0


@pytest.mark.parametrize(
    ("prediction", "cleaned"),
    [
        ("tennis racket", "racket"),  # 'is ' inside 'tennis '
        ("sofa bed", "bed"),  # 'a ' inside 'sofa '
        ("this is a cat", ""),  # 'th|is |is a cat' -> second piece is ''
        ("3.5 meters", "3"),
        ("The color of the car", "color"),
        ("Yes, it is!", "yes"),
    ],
)
def test_gqa_clean_up_quirks(prediction: str, cleaned: str) -> None:
    assert gqa_clean_answer(prediction) == cleaned


def test_missing_answers_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one reference"):
        exact_match("x", [])
