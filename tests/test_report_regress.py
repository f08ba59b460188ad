"""``evalkit compare`` and ``evalkit regress`` on constructed runs: equal runs pass, a real drop
fails, a drop inside the noise passes; metrics without per-sample scores never get a p-value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit import stats
from evalkit.cli import main as cli_main
from evalkit.report.compare import Method, compare_runs
from evalkit.report.regress import Verdict, check_regression
from evalkit.report.runs import load_run

N_IMAGES = 200  # two questions per image: 400 samples


def base_correct() -> list[float]:
    """A fixed pattern: 62% of 400 questions right."""
    return [1.0 if (i * 37) % 100 < 62 else 0.0 for i in range(2 * N_IMAGES)]


def write_run(root: Path, correct: list[float], *, model: str = "m", protocol: str = "qwen-vl",
              cider: tuple[float, float] = (100.0, 2.0), samples: bool = True) -> Path:
    """A run with an accuracy task (per-sample scores, clustered by image) and a corpus caption task."""
    ids = [f"q{i}" for i in range(len(correct))]
    clusters = [f"img{i // 2}" for i in range(len(correct))]
    value, ci = stats.mean_ci(correct, clusters)
    assert ci is not None
    scores = {"schema_version": 1, "tasks": {
        "vqa": {"n": len(correct), "n_failed": 0, "protocol": protocol, "num_fewshot": 0,
                "primary_metric": "vqa_accuracy",
                "metrics": {"vqa_accuracy": {"value": value * 100, "ci95": [ci[0] * 100, ci[1] * 100]}}},
        "caps": {"n": 50, "n_failed": 0, "protocol": protocol, "num_fewshot": 0, "primary_metric": "CIDEr",
                 "metrics": {"CIDEr": {"value": cider[0], "ci95": [cider[0] - cider[1], cider[0] + cider[1]]}}},
    }}
    root.mkdir(parents=True)
    (root / "run.json").write_text(json.dumps({"model": {"name": model}, "finished": "2026-09-01T00:00:00+00:00"}))
    (root / "scores.json").write_text(json.dumps(scores))
    if samples:
        (root / "samples").mkdir()
        lines = [json.dumps({"id": i, "scores": {"vqa_accuracy": c}, "meta": {"cluster": g}, "error": None})
                 for i, c, g in zip(ids, correct, clusters)]
        lines.append(json.dumps({"id": "failed", "scores": {}, "meta": {}, "error": "image could not be decoded"}))
        (root / "samples" / "vqa.jsonl").write_text("\n".join(lines) + "\n")
        (root / "samples" / "caps.jsonl").write_text(
            "\n".join(json.dumps({"id": f"c{i}", "scores": {}, "meta": {}, "error": None}) for i in range(50)) + "\n")
    return root


def flipped(correct: list[float], right_to_wrong: int, wrong_to_right: int = 0) -> list[float]:
    """Changed answers, spread over the images (every third eligible question)."""
    out = list(correct)
    rights = [i for i, c in enumerate(out) if c == 1.0][::3]
    wrongs = [i for i, c in enumerate(out) if c == 0.0][::3]
    for i in rights[:right_to_wrong]:
        out[i] = 0.0
    for i in wrongs[:wrong_to_right]:
        out[i] = 1.0
    return out


def regress(baseline: Path, run: Path, *extra: str) -> int:
    return cli_main(["regress", "--baseline", str(baseline), "--run", str(run), "--resamples", "2000", *extra])


def test_equal_runs_pass(tmp_path, capsys):
    base = write_run(tmp_path / "base", base_correct())
    same = write_run(tmp_path / "same", base_correct())
    assert regress(base, same) == 0
    out = capsys.readouterr().out
    assert "passed: 2 checks" in out


def test_a_real_drop_fails(tmp_path, capsys):
    base = write_run(tmp_path / "base", base_correct())
    worse = write_run(tmp_path / "worse", flipped(base_correct(), 40))  # 10 points fewer
    assert regress(base, worse, "--json", str(tmp_path / "report.json")) == 1
    out = capsys.readouterr().out
    assert "FAILED: 1 of 2 checks: vqa (dropped)" in out and "significant drop of 10.00" in out
    report = json.loads((tmp_path / "report.json").read_text())
    vqa = next(t for t in report["tasks"] if t["task"] == "vqa")
    assert report["failed"] is True and vqa["verdict"] == "dropped"
    assert vqa["comparison"]["test"] == "paired" and vqa["comparison"]["p_value"] < 0.001
    assert vqa["comparison"]["difference"] == pytest.approx(-10.0)


def test_a_drop_inside_the_noise_passes_unless_it_exceeds_max_drop(tmp_path):
    base = write_run(tmp_path / "base", base_correct())
    noisy = write_run(tmp_path / "noisy", flipped(base_correct(), 5, 3))  # -0.5 points
    assert regress(base, noisy) == 0
    report = check_regression(load_run(base), load_run(noisy), n_resamples=2000)
    vqa = report.verdicts[0].comparison
    assert vqa is not None and vqa.difference == pytest.approx(-0.5) and vqa.p_value > 0.3
    assert vqa.ci is not None and vqa.ci[0] < 0 < vqa.ci[1]
    assert regress(base, noisy, "--max-drop", "0.25") == 1
    assert regress(base, noisy, "--max-drop", "1") == 0


def test_an_improvement_passes_and_is_reported(tmp_path):
    base = write_run(tmp_path / "base", base_correct())
    better = write_run(tmp_path / "better", flipped(base_correct(), 0, 40))
    report = check_regression(load_run(base), load_run(better), n_resamples=2000)
    assert not report.failed and report.verdicts[0].verdict is Verdict.IMPROVED


def test_corpus_metrics_use_the_runs_cis_and_get_no_p_value(tmp_path):
    base = write_run(tmp_path / "base", base_correct(), cider=(100.0, 2.0))
    close = write_run(tmp_path / "close", base_correct(), cider=(98.0, 2.0))
    far = write_run(tmp_path / "far", base_correct(), cider=(90.0, 2.0))
    near = check_regression(load_run(base), load_run(close), n_resamples=500)
    caps = next(v for v in near.verdicts if v.task == "caps")
    assert caps.comparison is not None and caps.comparison.test is Method.UNPAIRED
    assert caps.comparison.p_value is None and caps.verdict is Verdict.OK
    # Independent CIs of half-width 2 give a difference CI of half-width 2 * sqrt(2).
    assert caps.comparison.ci == pytest.approx((-2.0 - 2 * 2**0.5, -2.0 + 2 * 2**0.5))
    assert "not a mean of per-sample scores" in caps.comparison.notes[0]
    assert regress(base, far) == 1


def test_runs_without_samples_fall_back_to_their_cis(tmp_path):
    base = write_run(tmp_path / "base", base_correct(), samples=False)
    worse = write_run(tmp_path / "worse", flipped(base_correct(), 40))
    comparison = compare_runs(load_run(base / "scores.json"), load_run(worse), n_resamples=500)
    vqa = next(m for m in comparison.metrics if m.task == "vqa")
    assert vqa.test is Method.UNPAIRED and vqa.p_value is None and vqa.significant
    assert "no per-sample records" in vqa.notes[0]


def test_missing_tasks_and_other_protocols_fail(tmp_path, capsys):
    base = write_run(tmp_path / "base", base_correct())
    other = write_run(tmp_path / "other", base_correct(), protocol="standard")
    assert regress(base, other) == 1
    assert "not comparable" in capsys.readouterr().out
    scores = json.loads((base / "scores.json").read_text())
    del scores["tasks"]["caps"]
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(scores))
    assert regress(base, partial) == 1
    assert "caps (missing)" in capsys.readouterr().out
    assert regress(partial, base) == 0  # a task only the run has is listed, not checked
    assert "not in the baseline (not checked): caps" in capsys.readouterr().out


def test_paired_comparison_counts_only_samples_both_runs_scored(tmp_path):
    base = write_run(tmp_path / "base", base_correct())
    worse = write_run(tmp_path / "worse", flipped(base_correct(), 40))
    lines = (worse / "samples" / "vqa.jsonl").read_text().splitlines()
    (worse / "samples" / "vqa.jsonl").write_text("\n".join(lines[100:]) + "\n")
    comparison = compare_runs(load_run(base), load_run(worse), n_resamples=500)
    vqa = next(m for m in comparison.metrics if m.task == "vqa")
    # The per-sample mean no longer matches the reported value, so no paired test is claimed.
    assert vqa.test is Method.UNPAIRED


def test_compare_prints_both_scores_difference_ci_and_p(tmp_path, capsys):
    base = write_run(tmp_path / "a", base_correct())
    worse = write_run(tmp_path / "b", flipped(base_correct(), 40))
    assert cli_main(["compare", str(base), str(worse), "--resamples", "1000"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("vqa "))
    assert "62.00" in line and "52.00" in line and "-10.00 *" in line and "paired" in line and "400" in line
    caps = next(x for x in out.splitlines() if x.startswith("caps "))
    assert "unpaired" in caps and " - " in caps  # no p-value shown for the corpus metric


def test_compare_is_seeded(tmp_path):
    base = write_run(tmp_path / "a", base_correct())
    worse = write_run(tmp_path / "b", flipped(base_correct(), 5))
    first = compare_runs(load_run(base), load_run(worse), seed=3, n_resamples=500).metrics[0]
    again = compare_runs(load_run(base), load_run(worse), seed=3, n_resamples=500).metrics[0]
    assert first == again


def test_regress_usage_errors_exit_2(tmp_path, capsys):
    base = write_run(tmp_path / "base", base_correct())
    assert regress(base, tmp_path / "nowhere") == 2
    assert "no scores.json there" in capsys.readouterr().err
    assert regress(base, base, "--max-drop", "-1") == 2
    assert "--max-drop" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["compare", "regress"])
@pytest.mark.parametrize(("option", "value"), [("--confidence", "1.5"), ("--confidence", "0"), ("--resamples", "0")])
def test_compare_and_regress_reject_a_bad_test_setting(tmp_path, capsys, command, option, value):
    base = write_run(tmp_path / "base", base_correct())
    runs = [str(base), str(base)] if command == "compare" else ["--baseline", str(base), "--run", str(base)]
    assert cli_main([command, *runs, option, value]) == 2
    err = capsys.readouterr().err
    assert f"{option} must be" in err and value in err
