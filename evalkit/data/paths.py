"""Resolving paths found inside data files, confined to the data root."""

from __future__ import annotations

from pathlib import Path

from evalkit.errors import DataError


def resolve_under(root: Path, relative: str, what: str = "path", base: Path | None = None) -> Path:
    """``(base or root) / relative``, refusing anything that escapes ``root`` (``..``, absolute paths, links out)."""
    root_resolved = root.resolve()
    candidate = ((base or root).resolve() / relative).resolve()
    if candidate != root_resolved and root_resolved not in candidate.parents:
        raise DataError(
            f"{what} {relative!r} escapes the data root {root}; data files may only refer to files under it"
        )
    return candidate
