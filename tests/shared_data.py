"""Access to the project's shared reference folder (``../shared`` beside the checkout).

Tests read it only through ``shared_path``, which skips the test with a clear reason when the
folder is absent; everything a test cannot live without is committed under ``tests/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_ROOT = Path(os.environ.get("EVALKIT_SHARED_DIR", REPO_ROOT.parent / "shared"))


def shared_path(*parts: str) -> Path:
    path = SHARED_ROOT.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared reference data not available: {path} is absent (set EVALKIT_SHARED_DIR)")
    return path
