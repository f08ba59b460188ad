"""``evalkit leaderboard`` as a function: runs in, a folder of tables (and plots) out.

Writes ``overview``, ``group-<group>`` and ``breakdown-<task>-<metric>`` tables as ``.md``,
``.csv`` and ``.tex``, all of them on one ``index.html``, and with ``plots`` the PNG/SVG figures
under ``plots/``. The same inputs always give byte-identical files.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from evalkit.report.build import breakdown_tables, collect_rows, group_tables, overview_table
from evalkit.report.csv_table import render_csv
from evalkit.report.html_page import Figure, render_html
from evalkit.report.latex import render_latex
from evalkit.report.markdown import render_markdown
from evalkit.report.published import PublishedEntry
from evalkit.report.runs import Run
from evalkit.report.table import Table
from evalkit.results.files import atomic_write_text


class Format(str, enum.Enum):
    MARKDOWN = "md"
    CSV = "csv"
    LATEX = "tex"
    HTML = "html"


ALL_FORMATS = tuple(Format)


@dataclass(frozen=True)
class LeaderboardOptions:
    formats: tuple[Format, ...] = ALL_FORMATS
    decimals: int = 2
    ci: bool = False
    plots: bool = False


@dataclass(frozen=True)
class Tables:
    overview: Table
    groups: list[Table]
    breakdowns: list[Table]
    warnings: list[str]

    @property
    def all(self) -> list[Table]:
        """In page order."""
        return [self.overview, *self.groups, *self.breakdowns]


@dataclass(frozen=True)
class Leaderboard:
    tables: Tables
    files: list[Path]


def build_tables(runs: Sequence[Run], published: Sequence[PublishedEntry], *, groups: Mapping[str, Sequence[str]],
                 task_order: Sequence[str], decimals: int) -> Tables:
    """The overview, the group tables and the breakdowns, and any warnings about the inputs."""
    collected = collect_rows(runs, published)
    overview = overview_table(collected.rows, task_order, decimals=decimals)
    grouped = group_tables(collected.rows, groups, task_order, decimals=decimals)
    breakdowns = breakdown_tables(collected.rows, task_order, decimals=decimals)
    warnings = list(collected.warnings)
    unmatched = _unmatched_published(published, [overview, *grouped, *breakdowns])
    if unmatched:
        warnings.append(f"{len(unmatched)} published numbers match no task in the results and are not shown "
                        f"(e.g. {unmatched[0]})")
    return Tables(overview, grouped, breakdowns, warnings)


def _unmatched_published(published: Iterable[PublishedEntry], tables: Sequence[Table]) -> list[str]:
    shown = {(c.task, c.metric, c.subtask) for t in tables for c in t.columns}
    return [f"{e.model} {e.task} {e.metric}" + (f" [{e.subtask}]" if e.subtask else "")
            for e in published if (e.task, e.metric, e.subtask) not in shown]


def write_leaderboard(runs: Sequence[Run], out: Path, *, published: Sequence[PublishedEntry] = (),
                      groups: Mapping[str, Sequence[str]], task_order: Sequence[str],
                      options: LeaderboardOptions = LeaderboardOptions()) -> Leaderboard:
    if options.plots:
        from evalkit.report.plots import require_matplotlib

        require_matplotlib()
    tables = build_tables(runs, published, groups=groups, task_order=task_order, decimals=options.decimals)
    files: list[Path] = []
    renderers = {Format.MARKDOWN: render_markdown, Format.CSV: render_csv, Format.LATEX: render_latex}
    for table in tables.all:
        for fmt, render in renderers.items():
            if fmt in options.formats:
                path = out / f"{table.name}.{fmt.value}"
                atomic_write_text(path, render(table, decimals=options.decimals, ci=options.ci))
                files.append(path)
    figures: list[Figure] = []
    if options.plots:
        plotted = _write_plots(tables, out / "plots")
        files += [path for _, paths in plotted for path in paths]
        figures = [Figure(title, path.read_text(encoding="utf-8"))
                   for title, paths in plotted for path in paths if path.suffix == ".svg"]
    if Format.HTML in options.formats:
        path = out / "index.html"
        atomic_write_text(path, render_html(tables.all, decimals=options.decimals, ci=options.ci, figures=figures))
        files.append(path)
    return Leaderboard(tables, files)


def _write_plots(tables: Tables, folder: Path) -> list[tuple[str, list[Path]]]:
    from evalkit.report import plots

    out = [(tables.overview.title, plots.plot_comparison(tables.overview, folder / "comparison"))]
    for table in tables.breakdowns:
        if table.splits_headline:  # SEED-Bench's dimensions: a radar shows a model's profile at a glance
            out.append((f"{table.title} (radar)", plots.plot_radar(table, folder / f"{table.name}-radar")))
        else:  # MME's subtasks
            out.append((table.title, plots.plot_subtask_bars(table, folder / f"{table.name}-bars")))
    return [(title, paths) for title, paths in out if paths]
