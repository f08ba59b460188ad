"""The CI accuracy gate: the bundled ``qwen-vl-tiny`` rerun on a fixed subset of the quickstart suite
must not drop below the committed baseline run beyond its confidence interval.

The comparison is ``evalkit regress``'s own (``check_regression``): a paired test over the samples
both runs scored for per-sample metrics, the runs' CIs for corpus metrics. A second test injects
real bugs (an image normalisation that forgets the CLIP mean and std, a prompt template that lost
its wording) and asserts that the same gate fails, so a broken pipeline cannot pass unnoticed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

import evalkit
from evalkit.report.regress import RegressionReport, check_regression, format_report
from evalkit.report.runs import Run, load_run

REPO_ROOT = Path(__file__).resolve().parents[1]
BASELINE = REPO_ROOT / "results" / "baselines" / "qwen-vl-tiny" / "main"
GATE_TASKS = ("synth_caption", "synth_vqa", "synth_mme")
GATE_LIMIT = 150  # samples per task (whole image clusters): about a minute per run on two idle CPU cores
CONFIDENCE = 0.99  # per-task level; several tasks are tested at once


def gate_run(output: Path) -> Run:
    result = evalkit.run(tasks=",".join(GATE_TASKS), model="qwen-vl-tiny", protocol="qwen-vl", limit=GATE_LIMIT,
                         batch_size=16, device="cpu", output_dir=str(output), progress=False)
    return load_run(result.run_dir)


def gate(run: Run) -> RegressionReport:
    baseline = load_run(BASELINE)
    restricted = replace(baseline, tasks={name: baseline.tasks[name] for name in GATE_TASKS})
    return check_regression(restricted, run, confidence=CONFIDENCE, n_resamples=2000)


@pytest.fixture(scope="module")
def clean_report(tmp_path_factory: pytest.TempPathFactory) -> RegressionReport:
    return gate(gate_run(tmp_path_factory.mktemp("gate-clean")))


def test_baseline_is_a_full_quickstart_run_with_per_sample_records() -> None:
    baseline = load_run(BASELINE)
    assert baseline.model == "qwen-vl-tiny"
    assert {"synth_caption", "synth_vqa", "synth_ocrvqa", "synth_refcoco", "synth_mme", "synth_seed",
            "synth_dialogue"} <= set(baseline.tasks)
    for name in GATE_TASKS:
        assert baseline.has_samples(name) and len(baseline.samples(name)) == baseline.tasks[name].n


def test_baseline_record_names_no_machine_path() -> None:
    """The committed run says where its model, data and task files came from relative to evalkit's install."""
    info = json.loads((BASELINE / "run.json").read_text())
    assert info["model"]["identity"]["source"] == "evalkit/_models/qwen-vl-tiny"
    assert info["tasks"]["synth_mme"] == {**info["tasks"]["synth_mme"], "file": "tasks/synth.yaml",
                                          "data": "evalkit/_data/synth/synth_mme/test.parquet"}
    assert info["command"][0] in ("evalkit", "python -m evalkit")
    for name in ("run.json", "scores.json"):
        text = (BASELINE / name).read_text()
        assert str(REPO_ROOT) not in text and str(Path.home()) not in text, name


def test_bundled_model_passes_the_gate(clean_report: RegressionReport) -> None:
    assert not clean_report.failed, format_report(clean_report)
    tested = {v.task for v in clean_report.verdicts}
    assert tested == set(GATE_TASKS)


def _without_clip_normalisation(images: Any, image_size: int = 448) -> torch.Tensor:
    from evalkit.models.qwen_vl.image_processing import preprocess_images

    mean = torch.tensor((0.48145466, 0.4578275, 0.40821073)).view(1, 3, 1, 1)
    std = torch.tensor((0.26862954, 0.26130258, 0.27577711)).view(1, 3, 1, 1)
    return preprocess_images(images, image_size) * std + mean  # the bug: plain [0, 1] pixels


_TEMPLATE_SLOTS = re.compile(r"<images?>|\{[A-Za-z_][A-Za-z0-9_]*\}")


def _template_without_wording(original: Callable[..., Any]) -> Callable[..., Any]:
    """The bug: every template keeps its image and field slots but loses its words ("Answer:", …)."""

    def build(sample: Any, protocol: Any, family: str, shots: Any = ()) -> Any:
        spec = protocol.prompt_for(family)
        broken = replace(spec, template="".join(_TEMPLATE_SLOTS.findall(spec.template)))
        return original(sample, replace(protocol, prompt=broken, family_prompts={}), family, shots)

    return build


@pytest.mark.parametrize("bug", ["image normalisation", "prompt template"])
def test_gate_catches_a_real_bug(bug: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 clean_report: RegressionReport) -> None:
    if bug == "image normalisation":
        monkeypatch.setattr("evalkit.models.qwen_vl.adapter.preprocess_images", _without_clip_normalisation)
    else:
        import evalkit.runner.prepare as prepare

        monkeypatch.setattr(prepare, "build_prompt", _template_without_wording(prepare.build_prompt))
    report = gate(gate_run(tmp_path))
    assert report.failed, format_report(report)
    dropped = [v for v in report.verdicts if v.verdict.fails]
    assert dropped and all(v.comparison is not None and v.comparison.difference < 0 for v in dropped)
