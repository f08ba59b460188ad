"""Multiple-choice selection: by option loss (official SEED-Bench statements) and from text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.metrics import choice_from_losses, choice_from_text, mean_target_loss, option_letter

GOLDEN = json.loads((Path(__file__).parent / "golden" / "seed_likelihood.json").read_text())


def _option_losses(case: dict) -> list[float]:
    if "option_losses" in case:
        return case["option_losses"]
    return [mean_target_loss(tokens, n) for tokens, n in zip(case["token_losses"], case["target_lengths"])]


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: c["id"])
def test_golden_case(case: dict) -> None:
    losses = _option_losses(case)
    if "token_losses" in case:
        assert losses == pytest.approx(case["expected_option_losses_float32"], abs=1e-9)
    prediction = option_letter(choice_from_losses(losses))
    assert prediction == case["expected_prediction"]
    assert int(prediction == case["answer"]) == case["expected_correct"]


def test_golden_accuracy() -> None:
    correct = [option_letter(choice_from_losses(_option_losses(c))) == c["answer"] for c in GOLDEN["cases"]]
    assert sum(correct) / len(correct) == GOLDEN["aggregate"]["acc_at_1"]


def test_ties_are_judged_in_float32_and_go_to_the_first() -> None:
    assert choice_from_losses([0.5, 0.5, 0.9]) == 0
    # different doubles, the same float32: a tie, so the first wins
    assert choice_from_losses([1.0000000001, 1.0, 2.0]) == 0
    assert choice_from_losses([1.0001, 1.0, 2.0]) == 1
    with pytest.raises(ValueError):
        choice_from_losses([])


OPTIONS = ["a red car", "a blue bus", "a green tram", "a bike"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B", 1),
        ("(C).", 2),
        ("The answer is D.", 3),
        ("Answer: (B) a blue bus", 1),
        ("I think the correct option is C", 2),
        ("A. a red car", 0),
        ("[D]", 3),
        ("It shows a green tram on the street.", 2),
        ("A cat sits on the mat.", None),  # the article 'A' is not a letter answer
        ("E", None),  # no option E
        ("The answer is e", None),  # letters are upper case
        ("a red car or a blue bus", None),  # two options named: ambiguous
        ("", None),
    ],
)
def test_choice_from_text(text: str, expected: int | None) -> None:
    assert choice_from_text(text, OPTIONS) == expected


def test_longer_option_text_wins_only_when_it_contains_the_others() -> None:
    assert choice_from_text("it is a red car", ["car", "red car", "bus"]) == 1
    assert choice_from_text("anything", []) is None


def test_mean_target_loss_checks_its_length() -> None:
    assert mean_target_loss([9.0, 0.2, 0.4], 2) == pytest.approx(0.30000001192092896, abs=1e-12)
    with pytest.raises(ValueError, match="target_length"):
        mean_target_loss([1.0], 2)
