"""The local file formats a task's rows can come from: parquet, JSONL, TSV (VLMEvalKit's, base64
images) and an image folder. Each reader takes the matched files, the data root (image paths in
cells are resolved under it) and an optional image root, and returns a ``RowSet``."""

from __future__ import annotations

import ast
import base64
import binascii
import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evalkit.data.images import ImageSource
from evalkit.data.paths import resolve_under
from evalkit.data.rowset import RowSet, read_file
from evalkit.errors import DataError
from evalkit.jsonl import read_objects

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def _file_reader(root: Path, base: Path) -> Callable[[Any], ImageSource]:
    def source(cell: Any) -> ImageSource:
        if isinstance(cell, dict):
            if cell.get("bytes"):
                return cell["bytes"]
            cell = cell.get("path")
        if not isinstance(cell, str) or not cell:
            raise DataError(f"image cell {cell!r} is neither bytes nor a file path")
        path = resolve_under(root, cell, "image path", base=base)
        return lambda: read_file(path)

    return source


def _string_array(values: set[str]) -> Any:
    import pyarrow as pa

    return pa.array(sorted(values), type=pa.string())


def parquet(files: list[Path], root: Path, image_root: Path | None,
             keep: tuple[str, set[str]] | None = None) -> RowSet:
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for path in files:
        try:
            table = pq.read_table(path)
            if keep is not None and keep[0] in table.column_names:
                import pyarrow.compute as pc

                column = pc.cast(table[keep[0]], "string")
                table = table.filter(pc.is_in(column, value_set=_string_array(keep[1])))
            rows.extend(table.to_pylist())
        except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
            raise DataError(f"cannot read parquet file {path}: {exc}") from exc
    return RowSet(rows, _file_reader(root, image_root or files[0].parent), str(files[0]))


def jsonl(files: list[Path], root: Path, image_root: Path | None) -> RowSet:
    rows = [row for path in files for row in read_objects(path, DataError, "fix or remove that line")]
    return RowSet(rows, _file_reader(root, image_root or files[0].parent), str(files[0]))


def parse_cell(text: str) -> Any:
    """A TSV cell: JSON or a Python literal when it looks like a list/dict, else the string itself.

    VLMEvalKit writes list answers and multi-image cells as Python list literals; they are parsed
    with ``ast.literal_eval`` (literals only; never ``eval``), and anything else stays a string.
    """
    stripped = text.strip()
    if stripped[:1] in "[{(":
        try:
            return json.loads(stripped)
        except ValueError:
            pass
        try:
            return ast.literal_eval(stripped)
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            return text
    return text


def tsv(files: list[Path], root: Path, image_root: Path | None) -> RowSet:
    csv.field_size_limit(sys.maxsize)
    rows: list[dict[str, Any]] = []
    for path in files:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            for row in reader:
                rows.append({k: (parse_cell(v) if isinstance(v, str) and k != "image" else v) for k, v in row.items()})
    by_index = {str(r.get("index")): r for r in rows}

    def source(cell: Any) -> ImageSource:
        # VLMEvalKit: a short value is the index of another row holding the same image.
        if isinstance(cell, str) and len(cell) <= 64:
            other = by_index.get(cell.strip())
            if other is None or not isinstance(other.get("image"), str) or len(other["image"]) <= 64:
                raise DataError(f"image cell {cell!r} points at no row with an image")
            cell = other["image"]
        if not isinstance(cell, str):
            raise DataError(f"image cell of type {type(cell).__name__} is not base64 text")
        try:
            return base64.b64decode(cell, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise DataError(f"image cell is not valid base64: {exc}") from exc

    for row in rows:  # multi-image rows hold a list literal of base64 strings
        if isinstance(row.get("image"), str) and row["image"].lstrip().startswith("["):
            row["image"] = parse_cell(row["image"])
    return RowSet(rows, source, str(files[0]))


def imagefolder(files: list[Path], root: Path, image_root: Path | None) -> RowSet:
    folder = files[0]
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder (format imagefolder)")
    metadata: dict[str, dict[str, Any]] = {}
    meta_file = folder / "metadata.jsonl"
    if meta_file.is_file():
        for row in jsonl([meta_file], root, folder).rows:
            metadata[str(row.get("file_name"))] = row
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES):
        rel = path.relative_to(folder).as_posix()
        rows.append({"file_name": rel, "image": rel, "label": path.parent.name, **metadata.get(rel, {})})
    return RowSet(rows, _file_reader(root, folder), str(folder))


LOCAL_READERS = {"parquet": parquet, "jsonl": jsonl, "tsv": tsv, "imagefolder": imagefolder}
