"""MME parsing and scores against the official MME eval tool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.metrics import mme_parse, mme_scores

GOLDEN = json.loads((Path(__file__).parent / "golden" / "mme.json").read_text())


def _records(run: dict) -> list[dict]:
    return [
        {"subtask": task, "image": item["image"], "gt": item["gt"], "prediction": item["prediction"]}
        for task, items in run["tasks"].items()
        for item in items
    ]


@pytest.mark.parametrize("row", GOLDEN["parse_table"], ids=lambda r: r["prediction"])
def test_parse_table(row: dict) -> None:
    assert mme_parse(row["prediction"]) == row["expected_parse"]


@pytest.mark.parametrize("run", GOLDEN["cases"], ids=lambda r: r["id"])
def test_golden_run(run: dict) -> None:
    for items in run["tasks"].values():
        assert [mme_parse(i["prediction"]) for i in items] == [i["expected_parse"] for i in items]
    scores = mme_scores(_records(run))
    for task, expected in run["expected_per_task"].items():
        for key in ("acc", "acc_plus", "score"):
            assert scores["subtasks"][task][key] == pytest.approx(expected[key], abs=1e-9), (task, key)
    assert scores["perception"] == pytest.approx(run["expected_totals"]["perception_total"], abs=1e-9)
    assert scores["cognition"] == pytest.approx(run["expected_totals"]["cognition_total"], abs=1e-9)


@pytest.mark.parametrize(
    ("answer", "parsed"),
    [
        ("Yes", "yes"), ("NO", "no"), ("Nope", "no"), ("None", "no"), ("not really", "no"),
        (" yes", "yes"), ("The answer is yes", "other"), ("Unknown", "other"), ("", "other"),
        ("yes, no", "yes"), ("n o", "other"),
    ],
)  # fmt: skip
def test_parse_quirks(answer: str, parsed: str) -> None:
    assert mme_parse(answer) == parsed


def test_hand_computed_subtask() -> None:
    records = [
        {"subtask": "count", "image": "1.jpg", "gt": "Yes", "prediction": "Yes"},
        {"subtask": "count", "image": "1.jpg", "gt": "No", "prediction": "No"},
        {"subtask": "count", "image": "2.jpg", "gt": "Yes", "prediction": "No"},
        {"subtask": "count", "image": "2.jpg", "gt": "No", "prediction": "No"},
        {"subtask": "code_reasoning", "image": "3.jpg", "gt": "Yes", "prediction": "maybe"},
        {"subtask": "code_reasoning", "image": "3.jpg", "gt": "No", "prediction": "maybe"},
    ]
    scores = mme_scores(records)
    assert scores["subtasks"]["count"] == {"acc": 0.75, "acc_plus": 0.5, "score": 125.0}
    # all answers "other": the official tool would crash in sklearn; here the subtask scores 0
    assert scores["subtasks"]["code_reasoning"]["score"] == 0.0
    assert scores["perception"] == 125.0 and scores["cognition"] == 0.0


def test_score_adds_acc_then_acc_plus_like_the_official_tool() -> None:
    records = []
    for i, (a, b) in enumerate([(True, False), (True, True), (False, False)]):
        records += [
            {"subtask": "color", "image": f"{i}", "gt": "Yes", "prediction": "yes" if a else "no"},
            {"subtask": "color", "image": f"{i}", "gt": "No", "prediction": "no" if b else "yes"},
        ]
    assert mme_scores(records)["subtasks"]["color"]["score"] == 0.5 * 100 + (1 / 3) * 100


def test_broken_pairs_are_errors() -> None:
    one = {"subtask": "OCR", "image": "a.jpg", "gt": "Yes", "prediction": "yes"}
    with pytest.raises(ValueError, match="exactly two questions"):
        mme_scores([one])
    with pytest.raises(ValueError, match="must be adjacent"):
        mme_scores([one, {**one, "image": "b.jpg"}])
    with pytest.raises(ValueError, match="did you mean 'existence'"):
        mme_scores([{**one, "subtask": "existance"}])
    with pytest.raises(ValueError, match="'Yes' or 'No'"):
        mme_scores([{**one, "gt": "maybe"}, one])
