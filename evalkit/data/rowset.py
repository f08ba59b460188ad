"""A task's rows as loaded, before they become samples."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.data.images import ImageSource
from evalkit.errors import DataError


@dataclass
class RowSet:
    rows: list[dict[str, Any]]
    image_source: Callable[[Any], ImageSource]
    origin: str  # for messages and provenance: a hub id@revision:split or a local path


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read image {path}: {exc}") from exc
