"""Imported results written as an evalkit run folder, so every report reads them like any run.

``run.json`` says where the numbers came from (``"source"``: the harness; ``imported.files``: the
files and their SHA-256); ``scores.json`` has evalkit's schema with the harness name as protocol,
since the prompts and scoring were the harness's own. There are no per-sample records, so paired
tests against an imported run are unavailable. Importing the same files again writes the same
folder with the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit import __version__
from evalkit.results.files import SCHEMA_VERSION, atomic_write_json, safe_name
from evalkit.scoring.types import MetricValue


@dataclass(frozen=True)
class ImportedTask:
    """One task of an imported result: values already on evalkit's scale (percentages ×100)."""

    name: str
    primary_metric: str
    metrics: dict[str, MetricValue]
    subtasks: dict[str, dict[str, MetricValue]] = field(default_factory=dict)
    num_fewshot: int = 0
    n: int | None = None
    source_task: str = ""  # the harness's own name for the task (and metric, where it differs)

    def scores_entry(self, protocol: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "n": self.n, "n_failed": None, "protocol": protocol, "num_fewshot": self.num_fewshot,
            "primary_metric": self.primary_metric,
            "metrics": {name: value.as_dict() for name, value in self.metrics.items()},
        }
        if self.subtasks:
            entry["subtasks"] = {name: {m: v.as_dict() for m, v in metrics.items()}
                                 for name, metrics in self.subtasks.items()}
        return entry


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_imported_run(out: Path, *, source: str, model: str, tasks: Sequence[ImportedTask], files: Sequence[Path],
                       model_args: Any = None, finished: str = "", extra: Mapping[str, Any] | None = None) -> Path:
    """Write ``out/<model>/<source>-<hash of the files>/`` and return that folder."""
    hashes = [sha256_file(path) for path in files]
    run_id = f"{source}-{hashlib.sha256(''.join(sorted(hashes)).encode()).hexdigest()[:12]}"
    root = out / safe_name(model) / run_id
    run_info: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": "finished",
        "source": source,
        "imported": {
            "files": [{"name": path.name, "sha256": digest} for path, digest in zip(files, hashes)],
            "evalkit_version": __version__,
            **(dict(extra) if extra else {}),
        },
        "model": {"name": model, "args": model_args},
        "tasks": {t.name: {"protocol": source, "num_fewshot": t.num_fewshot, "source_task": t.source_task}
                  for t in tasks},
        "finished": finished,
    }
    atomic_write_json(root / "run.json", run_info)
    atomic_write_json(root / "scores.json", {
        "schema_version": SCHEMA_VERSION,
        "tasks": {t.name: t.scores_entry(source) for t in tasks},
    })
    return root
