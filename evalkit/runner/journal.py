"""The per-task journal: every finished sample is appended, flushed and fsynced per batch.

A rerun reads it back and skips every sample whose record carries the same key (the key covers
everything that changes an answer). A crash can leave a half-written last line: it is detected
(no trailing newline, or not valid JSON) and dropped, never parsed into a record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.dropped_lines = 0
        self._records: dict[str, dict[str, Any]] = {}
        self._fh: TextIO | None = None
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
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
                self._records[str(record["id"])] = record
            good_end += len(line)
        if good_end != len(data):  # cut the torn tail so new records start on a fresh line
            with open(self.path, "r+b") as fh:
                fh.truncate(good_end)
                fh.flush()
                os.fsync(fh.fileno())

    def get(self, sample_id: str, key: str) -> dict[str, Any] | None:
        """The journaled record of a sample if it was produced with this key and did not fail."""
        record = self._records.get(sample_id)
        if record is None or record.get("key") != key or record.get("error") is not None:
            return None
        return record

    def latest(self) -> dict[str, dict[str, Any]]:
        return dict(self._records)

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
        for record in records:
            self._fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False) + "\n")
            self._records[str(record["id"])] = record
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
