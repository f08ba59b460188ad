"""The per-task journal: every finished sample is appended, flushed and fsynced per batch.

A rerun reads it back and skips every sample whose record carries the same key (the key covers
everything that changes an answer). A crash can leave a half-written last line: it is detected
(no trailing newline, or not valid JSON) and dropped, never parsed into a record. Under torchrun
each rank appends to its own file and reads every rank's file, so a run resumes whatever the
number of processes it had before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO


class Journal:
    def __init__(self, path: Path, also_read: Sequence[Path] = ()) -> None:
        """Appends go to ``path``; lookups see ``path`` and ``also_read`` (other ranks' files)."""
        self.path = path
        self.dropped_lines = 0
        self._records: dict[str, list[dict[str, Any]]] = {}
        self._fh: TextIO | None = None
        for other in also_read:
            if other != path:
                self._load(other, repair=False)
        self._load(path, repair=True)

    def _load(self, path: Path, *, repair: bool) -> None:
        if not path.exists():
            return
        data = path.read_bytes()
        good_end = 0
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                self.dropped_lines += 1  # the torn last line of a crash
                break
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                self.dropped_lines += 1
                break
            if isinstance(record, dict) and "id" in record:
                self._records.setdefault(str(record["id"]), []).append(record)
            good_end += len(line)
        if repair and good_end != len(data):  # cut our own torn tail so new records start on a fresh line
            with open(path, "r+b") as fh:
                fh.truncate(good_end)
                fh.flush()
                os.fsync(fh.fileno())

    def get(self, sample_id: str, key: str) -> dict[str, Any] | None:
        """The journaled record of a sample if it was produced with this key and did not fail."""
        for record in reversed(self._records.get(sample_id, [])):
            if record.get("key") == key and record.get("error") is None:
                return record
        return None

    def find(self, sample_id: str, key: str) -> dict[str, Any] | None:
        """The latest record with this key, a successful one first, a failed one otherwise."""
        done = self.get(sample_id, key)
        if done is not None:
            return done
        for record in reversed(self._records.get(sample_id, [])):
            if record.get("key") == key:
                return record
        return None

    def latest(self) -> dict[str, dict[str, Any]]:
        """The last record of every sample, whatever its key."""
        return {sid: records[-1] for sid, records in self._records.items()}

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
        for record in records:
            self._fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False) + "\n")
            self._records.setdefault(str(record["id"]), []).append(record)
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
