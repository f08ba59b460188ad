"""The format-independent leaderboard table: labelled rows of numeric cells, ranked per column.

Every output format (Markdown, CSV, LaTeX, HTML) and every plot renders these objects, so all of
them show the same numbers. Cell text is made here too (``cell_text``), once for all formats.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class RowKind(str, enum.Enum):
    """What a row holds: scores (a run, an imported result, a published number) or a difference."""

    SCORE = "score"
    DIFFERENCE = "difference"


@dataclass(frozen=True)
class Column:
    """One value column: a task's metric, or the metric of one of its subtasks."""

    task: str
    metric: str
    subtask: str | None = None

    @property
    def label(self) -> str:
        return self.subtask if self.subtask is not None else f"{self.task} ({self.metric})"


@dataclass(frozen=True)
class Cell:
    value: float | None = None
    ci95: tuple[float, float] | None = None
    rank: int | None = None  # 1 for the best value in its column, 2 for the second

    @property
    def half_width(self) -> float | None:
        return None if self.ci95 is None else (self.ci95[1] - self.ci95[0]) / 2


@dataclass(frozen=True)
class TableRow:
    labels: tuple[str, ...]
    cells: tuple[Cell, ...]
    kind: RowKind = RowKind.SCORE
    group: str = ""  # rows of one model share a group; formats may draw a rule between groups


LABEL_HEADERS = ("model", "source", "protocol", "shots")


@dataclass(frozen=True)
class Table:
    name: str  # file stem and HTML id
    title: str
    columns: tuple[Column, ...]
    rows: tuple[TableRow, ...]
    label_headers: tuple[str, ...] = LABEL_HEADERS
    notes: tuple[str, ...] = field(default_factory=tuple)
    # A breakdown whose subtasks split the task's headline metric (SEED-Bench's dimensions of its
    # accuracy), as opposed to per-subtask detail metrics (MME's acc, acc+ and score).
    splits_headline: bool = False

    @property
    def value_headers(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.columns)


def value_text(value: float | None, kind: RowKind, decimals: int) -> str:
    """A cell's number as every format prints it; differences carry an explicit sign."""
    if value is None:
        return ""
    shown = round(value, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0: never print "-0.00"
    if shown == 0:
        shown = 0.0
    return f"{shown:+.{decimals}f}" if kind is RowKind.DIFFERENCE else f"{shown:.{decimals}f}"


def ci_text(cell: Cell, decimals: int) -> str:
    half = cell.half_width
    return "" if half is None or cell.value is None else f"{half:.{decimals}f}"


def rank_columns(rows: list[TableRow], decimals: int) -> list[TableRow]:
    """Mark the best (1) and second-best (2) value of each column among score rows, higher being
    better; values equal at the printed precision share a rank. Needs two distinct values."""
    ranked = [list(row.cells) for row in rows]
    n_columns = len(rows[0].cells) if rows else 0
    for col in range(n_columns):
        shown = {}
        for i, row in enumerate(rows):
            value = row.cells[col].value
            if row.kind is RowKind.SCORE and value is not None:
                shown[i] = round(value, decimals)
        distinct = sorted(set(shown.values()), reverse=True)
        if len(distinct) < 2:
            continue
        for i, value in shown.items():
            rank = 1 if value == distinct[0] else 2 if value == distinct[1] else None
            if rank is not None:
                cell = ranked[i][col]
                ranked[i][col] = Cell(cell.value, cell.ci95, rank)
    return [TableRow(row.labels, tuple(cells), row.kind, row.group) for row, cells in zip(rows, ranked)]
