"""TouchStone scores from judge replies, against the official eval.py run with canned replies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.metrics import parse_judge_reply, touchstone_score
from evalkit.metrics.touchstone import touchstone_rounds

GOLDEN = json.loads((Path(__file__).parent / "golden" / "touchstone.json").read_text())


def _calls(replies: list[str], n_calls: int) -> list[str | None]:
    # The golden file serves the last reply again when the script made more calls.
    served: list[str | None] = [None if r == "<API exception>" else r for r in replies]
    return served + [served[-1]] * (n_calls - len(served))


def _question(case: dict) -> dict:
    return {
        "category": case["category"],
        "round1": _calls(case["round1_judge_replies"], case["round1_api_calls"]),
        "round2": _calls(case["round2_judge_replies"], case["round2_api_calls"]),
    }


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=lambda c: str(c["id"]))
def test_golden_rounds(case: dict) -> None:
    round1, round2 = touchstone_rounds(_question(case))
    for judged, expected, model_key, reference_key in (
        (round1, case["expected_round1"], "score2", "score1"),
        (round2, case["expected_round2"], "score1", "score2"),
    ):
        assert judged.excluded is expected["excluded"]
        if not expected["excluded"]:
            assert judged.model_score == expected[model_key]
            assert judged.reference_score == expected[reference_key]
    kept = [r.model_score for r in (round1, round2) if not r.excluded]
    assert kept == case["expected_model_scores"]


def test_golden_aggregate() -> None:
    result = touchstone_score([_question(c) for c in GOLDEN["cases"]])
    aggregate = GOLDEN["aggregate"]
    assert result["score"] == pytest.approx(aggregate["overall"]["qwen-vl-chat"], abs=1e-9)
    assert result["reference_score"] == pytest.approx(aggregate["overall"]["gpt4-ha"], abs=1e-9)
    for category, by_model in aggregate["per_category"].items():
        assert result["per_category"][category] == pytest.approx(by_model["qwen-vl-chat"], abs=1e-9)
        assert result["reference_per_category"][category] == pytest.approx(by_model["gpt4-ha"], abs=1e-9)
    excluded = sum(c["expected_round1"]["excluded"] + c["expected_round2"]["excluded"] for c in GOLDEN["cases"])
    assert result["excluded_rounds"] == excluded == 4


@pytest.mark.parametrize(
    ("reply", "parsed"),
    [
        ("8 7\nreason", (8.0, 7.0)),
        (" 8 7", (8.0, 7.0)),
        ("8.5 7", (8.5, 7.0)),
        ("1e1 5", (10.0, 5.0)),
        ("8  7", None),  # two spaces
        ("8,7", None),
        ("Score: 8 7", None),
        ("8 7 6", None),
        ("\n8 7", None),  # the judge stops at the first newline: nothing before it
        ("", None),
        (None, None),  # the call raised
    ],
)
def test_parse_judge_reply(reply: str | None, parsed: tuple[float, float] | None) -> None:
    assert parse_judge_reply(reply) == parsed


def test_exclusion_retries_and_categories() -> None:
    questions = [
        {"category": "A, B", "round1": ["bad", None, "6 4"], "round2": ["5 5"]},
        {"category": "A,A", "round1": ["x"] * 5 + ["9 9"], "round2": ["8 2"]},  # 6th reply is never made
    ]
    result = touchstone_score(questions)
    # model scores: q1 round1 -> 4 (second of the pair), round2 -> 5; q2 round1 excluded, round2 -> 8
    assert result["score"] == pytest.approx((4 + 5 + 8) / 3 * 100)
    assert result["excluded_rounds"] == 1 and result["judged_rounds"] == 3
    assert result["per_category"] == {"A": pytest.approx((4 + 5 + 8 + 8) / 4 * 100), " B": pytest.approx(450.0)}


def test_nothing_judged_gives_no_score() -> None:
    result = touchstone_score([{"category": "A", "round1": [None], "round2": []}])
    assert result["score"] is None and result["excluded_rounds"] == 2
