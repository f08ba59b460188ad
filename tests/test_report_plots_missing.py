"""Without matplotlib, asking for plots stops with an install hint before any file is written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.report.leaderboard import LeaderboardOptions, write_leaderboard
from evalkit.report.runs import find_runs
from tests.report_fixtures.build_fixtures import GROUPS, TASK_ORDER

FIXTURES = Path(__file__).parent / "report_fixtures"


def test_plots_without_matplotlib_fail_up_front(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    runs = [r for r in find_runs([FIXTURES / "results"]) if r.source == "evalkit" and "Evil" not in r.model]
    out = tmp_path / "board"
    with pytest.raises(ConfigError, match=r"pip install 'evalkit\[plots\]'"):
        write_leaderboard(runs, out, groups=GROUPS, task_order=TASK_ORDER, options=LeaderboardOptions(plots=True))
    assert not out.exists() or not any(out.iterdir())
    # without plots the same call writes its tables
    write_leaderboard(runs, out, groups=GROUPS, task_order=TASK_ORDER, options=LeaderboardOptions(plots=False))
    assert any(out.glob("overview.*"))
