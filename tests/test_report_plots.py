"""Leaderboard plots: PNG and SVG files, the right kind of plot for each breakdown, and the SVG
holding the labels it should (text stays text in evalkit's SVGs)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from evalkit.report.html_page import Figure, render_html
from evalkit.report.leaderboard import LeaderboardOptions, write_leaderboard
from evalkit.report.plots import plot_subtask_bars
from evalkit.report.runs import find_runs
from tests.report_fixtures.build_fixtures import GROUPS, SEED_DIMENSIONS, TASK_ORDER

FIXTURES = Path(__file__).parent / "report_fixtures"

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    out = tmp_path_factory.mktemp("plots")
    runs = [r for r in find_runs([FIXTURES / "results"]) if r.source == "evalkit" and "Evil" not in r.model]
    result = write_leaderboard(runs, out, groups=GROUPS, task_order=TASK_ORDER,
                               options=LeaderboardOptions(plots=True, formats=()))
    return out, result


def svg_texts(path: Path) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8"))


def test_each_plot_is_written_as_png_and_svg(board):
    out, result = board
    plots = sorted(p.name for p in result.files)
    assert plots == sorted([
        "comparison.png", "comparison.svg",
        "breakdown-mme-acc-bars.png", "breakdown-mme-acc-bars.svg",
        "breakdown-mme-acc_plus-bars.png", "breakdown-mme-acc_plus-bars.svg",
        "breakdown-mme-score-bars.png", "breakdown-mme-score-bars.svg",
        "breakdown-seedbench-accuracy-radar.png", "breakdown-seedbench-accuracy-radar.svg",
    ])
    for name in plots:
        data = (out / "plots" / name).read_bytes()
        assert data.startswith(b"\x89PNG") if name.endswith(".png") else b"<svg" in data[:2000]


def test_seed_radar_has_every_dimension_and_mme_bars_every_subtask(board):
    out, _ = board
    radar = svg_texts(out / "plots" / "breakdown-seedbench-accuracy-radar.svg")
    assert set(SEED_DIMENSIONS) <= set(radar)
    assert "qwen-vl-chat (qwen-vl, 0-shot)" in radar and "Qwen/Qwen2-VL-2B-Instruct (standard, 0-shot)" in radar
    bars = svg_texts(out / "plots" / "breakdown-mme-score-bars.svg")
    assert {"existence", "OCR", "code_reasoning", "text_translation"} <= set(bars)



def test_subtask_bars_draw_one_bar_per_model_and_subtask(board, tmp_path):
    out, result = board
    table = next(t for t in result.tables.breakdowns if t.name == "breakdown-mme-score")
    assert len(table.rows) == 2
    one_model = replace(table, rows=table.rows[:1])
    plot_subtask_bars(one_model, tmp_path / "one")

    def patches(path: Path) -> int:
        return len(re.findall(r'<g id="patch_\d+">', path.read_text()))

    # A second model adds one bar per subtask (14) and one legend entry.
    assert patches(out / "plots" / "breakdown-mme-score-bars.svg") - patches(tmp_path / "one.svg") == 14 + 1


def test_comparison_has_a_panel_per_column_with_ci_whiskers(board):
    out, result = board
    texts = svg_texts(out / "plots" / "comparison.svg")
    for column in result.tables.overview.columns:
        assert column.label in texts
    svg = (out / "plots" / "comparison.svg").read_text()
    assert len(re.findall(r'<g id="LineCollection_\d+">', svg)) == len(result.tables.overview.columns)


def test_svg_output_is_deterministic(tmp_path, board):
    out, _ = board
    runs = [r for r in find_runs([FIXTURES / "results"]) if r.source == "evalkit" and "Evil" not in r.model]
    write_leaderboard(runs, tmp_path, groups=GROUPS, task_order=TASK_ORDER,
                      options=LeaderboardOptions(plots=True, formats=()))
    assert (tmp_path / "plots" / "comparison.svg").read_bytes() == (out / "plots" / "comparison.svg").read_bytes()


def test_figures_are_inlined_in_the_page_without_their_xml_prolog(board):
    out, result = board
    svg = (out / "plots" / "comparison.svg").read_text()
    page = render_html([result.tables.overview], decimals=2, figures=[Figure("cmp", svg)])
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert page.count("<svg") == 1 and "<figcaption>cmp</figcaption>" in page
