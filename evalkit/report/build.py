"""From runs and published numbers to tables: the overview, one table per task group, and
per-subtask breakdowns (MME subtasks, SEED-Bench dimensions).

A row is a model under one protocol and number of shots, from one source: an evalkit run, a result
file imported from another harness, or the published numbers. Each reproduced row that has
published numbers for the same model, protocol and shots is followed by them and by a difference row
(reproduced − published), so a reader sees at once how close the reproduction is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evalkit.report.published import PublishedEntry, model_key
from evalkit.report.runs import EVALKIT_SOURCE, Run
from evalkit.report.table import Cell, Column, RowKind, Table, TableRow, rank_columns
from evalkit.scoring.types import MetricValue

PUBLISHED_SOURCE = "published"
DIFFERENCE_SOURCE = "difference"
_SOURCE_ORDER = {EVALKIT_SOURCE: 0, PUBLISHED_SOURCE: 2, DIFFERENCE_SOURCE: 3}  # imports sort in between


@dataclass(frozen=True)
class RowKey:
    model: str
    source: str
    protocol: str
    num_fewshot: int

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.model, self.source, self.protocol, str(self.num_fewshot))

    def sort_key(self) -> tuple[str, bool, str, int, int, str]:
        """A model's rows together: its own runs, each followed by the published numbers it reproduces
        and the difference, then rows imported from other harnesses."""
        imported = self.source not in _SOURCE_ORDER
        return (model_key(self.model), imported, self.protocol, self.num_fewshot, _SOURCE_ORDER.get(self.source, 1),
                self.source)


@dataclass
class RowData:
    """One row before it becomes a table row: every column it has a number for."""

    key: RowKey
    cells: dict[Column, MetricValue] = field(default_factory=dict)
    headlines: dict[str, str] = field(default_factory=dict)  # task -> its headline metric
    finished: dict[str, str] = field(default_factory=dict)  # task -> when the run it came from finished
    origin: dict[str, Path] = field(default_factory=dict)  # task -> the run it came from
    citations: dict[Column, str] = field(default_factory=dict)  # published rows: where each number is from
    remarks: dict[Column, str] = field(default_factory=dict)  # published rows: caveats about a number


@dataclass(frozen=True)
class Rows:
    rows: list[RowData]
    warnings: list[str]


def collect_rows(runs: Sequence[Run], published: Sequence[PublishedEntry] = ()) -> Rows:
    """Rows from runs (a task run twice for one row keeps the later run, with a warning), then the
    published rows and the differences."""
    by_key: dict[RowKey, RowData] = {}
    warnings: list[str] = []
    for run in runs:
        for task in run.tasks.values():
            key = RowKey(run.model, run.source, task.protocol, task.num_fewshot)
            row = by_key.setdefault(key, RowData(key))
            if task.name in row.origin:
                later = run.finished >= row.finished[task.name]
                warnings.append(f"{task.name} for {key.model} ({key.protocol}, {key.num_fewshot}-shot) is in two runs; "
                                f"using the later one, not {row.origin[task.name] if later else run.path}")
                if not later:
                    continue
                for column in [c for c in row.cells if c.task == task.name]:
                    del row.cells[column]
            row.origin[task.name] = run.path
            row.finished[task.name] = run.finished
            if task.headline is not None:
                row.headlines[task.name] = task.headline
            for metric, value in task.metrics.items():
                row.cells[Column(task.name, metric)] = value
            for subtask, metrics in task.subtasks.items():
                for metric, value in metrics.items():
                    row.cells[Column(task.name, metric, subtask)] = value
    for entry in published:
        key = RowKey(entry.model, PUBLISHED_SOURCE, entry.protocol, entry.num_fewshot)
        row = by_key.setdefault(key, RowData(key))
        column = Column(entry.task, entry.metric, entry.subtask)
        row.cells[column] = MetricValue(entry.value)
        row.citations[column] = entry.source
        if entry.note:
            row.remarks[column] = entry.note
    rows = list(by_key.values())
    rows += _differences(rows)
    rows.sort(key=lambda r: r.key.sort_key())
    return Rows(rows, warnings)


def _differences(rows: Sequence[RowData]) -> list[RowData]:
    published = {(model_key(r.key.model), r.key.protocol, r.key.num_fewshot): r
                 for r in rows if r.key.source == PUBLISHED_SOURCE}
    out = []
    for row in rows:
        if row.key.source != EVALKIT_SOURCE:
            continue
        reference = published.get((model_key(row.key.model), row.key.protocol, row.key.num_fewshot))
        if reference is None:
            continue
        diff = RowData(RowKey(row.key.model, DIFFERENCE_SOURCE, row.key.protocol, row.key.num_fewshot))
        for column, ours in row.cells.items():
            theirs = reference.cells.get(column)
            if theirs is None:
                continue
            # The published number has no uncertainty we know of: the CI is the reproduction's, shifted.
            ci = None if ours.ci95 is None else (ours.ci95[0] - theirs.value, ours.ci95[1] - theirs.value)
            diff.cells[column] = MetricValue(ours.value - theirs.value, ci)
        if diff.cells:
            out.append(diff)
    return out


def _ordered_tasks(rows: Sequence[RowData], task_order: Sequence[str]) -> list[str]:
    measured = {task for row in rows if row.key.source not in (PUBLISHED_SOURCE, DIFFERENCE_SOURCE)
                for task in row.headlines}
    known = [t for t in task_order if t in measured]
    return known + sorted(measured - set(known))


def _score_rows(rows: Sequence[RowData]) -> list[RowData]:
    return [r for r in rows if r.key.source not in (PUBLISHED_SOURCE, DIFFERENCE_SOURCE)]


def make_table(name: str, title: str, columns: Sequence[Column], rows: Sequence[RowData], *, decimals: int,
               splits_headline: bool = False) -> Table:
    """Rows with at least one number in ``columns``, ranked per column; notes cite published rows."""
    table_rows = []
    notes: list[str] = []
    for row in rows:
        cells = tuple(row.cells.get(c) for c in columns)
        if all(cell is None for cell in cells):
            continue
        kind = RowKind.DIFFERENCE if row.key.source == DIFFERENCE_SOURCE else RowKind.SCORE
        table_rows.append(TableRow(
            labels=row.key.labels,
            cells=tuple(Cell() if c is None else Cell(c.value, c.ci95) for c in cells),
            kind=kind,
            group=model_key(row.key.model),
        ))
        for citation in sorted({row.citations[c] for c in columns if c in row.citations}):
            notes.append(f"published {row.key.model}: {citation}")  # duplicates across rows dropped below
        for column in columns:
            if column in row.remarks:
                notes.append(f"published {row.key.model} {column.task} {column.label if column.subtask else ''}"
                             .rstrip() + f": {row.remarks[column]}")
    sources = {row.labels[1] for row in table_rows}
    if DIFFERENCE_SOURCE in sources:
        notes.append("difference: reproduced minus published; its CI is the reproduced number's 95% CI, shifted")
    for source in sorted(sources - {EVALKIT_SOURCE, PUBLISHED_SOURCE, DIFFERENCE_SOURCE}):
        notes.append(f"{source}: imported from that harness's result files (its own prompts and scoring)")
    return Table(name=name, title=title, columns=tuple(columns), rows=tuple(rank_columns(table_rows, decimals)),
                 notes=tuple(dict.fromkeys(notes)), splits_headline=splits_headline)


def overview_table(rows: Sequence[RowData], task_order: Sequence[str], *, decimals: int) -> Table:
    """One column per task and headline metric (two when rows disagree on a task's headline)."""
    columns = []
    for task in _ordered_tasks(rows, task_order):
        for row in _score_rows(rows):
            column = Column(task, row.headlines[task]) if task in row.headlines else None
            if column is not None and column not in columns:
                columns.append(column)
    return make_table("overview", "Overview: each task's headline metric", columns, rows, decimals=decimals)


def group_tables(rows: Sequence[RowData], groups: Mapping[str, Sequence[str]], task_order: Sequence[str], *,
                 decimals: int) -> list[Table]:
    """One table per task group that has results, with every metric of its tasks."""
    measured = _ordered_tasks(rows, task_order)
    tables = []
    for group in sorted(groups):
        members = [t for t in measured if t in groups[group]]
        columns: list[Column] = []
        for task in members:
            for row in _score_rows(rows):
                ordered = sorted((c for c in row.cells if c.task == task and c.subtask is None),
                                 key=lambda c: c.metric != row.headlines.get(task))
                columns += [c for c in ordered if c not in columns]
        if columns:
            tables.append(make_table(f"group-{file_stem(group)}", f"Group {group}", columns, rows, decimals=decimals))
    return tables


def breakdown_tables(rows: Sequence[RowData], task_order: Sequence[str], *, decimals: int) -> list[Table]:
    """Per task with subtasks, one table per subtask metric: a column per subtask."""
    tables = []
    for task in _ordered_tasks(rows, task_order):
        by_metric: dict[str, list[Column]] = {}
        for row in _score_rows(rows):
            for column in row.cells:
                if column.task == task and column.subtask is not None:
                    listed = by_metric.setdefault(column.metric, [])
                    if column not in listed:
                        listed.append(column)
        headlines = {row.headlines[task] for row in _score_rows(rows) if task in row.headlines}
        for metric, columns in by_metric.items():
            tables.append(make_table(f"breakdown-{file_stem(task)}-{file_stem(metric)}",
                                     f"{task}: {metric} per subtask", columns, rows, decimals=decimals,
                                     splits_headline=headlines == {metric}))
    return tables


def file_stem(name: str) -> str:
    """A name safe as part of a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip(".") or "_"
