"""From scored per-sample records to a task's entry in ``scores.json``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit.scoring.registry import aggregate
from evalkit.scoring.types import ScoredSample
from evalkit.tasks.spec import ProtocolSpec, TaskSpec


def task_entry(
    spec: TaskSpec, protocol: ProtocolSpec, records: Sequence[dict[str, Any]], *, num_fewshot: int, seed: int
) -> dict[str, Any]:
    """Aggregate the successfully scored records; failed ones are counted, never scored as wrong or right."""
    scored = [
        ScoredSample(id=r["id"], output=r.get("output"), answer=r.get("answer"), target=r.get("target"),
                     scores=r.get("scores") or {}, meta=r.get("meta") or {})
        for r in records if r.get("error") is None
    ]
    entry: dict[str, Any] = {
        "n": len(scored),
        "n_failed": len(records) - len(scored),
        "protocol": protocol.name,
        "num_fewshot": num_fewshot,
        "task_version": spec.version,
        "spec_hash": spec.spec_hash,
    }
    if scored:
        result = aggregate(protocol.aggregation, scored, seed=seed, params=protocol.aggregation_args)
        entry.update(result.as_dict())
        entry["primary_metric"] = protocol.primary_metric or next(iter(result.metrics), None)
    else:
        entry["metrics"] = {}
        entry["primary_metric"] = None
    return entry
