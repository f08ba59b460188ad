"""The synthetic splits as parquet files in the Hugging Face layout, and the copies bundled with evalkit.

Files carry the real benchmark's column types plus the ``huggingface`` schema metadata that marks
image columns as ``Image`` features, so ``datasets.load_dataset("parquet", ...)`` decodes them just as
it does the hub's copies, and evalkit's own parquet loader reads them like any local copy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from evalkit.synth.example import IMAGE_TYPE, Benchmark
from evalkit.synth.generate import BENCHMARKS, POOL_SEED, TEST_SEED, benchmark, generate

BUNDLED_ROOT = Path(__file__).resolve().parents[1] / "_data" / "synth"


def bundled_path(task: str, split: str, root: Path = BUNDLED_ROOT) -> Path:
    """``<root>/<task>/<split>.parquet``: ``test`` is the test split, ``train`` the few-shot pool."""
    return root / task / f"{split}.parquet"


def _hf_features(schema: pa.Schema) -> dict[str, Any]:
    import datasets

    features = datasets.Features.from_arrow_schema(schema)
    for field in schema:
        if field.type == IMAGE_TYPE:
            features[field.name] = datasets.Image()
        elif pa.types.is_list(field.type) and field.type.value_type == IMAGE_TYPE:
            features[field.name] = datasets.List(datasets.Image())
    return features.to_dict()  # type: ignore[no-any-return]


def to_table(rows: list[dict[str, Any]], bench: Benchmark) -> pa.Table:
    table = pa.Table.from_pylist(rows, schema=bench.schema)
    metadata = {b"huggingface": json.dumps({"info": {"features": _hf_features(bench.schema)}}).encode()}
    return table.replace_schema_metadata(metadata)


def write_split(path: Path, rows: list[dict[str, Any]], bench: Benchmark) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(to_table(rows, bench), path, compression="zstd")
    return path


def read_rows(path: Path) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()  # type: ignore[no-any-return]


def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with each image cell replaced by its size and a hash of its pixels: PNG bytes depend on
    the zlib that Pillow was built with, the pixels do not."""
    return [{k: _pixels_id(v) for k, v in row.items()} for row in rows]


def _pixels_id(value: Any) -> Any:
    if isinstance(value, list) and value and all(_is_image_cell(v) for v in value):
        return [_pixels_id(v) for v in value]
    if not _is_image_cell(value):
        return value
    import hashlib
    import io

    from PIL import Image

    with Image.open(io.BytesIO(value["bytes"])) as image:
        rgb = image.convert("RGB")
        return {"size": rgb.size, "pixels_sha256": hashlib.sha256(rgb.tobytes()).hexdigest()}


def _is_image_cell(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"bytes", "path"}


def bundled_rows(task: str, split: str) -> list[dict[str, Any]]:
    """What the bundled split of ``task`` holds, freshly generated (``test``: the test split;
    ``train``: the few-shot pool)."""
    bench = benchmark(task)
    if split == "test":
        return generate(task, "test", bench.test_size, TEST_SEED)
    return generate(task, "train", bench.pool_size, POOL_SEED)


def write_bundled(tasks: Iterable[str] | None = None, root: Path = BUNDLED_ROOT) -> list[Path]:
    """Regenerate the bundled test splits and few-shot pools."""
    written = []
    for task in tasks or BENCHMARKS:
        bench = benchmark(task)
        for split in ("test", "train"):
            written.append(write_split(bundled_path(task, split, root), bundled_rows(task, split), bench))
    return written
