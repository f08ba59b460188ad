"""Reading finished runs back for reports: ``run.json`` + ``scores.json`` (+ ``samples/<task>.jsonl``).

A run is either one of evalkit's run folders or one written by ``evalkit import`` (its ``run.json``
says ``"source": "lmms-eval"`` or ``"vlmevalkit"``). A bare ``scores.json`` file also loads, for a
baseline kept as one file; it has no per-sample records, so paired tests are unavailable for it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.jsonl import read_objects
from evalkit.results.files import SCHEMA_VERSION
from evalkit.scoring.types import MetricValue

EVALKIT_SOURCE = "evalkit"


@dataclass(frozen=True)
class TaskResult:
    """One task's entry in ``scores.json``, typed."""

    name: str
    protocol: str
    num_fewshot: int
    primary_metric: str | None
    metrics: dict[str, MetricValue]
    subtasks: dict[str, dict[str, MetricValue]] = field(default_factory=dict)
    n: int | None = None
    n_failed: int | None = None

    @property
    def headline(self) -> str | None:
        """The metric a one-number table shows: the primary metric, else the first one."""
        if self.primary_metric in self.metrics:
            return self.primary_metric
        return next(iter(self.metrics), None)


@dataclass(frozen=True)
class Run:
    """A finished run as reports see it. ``root`` is the run folder (``None`` for a bare scores file)."""

    path: Path
    root: Path | None
    model: str
    source: str
    finished: str
    tasks: dict[str, TaskResult]

    def has_samples(self, task: str) -> bool:
        return self.root is not None and (self.root / "samples" / f"{task}.jsonl").is_file()

    def samples(self, task: str) -> list[dict[str, Any]]:
        """The task's scored per-sample records (failed samples left out); ``[]`` when there are none."""
        if not self.has_samples(task):
            return []
        path = self.root / "samples" / f"{task}.jsonl"  # type: ignore[operator]
        records = read_objects(path, EvalkitError, "rescore the run (evalkit score)")
        return [record for record in records if record.get("error") is None]


def display_model_name(name: str) -> str:
    """A filesystem path names the model by its last part; hub ids and catalog names stay as they are."""
    if name.startswith(("/", "./", "../", "~")):
        return Path(name).name or name
    return name


def _metric(value: Any, where: str) -> MetricValue | None:
    if not isinstance(value, Mapping) or "value" not in value:
        raise EvalkitError(f"{where}: a metric is {{'value': number, 'ci95': [low, high] | null}}, got {value!r}")
    number = value["value"]
    if number is None or isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
        return None
    ci = value.get("ci95")
    ci95 = (float(ci[0]), float(ci[1])) if isinstance(ci, (list, tuple)) and len(ci) == 2 else None
    return MetricValue(float(number), ci95)


def _metrics(raw: Any, where: str) -> dict[str, MetricValue]:
    if not isinstance(raw, Mapping):
        raise EvalkitError(f"{where}: 'metrics' must be a mapping of metric name to value")
    out = {}
    for name, value in raw.items():
        metric = _metric(value, f"{where}.{name}")
        if metric is not None:
            out[str(name)] = metric
    return out


def parse_scores(data: Any, where: str, run_info: Mapping[str, Any] | None = None) -> dict[str, TaskResult]:
    """``scores.json`` content → ``{task: TaskResult}``; ``run_info`` fills protocol/shots a task entry lacks."""
    if not isinstance(data, Mapping) or not isinstance(data.get("tasks"), Mapping):
        raise EvalkitError(f"{where}: not a scores.json (expected {{'schema_version': 1, 'tasks': {{...}}}})")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise EvalkitError(f"{where}: schema_version {version!r} is not {SCHEMA_VERSION}; "
                           f"rescore the run with this evalkit (evalkit score RUN_DIR) or upgrade evalkit")
    run_tasks = (run_info or {}).get("tasks") or {}
    tasks = {}
    for name, entry in data["tasks"].items():
        here = f"{where}: task {name}"
        if not isinstance(entry, Mapping):
            raise EvalkitError(f"{here}: entry must be a mapping")
        info = run_tasks.get(name) or {}
        protocol = entry.get("protocol") or info.get("protocol")
        if not protocol:
            raise EvalkitError(f"{here}: no protocol recorded; rescore the run (evalkit score RUN_DIR)")
        subtasks = entry.get("subtasks") or {}
        if not isinstance(subtasks, Mapping):
            raise EvalkitError(f"{here}: 'subtasks' must be a mapping of subtask name to metrics")
        tasks[str(name)] = TaskResult(
            name=str(name),
            protocol=str(protocol),
            num_fewshot=int(entry.get("num_fewshot", info.get("num_fewshot", 0)) or 0),
            primary_metric=entry.get("primary_metric"),
            metrics=_metrics(entry.get("metrics", {}), here),
            subtasks={str(s): _metrics(m, f"{here} subtask {s}") for s, m in subtasks.items()},
            n=entry.get("n"),
            n_failed=entry.get("n_failed"),
        )
    return tasks


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvalkitError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise EvalkitError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc


def load_run(path: Path) -> Run:
    """A run folder (``run.json`` + ``scores.json``) or a bare ``scores.json`` file."""
    if path.is_file():
        if path.name == "scores.json" and (path.parent / "run.json").is_file():
            return load_run(path.parent)
        data = _read_json(path)
        return Run(path=path, root=None, model=path.stem, source=EVALKIT_SOURCE, finished="",
                   tasks=parse_scores(data, str(path)))
    scores_path, run_path = path / "scores.json", path / "run.json"
    if not scores_path.is_file():
        hint = (
            "the run has not finished; resume it first" if run_path.is_file()
            else "pass a run folder or a scores.json file"
        )
        raise EvalkitError(f"{path}: no scores.json there ({hint})")
    info = _read_json(run_path) if run_path.is_file() else {}
    model_info = info.get("model") or {}
    model = model_info.get("name") if isinstance(model_info, Mapping) else None
    return Run(
        path=path,
        root=path,
        model=display_model_name(str(model)) if model else path.parent.name,
        source=str(info.get("source") or EVALKIT_SOURCE),
        finished=str(info.get("finished") or info.get("started") or ""),
        tasks=parse_scores(_read_json(scores_path), str(scores_path), info),
    )


def find_runs(paths: Iterable[Path]) -> list[Run]:
    """Every run under ``paths`` (run folders, folders holding them, or scores files), in path order."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise EvalkitError(f"{path} does not exist; pass a results folder or a run folder")
        if path.is_file() or (path / "scores.json").is_file():
            found.append(path)
            continue
        nested = sorted(p.parent for p in path.rglob("scores.json") if "journal" not in p.parts)
        if not nested:
            raise EvalkitError(f"no finished run (a folder with scores.json) under {path}; "
                               f"pass the folder `evalkit run` wrote to (default results/)")
        found.extend(nested)
    unique: dict[Path, Path] = {}
    for p in found:
        unique.setdefault(p.resolve(), p)
    return [load_run(p) for p in unique.values()]
