"""ANLS against the official DocVQA/InfographicVQA evaluation, plus its quirks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.metrics import anls, levenshtein

GOLDEN = json.loads((Path(__file__).parent / "golden" / "anls.json").read_text())


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: str(c["id"]))
def test_golden_case(case: dict) -> None:
    assert anls(case["prediction"], case["answers"]) == pytest.approx(case["expected"], abs=1e-9)


def test_golden_aggregate() -> None:
    scores = [anls(c["prediction"], c["answers"]) for c in GOLDEN["cases"]]
    assert sum(scores) / len(scores) == pytest.approx(GOLDEN["aggregate"]["anls"], abs=1e-9)


def test_levenshtein() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    assert levenshtein("abc", "abc") == 0


def test_denominator_uses_the_raw_strings() -> None:
    # distance 1 between "abcd" and "abce"; raw lengths 4 vs 8 ("  abce  ")
    assert anls("abce", ["abcd"]) == pytest.approx(0.75)
    assert anls("  abce  ", ["abcd"]) == pytest.approx(1 - 1 / 8)
    # 'ß'.upper() is 'SS': the denominator grows by one
    assert anls("straße", ["strasse"]) == pytest.approx(1 - 2 / 7)


def test_threshold_boundary_is_kept_and_below_is_zero() -> None:
    assert anls("ab", ["ac"]) == 0.5  # exactly the threshold: kept
    assert anls("abc", ["axy"]) == 0.0  # 1 - 2/3 < 0.5
    assert anls("", [""]) == 1.0
    assert anls("x", ["a", "x"]) == 1.0  # best answer counts


def test_no_reference_answers_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one reference"):
        anls("x", [])
