"""Recomputing ``samples/*.jsonl`` and ``scores.json`` of a run from its journals (no model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.jsonl import read_objects
from evalkit.results.aggregate import task_entry
from evalkit.results.files import SCHEMA_VERSION, RunDir, atomic_write_json, atomic_write_jsonl
from evalkit.runner.evaluate import score_record
from evalkit.runner.journal import Journal


def rescore_run(root: Path) -> dict[str, Any]:
    from evalkit.tasks.registry import get_task

    run_dir = RunDir(root)
    if not run_dir.run_json.is_file():
        raise EvalkitError(f"{root} is not a run folder (no run.json); pass the folder a run wrote")
    info = run_dir.read_run()
    seed = int(info.get("seed", 0))
    scores: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "tasks": {}}
    # the judge's report (identity, rounds asked and excluded) describes judging, which rescoring does not redo
    previous = json.loads(run_dir.scores_json.read_text(encoding="utf-8")) if run_dir.scores_json.is_file() else {}
    for name, task_info in info.get("tasks", {}).items():
        spec = get_task(name)
        protocol = spec.protocol(task_info["protocol"])
        samples = run_dir.samples(name)
        order = [r["id"] for r in read_objects(samples, EvalkitError, "rerun the task to rewrite it")] \
            if samples.is_file() else None
        latest = Journal(run_dir.journal(name)).latest()
        if order is None:
            raise EvalkitError(f"{root}: task {name} never finished (no samples/{name}.jsonl); rerun it to finish")
        missing = [sid for sid in order if sid not in latest]
        if missing:
            raise EvalkitError(f"{root}: journal of {name} lacks {len(missing)} samples (e.g. {missing[0]!r})")
        records = [score_record(protocol, latest[sid]) for sid in order]
        atomic_write_jsonl(run_dir.samples(name), records)
        scores["tasks"][name] = task_entry(spec, protocol, records, num_fewshot=int(task_info.get("num_fewshot", 0)),
                                           seed=seed)
        judging = previous.get("tasks", {}).get(name, {}).get("judge")
        if judging is not None:
            scores["tasks"][name]["judge"] = judging
    atomic_write_json(run_dir.scores_json, scores)
    return scores
