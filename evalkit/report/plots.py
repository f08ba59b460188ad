"""Leaderboard plots with matplotlib (Agg backend, imported only when plots are asked for), each
written as PNG and SVG:

- ``plot_comparison``: every column of a table in its own panel, one bar per model with its 95% CI;
- ``plot_subtask_bars``: a breakdown table (MME's subtask scores) as grouped horizontal bars;
- ``plot_radar``: a breakdown whose subtasks split the headline (SEED-Bench's dimensions) as one
  polygon per model.

Difference rows are never plotted. SVG text stays text (searchable, and what tests read back);
output is deterministic (no dates, a fixed hash salt).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError
from evalkit.report.table import RowKind, Table, TableRow

_RC: dict[str, Any] = {"svg.fonttype": "none", "svg.hashsalt": "evalkit", "font.size": 9}


def require_matplotlib() -> None:
    """Stop with a clear message, before anything is written, when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ConfigError("plots need matplotlib, which is not installed: pip install 'evalkit[plots]' "
                          "(or pip install matplotlib), or leave out --plots") from exc


@contextmanager
def _pyplot() -> Iterator[Any]:
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")  # no display: the only backend a server or CI has
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        yield plt


def _save(fig: Any, stem: Path) -> list[Path]:
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=150, bbox_inches="tight", metadata={"Software": None})
    fig.savefig(paths[1], bbox_inches="tight", metadata={"Date": None, "Creator": None})
    return paths


def _score_rows(table: Table) -> list[TableRow]:
    return [row for row in table.rows if row.kind is RowKind.SCORE]


def row_label(row: TableRow) -> str:
    """A row in a legend: the model, then what distinguishes its row (source, protocol, shots)."""
    model, source, protocol, shots = (row.labels + ("", "", "", ""))[:4]
    shown_source = "" if source in ("evalkit", protocol) else source  # an import's protocol is its source
    detail = ", ".join(x for x in (shown_source, protocol, f"{shots}-shot" if shots else "") if x)
    return f"{model} ({detail})" if detail else model


def plot_comparison(table: Table, stem: Path) -> list[Path]:
    """One panel per column: horizontal bars per model, whiskers at the 95% CI."""
    rows = _score_rows(table)
    columns = [i for i in range(len(table.columns)) if any(r.cells[i].value is not None for r in rows)]
    if not columns:
        return []
    with _pyplot() as plt:
        n = len(columns)
        width = min(n, 3)
        height = math.ceil(n / width)
        labels = [row_label(r) for r in rows]
        label_inches = 0.07 * max(len(label) for label in labels)  # model names only on the left panels
        fig, axes = plt.subplots(height, width, sharey=True, squeeze=False, layout="constrained",
                                 figsize=(3.2 * width + label_inches, (0.3 * len(rows) + 0.9) * height + 0.4))
        for ax, col in zip(axes.flat, columns):
            values = [r.cells[col].value for r in rows]
            shown = [v if v is not None else 0.0 for v in values]
            errors = [[0.0] * len(rows), [0.0] * len(rows)]
            for i, row in enumerate(rows):
                cell = row.cells[col]
                if cell.value is not None and cell.ci95 is not None:
                    errors[0][i] = max(0.0, cell.value - cell.ci95[0])
                    errors[1][i] = max(0.0, cell.ci95[1] - cell.value)
            ax.barh(range(len(rows)), shown, xerr=errors, color=["C0" if v is not None else "none" for v in values],
                    capsize=3)
            ax.set_yticks(range(len(rows)), labels)
            ax.invert_yaxis()
            ax.set_title(table.columns[col].label)
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        fig.suptitle(table.title)
        paths = _save(fig, stem)
        plt.close(fig)
    return paths


def plot_subtask_bars(table: Table, stem: Path) -> list[Path]:
    """Subtasks down the side, one bar per model in each (MME's 14 subtask scores)."""
    rows = _score_rows(table)
    if not rows:
        return []
    with _pyplot() as plt:
        n_sub = len(table.columns)
        fig, ax = plt.subplots(figsize=(7, 0.16 * n_sub * len(rows) + 0.3 * n_sub + 1.2), layout="constrained")
        bar = 0.8 / len(rows)
        for k, row in enumerate(rows):
            positions = [i + k * bar for i in range(n_sub)]
            values = [c.value if c.value is not None else 0.0 for c in row.cells]
            ax.barh(positions, values, height=bar, label=row_label(row))
        ax.set_yticks([i + bar * (len(rows) - 1) / 2 for i in range(n_sub)], list(table.value_headers))
        ax.invert_yaxis()
        ax.set_title(table.title)
        ax.legend(loc="best")
        paths = _save(fig, stem)
        plt.close(fig)
    return paths


def plot_radar(table: Table, stem: Path) -> list[Path]:
    """One closed polygon per model over the subtasks (SEED-Bench's 12 dimensions); needs three or more."""
    rows = _score_rows(table)
    n_sub = len(table.columns)
    if not rows or n_sub < 3:
        return []
    with _pyplot() as plt:
        angles = [2 * math.pi * i / n_sub for i in range(n_sub)]
        fig, ax = plt.subplots(figsize=(7, 7), subplot_kw={"projection": "polar"})
        for row in rows:
            values = [c.value if c.value is not None else 0.0 for c in row.cells]
            ax.plot(angles + angles[:1], values + values[:1], label=row_label(row))
            ax.fill(angles + angles[:1], values + values[:1], alpha=0.1)
        ax.set_xticks(angles, list(table.value_headers))
        ax.set_title(table.title, pad=24)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08))
        paths = _save(fig, stem)
        plt.close(fig)
    return paths
