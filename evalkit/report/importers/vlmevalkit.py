"""VLMEvalKit's per-benchmark score files, ``<model>_<dataset>_acc.csv`` / ``_score.csv`` / ``_score.json``.

Layouts read (VLMEvalKit ``vlmeval/dataset``):

- multiple choice (``utils/multiple_choice.py report_acc``): a ``split`` column, ``Overall`` and one
  column per category, one row per split, values as fractions (×100 here);
- VQA (``image_vqa.py``): ``Overall`` and per-category or per-split columns, one row, already ×100;
- MME (``utils/yorn.py MME_rating``): ``perception``, ``reasoning`` (evalkit's ``cognition``) and the
  14 subtask scores, in MME points;
- captions (``image_caption.py``): JSON ``{"Bleu": [b1, b2, b3, b4], "ROUGE_L": x, "CIDEr": y}``, ×100.

The benchmarks evalkit also runs get evalkit's task and metric names (``DATASETS``); others keep
VLMEvalKit's dataset name with ``Overall`` as the metric. Several files of one model make one run.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import DataError
from evalkit.report.importers.run_folder import ImportedTask, write_imported_run
from evalkit.scoring.types import MetricValue

SOURCE = "vlmevalkit"


@dataclass(frozen=True)
class Target:
    task: str
    metric: str


# VLMEvalKit dataset name -> evalkit task and the metric its Overall number is.
DATASETS: dict[str, Target] = {
    "MME": Target("mme", "perception"),
    "SEEDBench_IMG": Target("seedbench_image", "accuracy"),
    "AI2D_TEST": Target("ai2d_test", "accuracy"),
    "ScienceQA_TEST": Target("scienceqa_img", "accuracy"),
    "TextVQA_VAL": Target("textvqa_val", "vqa_accuracy"),
    "DocVQA_VAL": Target("docvqa_val", "anls"),
    "ChartQA_TEST": Target("chartqa_test", "relaxed_accuracy"),
    "OCRVQA_TEST": Target("ocrvqa_test", "exact_match"),
}
_SUFFIXES = ("_acc.csv", "_score.csv", "_score.json")


def split_name(path: Path, model: str | None) -> tuple[str, str]:
    """``(model, dataset)`` from ``<model>_<dataset>_acc.csv``: a known dataset at the end of the name,
    else the name of an enclosing folder (VLMEvalKit's ``outputs/<model>/``) as the model prefix."""
    suffix = next((s for s in _SUFFIXES if path.name.endswith(s)), None)
    if suffix is None:
        raise DataError(f"{path}: not a VLMEvalKit score file (its name ends with one of {', '.join(_SUFFIXES)})")
    base = path.name[: -len(suffix)]
    if model is not None:
        if not base.startswith(model + "_"):
            raise DataError(f"{path}: the file name does not start with the model name {model!r} and '_'")
        return model, base[len(model) + 1:]
    for dataset in sorted(DATASETS, key=len, reverse=True):
        if base.endswith("_" + dataset):
            return base[: -len(dataset) - 1], dataset
    for folder in path.resolve().parents[:2]:
        if base.startswith(folder.name + "_"):
            return folder.name, base[len(folder.name) + 1:]
    raise DataError(f"{path}: cannot tell the model from the dataset in the file name; pass --model NAME")


def _float(text: Any, where: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise DataError(f"{where}: {text!r} is not a number") from None


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _mme(row: dict[str, str], where: str) -> tuple[dict[str, MetricValue], dict[str, dict[str, MetricValue]]]:
    metrics = {"perception": MetricValue(_float(row["perception"], where)),
               "cognition": MetricValue(_float(row["reasoning"], where))}
    subtasks = {name: {"score": MetricValue(_float(value, where))}
                for name, value in row.items() if name not in ("perception", "reasoning") and value != ""}
    return metrics, subtasks


def _overall(row: dict[str, str], metric: str, scale: float, where: str, skip: Sequence[str] = ()) -> tuple[
        dict[str, MetricValue], dict[str, dict[str, MetricValue]]]:
    metrics = {metric: MetricValue(_float(row["Overall"], where) * scale)}
    subtasks = {name: {metric: MetricValue(_float(value, where) * scale)}
                for name, value in row.items() if name not in ("Overall", *skip) and value not in ("", None)}
    return metrics, subtasks


def read_file(path: Path, dataset: str) -> list[ImportedTask]:
    target = DATASETS.get(dataset)
    task, metric = (target.task, target.metric) if target else (dataset, "Overall")
    where = str(path)
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DataError(f"{path}: cannot read it as JSON ({exc})") from exc
        if not isinstance(data, dict) or "CIDEr" not in data:
            raise DataError(f"{path}: a caption score file holds 'CIDEr' (and 'Bleu', 'ROUGE_L')")
        metrics = {"CIDEr": MetricValue(_float(data["CIDEr"], where))}
        for i, value in enumerate(data.get("Bleu") or [], 1):
            metrics[f"Bleu_{i}"] = MetricValue(_float(value, where))
        if "ROUGE_L" in data:
            metrics["ROUGE_L"] = MetricValue(_float(data["ROUGE_L"], where))
        return [ImportedTask(name=task, primary_metric="CIDEr", metrics=metrics, source_task=dataset)]
    rows = _read_csv(path)
    columns = list(rows[0]) if rows else []
    if {"perception", "reasoning"} <= set(columns):
        metrics, subtasks = _mme(rows[0], where)
        return [ImportedTask(name=task, primary_metric="perception", metrics=metrics, subtasks=subtasks,
                             source_task=dataset)]
    if "split" in columns and "Overall" in columns:  # multiple choice: fractions, one row per split
        tasks = []
        for row in rows:
            name = task if len(rows) == 1 else f"{task}_{row['split']}"
            metrics, subtasks = _overall(row, metric, 100.0, where, skip=("split",))
            tasks.append(ImportedTask(name=name, primary_metric=metric, metrics=metrics, subtasks=subtasks,
                                      source_task=dataset if len(rows) == 1 else f"{dataset} split {row['split']}"))
        return tasks
    if "Overall" in columns and len(rows) == 1:  # VQA: already percentages
        metrics, subtasks = _overall(rows[0], metric, 1.0, where)
        return [ImportedTask(name=task, primary_metric=metric, metrics=metrics, subtasks=subtasks, source_task=dataset)]
    raise DataError(f"{path}: unrecognised VLMEvalKit score layout (columns {columns}); evalkit reads "
                    f"multiple-choice and VQA *_acc.csv, MME *_score.csv and caption *_score.json")


def import_files(paths: Sequence[Path], out: Path, *, model: str | None = None) -> tuple[Path, list[str]]:
    """Import score files of one model into ``out``; returns the run folder and warnings."""
    tasks: dict[str, ImportedTask] = {}
    names = set()
    for path in paths:
        name, dataset = split_name(path, model)
        names.add(name)
        for task in read_file(path, dataset):
            if task.name in tasks:
                raise DataError(f"{path}: {task.name} is already given by another file; import them separately")
            tasks[task.name] = task
    if len(names) > 1:
        raise DataError(f"the files are of different models ({', '.join(sorted(names))}); import one model at a time")
    root = write_imported_run(out, source=SOURCE, model=names.pop(), tasks=list(tasks.values()), files=list(paths))
    return root, []
