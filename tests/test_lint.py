"""The CI runs only the test command, so the ruff rules in pyproject.toml are kept by this test."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest


def test_ruff_check_passes() -> None:
    if importlib.util.find_spec("ruff") is None:
        pytest.skip('ruff is not installed; install the dev extra: pip install -e ".[dev]"')
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-m", "ruff", "check", str(root)],
                         capture_output=True, text=True, timeout=120, cwd=root)
    assert out.returncode == 0, f"ruff check failed:\n{out.stdout}{out.stderr}"
