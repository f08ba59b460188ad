"""Reading a task's rows from the hub or from a local parquet / JSONL / TSV file or image folder.

Every loader returns a ``RowSet``: plain dict rows plus a function that turns a row's image cell
into an in-memory image source (bytes, a decoded image, or a reader of a file under the data root).
Nothing is decoded here; images decode lazily in the runner's background pool. The readers of
each local file format are in ``formats.py``; this module picks the source, filters and joins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.data.formats import LOCAL_READERS, parquet, parse_cell
from evalkit.data.images import ImageSource
from evalkit.data.paths import resolve_under
from evalkit.data.rowset import RowSet, read_file
from evalkit.errors import DataError
from evalkit.tasks.spec import HubSource, JoinSpec, LocalSource, Source

__all__ = ["BUNDLED_DATA", "RowSet", "load_local", "load_rows", "parse_cell"]

BUNDLED_DATA = Path(__file__).resolve().parents[1] / "_data"


def load_rows(source: Source, data_dir: Path | None, *, task: str) -> RowSet:
    """Rows from the local copy when ``data_dir`` is given (or the local path is absolute), else the hub;
    then filtered by ``source.where`` and extended by ``source.join``."""
    rowset = _load_source(source, data_dir, task=task)
    if source.where:
        rowset = _filter_rows(rowset, source.where)
    if source.join is not None:
        rowset = _join_rows(rowset, source.join, data_dir, task=task)
    return rowset


def _filter_rows(rowset: RowSet, where: Mapping[str, tuple[str, ...]]) -> RowSet:
    for column in where:
        if rowset.rows and column not in rowset.rows[0]:
            raise DataError(f"{rowset.origin}: 'where' names column {column!r}, which the data lacks; "
                            f"columns present: {', '.join(sorted(rowset.rows[0]))}")
    keep = [row for row in rowset.rows if all(str(row.get(c)) in allowed for c, allowed in where.items())]
    return RowSet(keep, rowset.image_source, rowset.origin)


@dataclass(frozen=True)
class _JoinedImage:
    """An image cell taken from a joined dataset, already resolved by that dataset's reader."""

    source: ImageSource


def _join_rows(rowset: RowSet, join: JoinSpec, data_dir: Path | None, *, task: str) -> RowSet:
    """Each row gains ``join.columns`` from the joined row whose ``join.key`` equals its ``join.on_column``."""
    wanted = {str(row.get(join.on_column)) for row in rowset.rows}
    other = _load_source(join.source, data_dir, task=f"{task} (joined {', '.join(join.columns)})",
                         keep=(join.key, wanted))
    by_key: dict[str, dict[str, Any]] = {}
    for row in other.rows:
        missing = [c for c in (join.key, *join.columns) if c not in row]
        if missing:
            raise DataError(f"{other.origin}: joined rows lack column(s) {', '.join(missing)}; "
                            f"columns present: {', '.join(sorted(row))}")
        by_key.setdefault(str(row[join.key]), row)
    out = []
    for row in rowset.rows:
        if join.on_column not in row:
            raise DataError(f"{rowset.origin}: column {join.on_column!r} (join.on_column) is missing; "
                            f"columns present: {', '.join(sorted(row))}")
        match = by_key.get(str(row[join.on_column]))
        if match is None:
            raise DataError(f"{rowset.origin}: no row of {other.origin} has {join.key} = {row[join.on_column]!r} "
                            f"(join.on_column {join.on_column!r}); the two datasets do not belong together")
        extra = {c: _resolve_joined(match[c], other) for c in join.columns}
        out.append({**row, **extra})

    def image_source(cell: Any) -> ImageSource:
        return cell.source if isinstance(cell, _JoinedImage) else rowset.image_source(cell)

    return RowSet(out, image_source, rowset.origin)


def _resolve_joined(value: Any, other: RowSet) -> Any:
    """Image cells (bytes, ``{bytes, path}``) are resolved by the joined dataset's own reader."""
    if isinstance(value, (bytes, bytearray)) or (isinstance(value, dict) and ("bytes" in value or "path" in value)):
        return _JoinedImage(other.image_source(value))
    return value


def _load_source(source: Source, data_dir: Path | None, *, task: str,
                 keep: tuple[str, set[str]] | None = None) -> RowSet:
    local = source.local
    if local is not None and local.bundled:
        return _keep(load_local(local, BUNDLED_DATA, task=task), keep)
    if local is not None and (data_dir is not None or Path(local.path).is_absolute()):
        return _keep(load_local(local, data_dir or Path("/"), task=task, keep=keep), keep)
    if source.hub is not None:
        return load_hub(source.hub, task=task, local_hint=local, keep=keep)
    raise DataError(
        f"task {task!r} reads a local copy only: pass --data-dir pointing at the folder that holds "
        f"{local.path if local else '?'}"
    )


def _keep(rowset: RowSet, keep: tuple[str, set[str]] | None) -> RowSet:
    if keep is None:
        return rowset
    column, values = keep
    return RowSet([r for r in rowset.rows if str(r.get(column)) in values], rowset.image_source, rowset.origin)


# -- local files ---------------------------------------------------------------------------------------


def load_local(local: LocalSource, data_dir: Path, *, task: str, keep: tuple[str, set[str]] | None = None) -> RowSet:
    root = data_dir.expanduser()
    if not root.is_dir():
        raise DataError(f"data folder {root} does not exist; pass --data-dir pointing at your local copy")
    if any(c in local.path for c in "*?["):
        matches = [resolve_under(root, str(m.relative_to(root)), "data path") for m in sorted(root.glob(local.path))]
    else:
        matches = [resolve_under(root, local.path, "data path")]
    if not matches or not matches[0].exists():
        raise DataError(
            f"task {task!r}: local data {root / local.path} not found ({local.format}); download the dataset "
            f"and lay it out so that this path exists under --data-dir"
        )
    image_root = resolve_under(root, local.image_root, "image_root") if local.image_root else None
    if local.format == "parquet" and keep is not None:  # read only the joined rows a task needs
        return parquet(matches, root, image_root, keep=keep)
    loader = LOCAL_READERS[local.format]
    return loader(matches, root, image_root)




# -- the hub -------------------------------------------------------------------------------------------


def load_hub(hub: HubSource, *, task: str, local_hint: LocalSource | None,
             keep: tuple[str, set[str]] | None = None) -> RowSet:
    from evalkit.data.hub import use_offline_mode_if_unreachable

    online = use_offline_mode_if_unreachable()
    hint = (
        f"pass --data-dir with a local copy laid out as {local_hint.path} ({local_hint.format})"
        if local_hint else "download it on a machine with access and set HF_HOME to that cache"
    )
    errors = []
    for dataset_id in (hub.id, *hub.alt_ids):
        try:
            return _load_hub_id(dataset_id, hub, keep)
        except DataError:
            raise
        except Exception as exc:  # datasets raises many unrelated types for a missing/unreachable dataset
            errors.append(f"{dataset_id}: {type(exc).__name__}")
    state = "is not cached and the machine is offline" if not online else "could not be loaded"
    raise DataError(f"task {task!r}: dataset {hub.id} {state} ({'; '.join(errors)}); {hint}, or set HF_HOME "
                    f"to a cache that holds it. The bundled synthetic tasks (e.g. synth_mme, synth_seed; "
                    f"evalkit run --tasks quickstart) run offline")


def _load_hub_id(dataset_id: str, hub: HubSource, keep: tuple[str, set[str]] | None = None) -> RowSet:
    import datasets

    ds = datasets.load_dataset(dataset_id, hub.config, split=hub.split, revision=hub.revision)
    if keep is not None and keep[0] in ds.column_names:  # a joined dataset: only the rows a task needs
        column, values = keep
        ds = ds.filter(lambda v: str(v) in values, input_columns=[column])
    for name, feature in ds.features.items():  # keep encoded bytes; decoding happens lazily later
        if isinstance(feature, datasets.Image):
            ds = ds.cast_column(name, datasets.Image(decode=False))
        elif isinstance(feature, datasets.Sequence) and isinstance(feature.feature, datasets.Image):
            ds = ds.cast_column(name, datasets.Sequence(datasets.Image(decode=False)))
        elif isinstance(feature, list) and feature and isinstance(feature[0], datasets.Image):
            ds = ds.cast_column(name, [datasets.Image(decode=False)])

    def source(cell: Any) -> ImageSource:
        if isinstance(cell, dict) and cell.get("bytes"):
            return cell["bytes"]
        if isinstance(cell, dict) and cell.get("path"):
            path = Path(cell["path"])
            return lambda: read_file(path)
        raise DataError(f"hub image cell has neither bytes nor a path: {str(cell)[:80]}")

    origin = f"{dataset_id}@{hub.revision or 'main'}:{hub.config or 'default'}/{hub.split}"
    return RowSet([dict(row) for row in ds], source, origin)
