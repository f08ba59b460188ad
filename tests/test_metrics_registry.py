"""The registered extractors, scorers and aggregations that task specs name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.errors import DataError
from evalkit.scoring.registry import aggregate, get_extractor, get_scorer, known
from evalkit.scoring.types import ScoredSample

GOLDEN_DIR = Path(__file__).parent / "golden"


def test_every_named_part_is_registered() -> None:
    assert {"strip", "first_line", "choice_from_losses", "choice_from_text", "mme_yes_no"} <= set(known("extractor"))
    assert {
        "exact_match", "vqa_accuracy", "anls", "relaxed_accuracy", "gqa_accuracy", "grounding", "choice_accuracy",
        "mme", "caption",
    } <= set(known("scorer"))  # fmt: skip
    assert {"mean", "mme", "caption", "touchstone"} <= set(known("aggregation"))


def extract(name: str, output: object, meta: dict | None = None, **params: object) -> object:
    return get_extractor(name).fn(output, None, meta or {}, **params)


def score(name: str, answer: object, target: object, **params: object) -> dict:
    return get_scorer(name).fn(answer, target, {}, **params)


def test_extractors() -> None:
    assert extract("choice_from_losses", [1.2, 0.8, 2.5, 3.1]) == "B"
    assert extract("choice_from_losses", [0.5, 0.5]) == "A"
    assert extract("choice_from_losses", [0.9, None, 0.1]) == "B"  # a NaN loss (journaled as null) wins
    assert extract("choice_from_text", "The answer is (C).", {"options": ["x", "y", "z"]}) == "C"
    assert extract("choice_from_text", "no idea", {"options": ["x", "y"]}) is None
    assert extract("mme_yes_no", "Nope") == "no"
    assert extract("first_line", "\n  two words \nmore") == "two words"
    with pytest.raises(ValueError, match="per-option losses"):
        extract("choice_from_losses", [])


def test_scorers() -> None:
    assert score("vqa_accuracy", "two", ["2"] * 3 + ["3"] * 7) == {"vqa_accuracy": pytest.approx(0.9)}
    assert score("anls", "abce", ["abcd"]) == {"anls": 0.75}
    assert score("anls", "abce", ["abcd"], threshold=0.8) == {"anls": 0.0}
    assert score("relaxed_accuracy", "95", ["100"]) == {"relaxed_accuracy": 1.0}
    assert score("relaxed_accuracy", "95", ["100"], protocol="qwen-vl") == {"relaxed_accuracy": 0.0}
    assert score("gqa_accuracy", "The cat is black.", "black") == {"gqa_accuracy": 1.0}
    assert score("exact_match", " Paris", "paris") == {"exact_match": 1.0}
    assert score("choice_accuracy", "B", "B") == {"accuracy": 1.0}
    assert score("choice_accuracy", "B", 1) == {"accuracy": 1.0}
    assert score("choice_accuracy", None, "A") == {"accuracy": 0.0}
    assert score("mme", "Yes, it is", "Yes") == {"accuracy": 1.0}
    assert score("mme", "maybe", "No") == {"accuracy": 0.0}
    assert score("caption", "a dog", ["a dog runs"]) == {}  # corpus-level: scored by the aggregation
    with pytest.raises(ValueError, match="reference caption"):
        score("caption", "a dog", [])


def test_grounding_scorer_keeps_records_strict_json() -> None:
    target = {"bbox": [64.0, 96.0, 320.0, 384.0], "width": 640, "height": 480}
    assert score("grounding", "(100,200),(500,800)", target) == {"acc@0.5": 1.0, "iou": pytest.approx(0.9968373)}
    degenerate = score("grounding", "(0,0),(0,0)", {"bbox": [10, 10, 10, 10], "width": 640, "height": 480})
    assert degenerate == {"acc@0.5": 0.0, "iou": 0.0}  # the official IoU is NaN here
    json.dumps(degenerate, allow_nan=False)
    standard = score("grounding", "(0,0),(1000,1000)", {"bbox": [0, 0, 640, 480], "width": 640, "height": 480},
                     protocol="standard")  # fmt: skip
    assert standard["acc@0.5"] == 1.0 and standard["iou"] == 1.0
    with pytest.raises(ValueError, match="grounding needs target"):
        score("grounding", "(1,2),(3,4)", [0, 0, 1, 1])


def _mme_samples(run: dict) -> list[ScoredSample]:
    samples = []
    for task, items in run["tasks"].items():
        for k, item in enumerate(items):
            samples.append(
                ScoredSample(
                    id=f"{task}/{k}", output=item["prediction"], answer=None, target=item["gt"], scores={},
                    meta={"subtask": task, "cluster": f"{task}/{item['image']}"},
                )
            )
    return samples


def test_mme_aggregation_reproduces_the_official_totals_with_clustered_cis() -> None:
    run = json.loads((GOLDEN_DIR / "mme.json").read_text())["cases"][0]
    samples = _mme_samples(run)
    result = aggregate("mme", samples, seed=0, params={"n_resamples": 300})
    assert list(result.metrics) == ["perception", "cognition"]
    assert result.metrics["perception"].value == pytest.approx(run["expected_totals"]["perception_total"], abs=1e-9)
    assert result.metrics["cognition"].value == pytest.approx(run["expected_totals"]["cognition_total"], abs=1e-9)
    for task, expected in run["expected_per_task"].items():
        sub = result.subtasks[task]
        assert sub["score"].value == pytest.approx(expected["score"], abs=1e-9)
        assert sub["acc"].value == pytest.approx(100 * expected["acc"], abs=1e-9)
        assert sub["acc_plus"].value == pytest.approx(100 * expected["acc_plus"], abs=1e-9)
    low, high = result.metrics["perception"].ci95  # type: ignore[misc]
    assert low < result.metrics["perception"].value < high
    assert aggregate("mme", samples, seed=0, params={"n_resamples": 300}) == result
    assert aggregate("mme", samples, seed=1, params={"n_resamples": 300}) != result


def test_touchstone_aggregation() -> None:
    golden = json.loads((GOLDEN_DIR / "touchstone.json").read_text())

    def calls(replies: list[str], n: int) -> list[str | None]:
        served: list[str | None] = [None if r == "<API exception>" else r for r in replies]
        return served + [served[-1]] * (n - len(served))

    samples = [
        ScoredSample(
            id=str(c["id"]), output="answer", answer=None, target=None, scores={},
            meta={"category": c["category"],
                  "judge": {"round1": calls(c["round1_judge_replies"], c["round1_api_calls"]),
                            "round2": calls(c["round2_judge_replies"], c["round2_api_calls"])}},
        )
        for c in golden["cases"]
    ]  # fmt: skip
    unjudged = ScoredSample(id="x", output="answer", answer=None, target=None, scores={}, meta={"category": "A"})
    result = aggregate("touchstone", [*samples, unjudged], seed=0, params={})
    assert result.metrics["score"].value == pytest.approx(golden["aggregate"]["overall"]["qwen-vl-chat"], abs=1e-9)
    assert result.metrics["reference_score"].value == pytest.approx(golden["aggregate"]["overall"]["gpt4-ha"], abs=1e-9)
    low, high = result.metrics["score"].ci95  # type: ignore[misc]
    assert low < result.metrics["score"].value < high
    for category, by_model in golden["aggregate"]["per_category"].items():
        assert result.subtasks[category]["score"].value == pytest.approx(by_model["qwen-vl-chat"], abs=1e-9)
    assert result.info == {"excluded_rounds": 4, "judged_rounds": 56, "unjudged_questions": 1}
    with pytest.raises(DataError, match="judge"):
        aggregate("touchstone", [unjudged], seed=0, params={})


def test_mean_aggregation_is_clustered_and_scaled() -> None:
    samples = [
        ScoredSample(id=str(i), output=None, answer=None, target=None, scores={"accuracy": float(i % 2)},
                     meta={"cluster": str(i // 2), "subtask": "a" if i < 4 else "b"})
        for i in range(8)
    ]  # fmt: skip
    result = aggregate("mean", samples, seed=0, params={"by_subtask": True})
    assert result.metrics["accuracy"].value == 50.0
    assert set(result.subtasks) == {"a", "b"}


def test_mean_aggregation_intervals_stay_within_the_scores_bounds() -> None:
    samples = [ScoredSample(id=str(i), output=None, answer=None, target=None, scores={"accuracy": float(i > 0)},
                            meta={"cluster": str(i)}) for i in range(300)]
    low, high = aggregate("mean", samples, seed=0, params={}).metrics["accuracy"].ci95  # type: ignore[misc]
    assert 98.0 < low < 100.0 * 299 / 300 < high < 100.0
    normal = aggregate("mean", samples, seed=0, params={"bounds": None}).metrics["accuracy"].ci95
    assert normal is not None and normal[1] > 100.0  # the normal approximation passes 100
    rescaled = [ScoredSample(id=s.id, output=None, answer=None, target=None,
                             scores={"accuracy": 5 * s.scores["accuracy"]}, meta=s.meta) for s in samples]
    with pytest.raises(DataError, match=r"outside the bounds \[0.0, 1.0\].*bounds: \[low, high\]"):
        aggregate("mean", rescaled, seed=0, params={})
    wide = aggregate("mean", rescaled, seed=0, params={"bounds": [0, 5], "scale": 20.0}).metrics["accuracy"]
    assert wide.value == pytest.approx(100.0 * 299 / 300) and wide.ci95 == pytest.approx((low, high))
    with pytest.raises(DataError, match="bounds must be"):
        aggregate("mean", samples, seed=0, params={"bounds": "0-1"})
