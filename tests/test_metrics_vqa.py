"""VQA accuracy against the official VQAEval outputs, plus one hand-written case per quirk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.metrics import vqa_accuracy, vqa_normalize_answers, vqa_normalize_prediction
from evalkit.metrics.vqa import vqa_process_punctuation

GOLDEN = json.loads((Path(__file__).parent / "golden" / "vqa_accuracy.json").read_text())


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: str(c["id"]))
def test_golden_case(case: dict) -> None:
    assert vqa_normalize_prediction(case["prediction"]) == case["processed_prediction"]
    assert vqa_normalize_answers(case["answers"]) == case["processed_answers"]
    accuracy = vqa_accuracy(case["prediction"], case["answers"])
    assert accuracy == pytest.approx(case["expected"], abs=1e-9)
    assert round(100 * accuracy, 2) == case["expected_percent_rounded"]


def test_golden_aggregate_and_answer_types() -> None:
    cases = GOLDEN["cases"]
    scores = [vqa_accuracy(c["prediction"], c["answers"]) for c in cases]
    assert round(100 * sum(scores) / len(scores), 2) == GOLDEN["aggregate"]["overall_percent_rounded"]
    for answer_type, expected in GOLDEN["aggregate"]["perAnswerType_percent_rounded"].items():
        typed = [s for s, c in zip(scores, cases) if c["answer_type"] == answer_type]
        assert round(100 * sum(typed) / len(typed), 2) == expected


@pytest.mark.parametrize(
    ("matches", "expected"), [(0, 0.0), (1, 0.3), (2, 0.6), (3, 0.9), (4, 1.0), (10, 1.0)]
)
def test_leave_one_out_formula(matches: int, expected: float) -> None:
    answers = (
        ["cat"] * matches + ["dog", "bird", "cow", "fish", "ant", "bee", "owl", "yak", "elk", "emu"][: 10 - matches]
    )
    assert vqa_accuracy("cat", answers) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10-15 - approx", "1015  approx"),  # '-' next to a space: every '-' deleted
        ("1,000-2,000", "10002000"),  # digit-comma-digit: all punctuation deleted
        ("left/right", "left right"),  # otherwise replaced by a space
        ("3.", "3"),  # a period not followed by a digit goes
        ("3.5", "3.5"),
        (".5", ".5"),
        ("a$b%c#", "a$b%c#"),  # never touched
    ],
)
def test_punctuation_quirks(text: str, expected: str) -> None:
    assert vqa_process_punctuation(text) == expected


def test_only_the_first_32_periods_are_removed() -> None:
    assert vqa_process_punctuation("a." * 40) == "a" * 32 + "a." * 8


@pytest.mark.parametrize(
    ("prediction", "expected"),
    [
        ("Two", "2"),
        ("no one", "no 1"),
        ("eleven", "eleven"),
        ("The dog", "dog"),
        ("dont", "don't"),
        ("somebody'd", "somebodyd"),
        ("Im", "im"),  # the capitalised contraction keys never match
        ("yes\tplease\nnow", "yes please now"),
        ("a\u00a0b", "b"),  # split() also breaks at a non-breaking space, then 'a' is dropped
    ],
)
def test_prediction_normalisation(prediction: str, expected: str) -> None:
    assert vqa_normalize_prediction(prediction) == expected


def test_ground_truth_is_not_normalised_like_the_prediction() -> None:
    assert vqa_accuracy("yes", ["yes."] * 10) == 0.0  # single variant: no punctuation step
    assert vqa_accuracy("two", ["two"] * 10) == 0.0  # prediction becomes "2", the answer stays "two"
    assert vqa_accuracy("Yes", ["yes"] * 10) == 1.0
    assert vqa_accuracy("yes", ["Yes"] * 10) == 0.0  # answers are never lower-cased
    # "yes!" among different answers becomes "yes " (trailing space) and never matches.
    assert vqa_normalize_answers(["yes!", "yes"]) == ["yes ", "yes"]


def test_no_reference_answers_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one reference"):
        vqa_accuracy("yes", [])
