"""Atomic writes and the layout of a run directory."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, dumps(data))


def atomic_write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    lines = (json.dumps(r, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n" for r in records)
    atomic_write_text(path, "".join(lines))


class RunDir:
    """``results/<model>/<run-id>/`` and the files in it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def run_json(self) -> Path:
        return self.root / "run.json"

    @property
    def scores_json(self) -> Path:
        return self.root / "scores.json"

    def samples(self, task: str) -> Path:
        return self.root / "samples" / f"{task}.jsonl"

    def journal(self, task: str, rank: int | None = None) -> Path:
        """The file this process appends to: one per task, or one per task and rank under torchrun."""
        name = f"{task}.jsonl" if rank is None else f"{task}.rank{rank}.jsonl"
        return self.root / "journal" / name

    def journal_files(self, task: str) -> list[Path]:
        """Every journal file of a task, whatever number of processes wrote them."""
        folder = self.root / "journal"
        ranks = sorted(folder.glob(f"{task}.rank*.jsonl"), key=lambda p: int(p.name.rsplit(".rank", 1)[1][:-6]))
        single = folder / f"{task}.jsonl"
        return ([single] if single.exists() else []) + ranks

    def read_run(self) -> dict[str, Any]:
        return json.loads(self.run_json.read_text(encoding="utf-8"))


def safe_name(text: str) -> str:
    """A folder name for a model: path-like names keep only their last parts, odd characters become '_'."""
    text = text.rstrip("/").replace(":", "_")
    parts = [p for p in text.split("/") if p not in ("", ".", "..")]
    name = "__".join(parts[-2:]) if parts else "model"
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
