"""What a benchmark builder returns: one scene and the dataset rows asking about it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pyarrow as pa

from evalkit.synth.scene import Scene

Split = Literal["train", "test"]
SPLITS: tuple[Split, ...] = ("train", "test")

# Hugging Face's encoding of an ``Image`` feature in parquet: the file bytes plus an optional path.
IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


class _ImagePlaceholder:
    """Stands in a row for the scene's image until the image is rendered."""

    def __repr__(self) -> str:
        return "IMAGE"


IMAGE: Any = _ImagePlaceholder()


@dataclass(frozen=True)
class BuildContext:
    """Where an example sits: its split and position, and limits a training curriculum may set."""

    split: Split
    index: int
    max_shapes: int | None = None  # fewer shapes per scene than the benchmark's usual range

    def shapes(self, low: int, high: int) -> tuple[int, int]:
        """The range of shape counts to draw from: ``[low, high]`` capped by ``max_shapes``."""
        if self.max_shapes is None:
            return low, high
        cap = max(low, self.max_shapes)
        return low, min(high, cap)

    def number(self, base: int = 1) -> int:
        """A numeric id unique within the split and disjoint between splits."""
        return (0 if self.split == "test" else 1_000_000_000) + base + self.index

    def name(self, stem: str) -> str:
        return f"{stem}_{self.split}_{self.index:06d}"


@dataclass(frozen=True)
class Example:
    """One image and its rows; rows hold ``IMAGE`` where the image goes until ``with_image``."""

    scene: Scene
    rows: tuple[dict[str, Any], ...]
    info: dict[str, Any] = field(default_factory=dict)  # e.g. the referred shape of a RefCOCO row

    def with_image(self) -> list[dict[str, Any]]:
        cell = {"bytes": self.scene.png(), "path": None}
        return [{k: _fill(v, cell) for k, v in row.items()} for row in self.rows]


def _fill(value: Any, cell: dict[str, Any]) -> Any:
    if value is IMAGE:
        return dict(cell)
    if isinstance(value, list) and any(v is IMAGE for v in value):
        return [dict(cell) if v is IMAGE else v for v in value]
    return value


@dataclass(frozen=True)
class Benchmark:
    """A synthetic benchmark: how to build one example, the real schema its rows follow, its sizes."""

    name: str
    mimics: str  # the real benchmark and the schema followed
    build: Callable[[Any, BuildContext], Example | None]  # (random.Random, context) -> example or None: retry
    schema: pa.Schema
    test_size: int  # examples (images) in the bundled test split
    pool_size: int = 64  # examples in the bundled few-shot pool (a train split)
