"""Turning dataset rows into typed samples according to a task's field mapping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evalkit.data.images import LazyImage
from evalkit.data.rowset import RowSet
from evalkit.data.transforms import apply_transform
from evalkit.errors import DataError
from evalkit.tasks.spec import FieldMap, FieldSpec

_MISSING = object()


@dataclass(frozen=True)
class Sample:
    """One evaluation item. ``id`` comes from the dataset; ``index`` only orders the output."""

    id: str
    index: int
    images: tuple[LazyImage, ...]
    text: dict[str, Any]
    options: tuple[str, ...]
    target: Any
    meta: dict[str, Any] = field(default_factory=dict)
    fewshot_answer: str | None = None

    @property
    def cluster(self) -> str:
        return str(self.meta.get("cluster", self.id))


def column_value(row: dict[str, Any], column: str) -> Any:
    """A row's value for ``column``; dotted names reach into nested mappings (``groups.global``)."""
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _field(row: dict[str, Any], spec: FieldSpec, what: str, origin: str) -> Any:
    columns = spec.column if isinstance(spec.column, tuple) else (spec.column,)
    values = []
    for column in columns:
        value = column_value(row, column)
        if value is _MISSING or value is None:
            if spec.default is not None:
                value = spec.default
            elif value is _MISSING:
                raise DataError(
                    f"{origin}: column {column!r} (for {what}) is missing; columns present: {', '.join(sorted(row))}"
                )
        values.append(value)
    if spec.transform:  # a transform over several columns receives their values as a list
        return apply_transform(spec.transform, values if len(values) > 1 else values[0])
    return "|".join(str(v) for v in values) if len(values) > 1 else values[0]


def build_samples(rowset: RowSet, fields: FieldMap, *, task: str, explode: Sequence[str] = ()) -> list[Sample]:
    rows = _explode(rowset.rows, explode, rowset.origin) if explode else [(r, None) for r in rowset.rows]
    samples: list[Sample] = []
    seen: dict[str, int] = {}
    repeats: dict[str, int] = {}
    for index, (row, sub) in enumerate(rows):
        sample = _build_one(row, sub, index, rowset, fields, task)
        if sample.id in seen and fields.repeated_ids == "number":
            repeats[sample.id] = repeats.get(sample.id, 1) + 1
            sample = _build_one(row, sub, index, rowset, fields, task, suffix=f"~{repeats[sample.id]}")
        if sample.id in seen:
            raise DataError(
                f"task {task!r}: sample id {sample.id!r} appears twice ({rowset.origin}, rows {seen[sample.id]} and "
                f"{index}); map 'fields.id' to columns that identify a sample uniquely"
            )
        seen[sample.id] = index
        samples.append(sample)
    return samples


def _explode(
    rows: list[dict[str, Any]], columns: Sequence[str], origin: str
) -> list[tuple[dict[str, Any], int | None]]:
    """One row per element of the list ``columns`` (OCR-VQA holds several questions per image)."""
    out = []
    for row in rows:
        lists = [row.get(c) for c in columns]
        if not all(isinstance(v, list) for v in lists) or len({len(v) for v in lists}) != 1:  # type: ignore[arg-type]
            raise DataError(f"{origin}: columns {', '.join(columns)} must be lists of equal length to be exploded")
        for i in range(len(lists[0])):  # type: ignore[arg-type]
            out.append(({**row, **{c: v[i] for c, v in zip(columns, lists)}}, i))  # type: ignore[index]
    return out


def _build_one(row: dict[str, Any], sub: int | None, index: int, rowset: RowSet, fields: FieldMap, task: str,
               suffix: str = "") -> Sample:
    origin = rowset.origin
    row_id = str(_field(row, fields.id, "id", origin)) + suffix
    sample_id = row_id if sub is None else f"{row_id}#{sub}"
    images: list[LazyImage] = []
    if fields.image is not None:
        cells = _field(row, fields.image, "image", origin)
        cells = cells if isinstance(cells, list) else [cells]
        for k, cell in enumerate(c for c in cells if c is not None):
            key = f"{task}/{sample_id}/{k}" if len(cells) > 1 else f"{task}/{sample_id}"
            try:
                images.append(LazyImage(key, rowset.image_source(cell)))
            except DataError as exc:
                raise DataError(f"{origin}: sample {sample_id!r}: {exc}") from exc
    text = {name: _field(row, spec, f"text.{name}", origin) for name, spec in fields.text.items()}
    options: tuple[str, ...] = ()
    if isinstance(fields.options, tuple):
        values = [_field(row, spec, "options", origin) for spec in fields.options]
        options = tuple(str(v) for v in values if v not in (None, "") and not _is_nan(v))
    elif fields.options is not None:
        options = tuple(str(v) for v in (_field(row, fields.options, "options", origin) or []))
    target: Any = None
    if isinstance(fields.target, dict):
        target = {name: _field(row, spec, f"target.{name}", origin) for name, spec in fields.target.items()}
    elif fields.target is not None:
        target = _field(row, fields.target, "target", origin)
    meta = {name: _field(row, spec, f"meta.{name}", origin) for name, spec in fields.meta.items()}
    if fields.subtask is not None:
        meta["subtask"] = str(_field(row, fields.subtask, "subtask", origin))
    if fields.cluster is not None:
        meta["cluster"] = str(_field(row, fields.cluster, "cluster", origin))
    elif sub is not None:
        meta["cluster"] = row_id
    if options:
        meta["options"] = list(options)
    fewshot_answer = None
    if fields.fewshot_answer is not None:
        fewshot_answer = str(_field(row, fields.fewshot_answer, "fewshot_answer", origin))
    elif isinstance(target, str):
        fewshot_answer = target
    elif isinstance(target, list) and target:
        fewshot_answer = str(target[0])
    return Sample(sample_id, index, tuple(images), text, options, _plain(target), _plain(meta), fewshot_answer)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _plain(value: Any) -> Any:
    """JSON-friendly copies of numpy/pyarrow values (lists, ints, floats, str)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _plain(value.tolist())
    return value
