"""Reading JSON Lines files: one JSON object per line, blank lines skipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError


def read_objects(path: Path, error: type[EvalkitError], fix: str) -> list[dict[str, Any]]:
    """Each non-blank line of ``path`` as a dict. A line that is not valid JSON, or not an object, raises
    ``error`` naming the file and line, followed by ``fix`` (what the user should do about it)."""
    out: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise error(f"{path}:{number}: not valid JSON ({exc.msg}); {fix}") from exc
            if not isinstance(record, dict):
                raise error(f"{path}:{number}: each line must be a JSON object, got {type(record).__name__}; {fix}")
            out.append(record)
    return out
