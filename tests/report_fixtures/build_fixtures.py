"""Writes the fixed results folder the report tests read (``results/``) and, with ``--golden``, the
golden outputs (``golden/``). The numbers are made up but shaped like real runs: MME with its 14
subtasks, SEED-Bench with its 12 dimensions, a caption task, a 4-shot task, a task no longer in the
registry, a model whose name holds HTML, and runs imported from lmms-eval and VLMEvalKit files.

    python tests/report_fixtures/build_fixtures.py            # results/ only
    python tests/report_fixtures/build_fixtures.py --golden   # and regenerate golden/ (review the diff!)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from evalkit.report.importers import import_results
from evalkit.results.files import atomic_write_json

HERE = Path(__file__).resolve().parent

HTML_MODEL = '<b>Evil</b> & <script>alert("x")</script> |pipe|'

MME_SUBTASKS = {  # subtask: (acc, acc_plus)
    "existence": (96.67, 93.33), "count": (85.0, 70.0), "position": (76.67, 53.33), "color": (90.0, 80.0),
    "posters": (92.18, 85.03), "celebrity": (74.12, 50.0), "scene": (86.25, 73.0), "landmark": (88.5, 77.0),
    "artwork": (75.25, 54.0), "OCR": (77.5, 60.0), "commonsense_reasoning": (75.71, 55.71),
    "numerical_calculation": (30.0, 10.0), "text_translation": (82.5, 65.0), "code_reasoning": (32.5, 10.0),
}  # fmt: skip
SEED_DIMENSIONS = (
    "Scene Understanding", "Instance Identity", "Instance Attributes", "Instance Location", "Instances Counting",
    "Spatial Relation", "Instance Interaction", "Visual Reasoning", "Text Understanding", "Action Recognition",
    "Action Prediction", "Procedure Understanding",
)


def metric(value: float, half: float | None) -> dict[str, Any]:
    return {"value": value, "ci95": None if half is None else [round(value - half, 4), round(value + half, 4)]}


def mme(shift: float) -> dict[str, Any]:
    subtasks = {}
    for name, (acc, acc_plus) in MME_SUBTASKS.items():
        a, p = min(100.0, acc + shift), min(100.0, acc_plus + shift)
        subtasks[name] = {"acc": metric(a, 3.1), "acc_plus": metric(p, 5.2), "score": metric(round(a + p, 2), 7.9)}
    perception = round(sum(s["score"]["value"] for n, s in subtasks.items() if n in list(MME_SUBTASKS)[:10]), 2)
    cognition = round(sum(s["score"]["value"] for n, s in subtasks.items() if n in list(MME_SUBTASKS)[10:]), 2)
    return {"n": 2374, "n_failed": 0, "num_fewshot": 0, "primary_metric": "perception",
            "metrics": {"perception": metric(perception, 38.6), "cognition": metric(cognition, 33.4)},
            "subtasks": subtasks}


def seed(base: float) -> dict[str, Any]:
    dims = {name: {"accuracy": metric(round(base + 9 * ((i * 7) % 5 - 2) / 2, 2), 1.8)}
            for i, name in enumerate(SEED_DIMENSIONS)}
    return {"n": 17990, "n_failed": 0, "num_fewshot": 0, "primary_metric": "accuracy",
            "metrics": {"accuracy": metric(base, 0.73)}, "subtasks": dims}


def simple(name: str, value: float, half: float | None, shots: int = 0, n: int = 5000) -> dict[str, Any]:
    return {"n": n, "n_failed": 0, "num_fewshot": shots, "primary_metric": name, "metrics": {name: metric(value, half)}}


def caption(cider: float) -> dict[str, Any]:
    return {"n": 4500, "n_failed": 0, "num_fewshot": 0, "primary_metric": "CIDEr",
            "metrics": {"CIDEr": metric(cider, 2.7), "Bleu_4": metric(round(cider / 3, 2), 1.1),
                        "METEOR": metric(29.8, None), "ROUGE_L": metric(58.1, 0.6)}}


def write_run(root: Path, model: str, protocol: str, finished: str, tasks: dict[str, dict[str, Any]]) -> None:
    for entry in tasks.values():
        entry["protocol"] = protocol
    atomic_write_json(root / "run.json", {
        "schema_version": 1, "status": "finished", "model": {"name": model, "args": {}},
        "tasks": {name: {"protocol": protocol, "num_fewshot": entry["num_fewshot"]} for name, entry in tasks.items()},
        "seed": 1234, "started": finished, "finished": finished,
    })
    atomic_write_json(root / "scores.json", {"schema_version": 1, "tasks": tasks})


def build_results(results: Path) -> None:
    if results.exists():
        shutil.rmtree(results)
    write_run(results / "qwen-vl-chat" / "paper-0shot", "qwen-vl-chat", "qwen-vl", "2026-09-01T10:00:00+00:00", {
        "mme": mme(0.0), "seedbench": seed(57.93), "textvqa_val": simple("vqa_accuracy", 61.48, 1.28),
        "nocaps_val": caption(119.84), "retired_task": simple("accuracy", 71.5, 1.5, n=800),
    })
    write_run(results / "qwen-vl-chat" / "paper-4shot", "qwen-vl-chat", "qwen-vl", "2026-09-01T12:00:00+00:00", {
        "okvqa_val": simple("vqa_accuracy", 59.87, 0.86, shots=4),
    })
    write_run(results / "Qwen__Qwen2-VL-2B-Instruct" / "standard", "Qwen/Qwen2-VL-2B-Instruct", "standard",
              "2026-09-02T09:00:00+00:00", {
                  "mme": mme(3.0), "seedbench": seed(72.4), "textvqa_val": simple("vqa_accuracy", 78.3, 1.1),
                  "nocaps_val": caption(118.2),
              })
    write_run(results / "evil" / "run", HTML_MODEL, "standard", "2026-09-03T09:00:00+00:00", {
        "textvqa_val": simple("vqa_accuracy", 55.55, 1.4),
        "mme": {**mme(-20.0), "subtasks": {}},
    })
    import_results("lmms-eval", [HERE / "lmms_eval" / "2026-09-02T12-00-00_results.json"], results)
    folder = HERE / "vlmevalkit" / "Qwen-VL-Chat"
    import_results("vlmevalkit", sorted(folder.iterdir()), results)


GROUPS = {"mme": ["mme"], "seedbench": ["seedbench"], "general_vqa": ["okvqa_val", "vizwiz_val"],
          "text_vqa": ["textvqa_val", "docvqa_val"], "captioning": ["nocaps_val"]}
TASK_ORDER = ["nocaps_val", "mme", "seedbench", "okvqa_val", "vizwiz_val", "textvqa_val", "docvqa_val"]


def build_golden(results: Path, golden: Path) -> None:
    from evalkit.report.leaderboard import LeaderboardOptions, write_leaderboard
    from evalkit.report.published import load_published
    from evalkit.report.runs import find_runs

    if golden.exists():
        shutil.rmtree(golden)
    published = load_published(HERE / "published.yaml")
    runs = find_runs([results])
    write_leaderboard(runs, golden / "plain", published=published, groups=GROUPS, task_order=TASK_ORDER)
    write_leaderboard(runs, golden / "ci", published=published, groups=GROUPS, task_order=TASK_ORDER,
                      options=LeaderboardOptions(ci=True, decimals=1))


if __name__ == "__main__":
    build_results(HERE / "results")
    if "--golden" in sys.argv[1:]:
        build_golden(HERE / "results", HERE / "golden")
