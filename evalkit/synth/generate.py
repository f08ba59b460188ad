"""Generating the synthetic benchmarks: seeded, reproducible, train and test kept apart.

Example ``i`` of a split is drawn from its own random stream, seeded by the text
``"{task}/{split}/{seed}/{i}/{attempt}"`` (Python's string seeding hashes it with SHA-512, the same
on every platform), so any slice of a split can be generated on its own, in any order, by any
number of workers, and is the same every time. A builder that cannot place its scene returns
nothing and the next attempt of the same example is drawn.

No training image is ever a test image: the official test splits (``TEST_SEED``, each benchmark's
``test_size``) are reserved, and a training example whose scene would draw one of their images is
drawn again.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from evalkit.errors import ConfigError, did_you_mean
from evalkit.synth import caption, dialogue, mme, ocrvqa, refcoco, seed, vqa
from evalkit.synth.example import SPLITS, Benchmark, BuildContext, Example, Split

BENCHMARKS: dict[str, Benchmark] = {
    b.name: b for b in (caption.BENCHMARK, vqa.BENCHMARK, ocrvqa.BENCHMARK, refcoco.BENCHMARK, mme.BENCHMARK,
                        seed.BENCHMARK, dialogue.BENCHMARK)
}
TEST_SEED = 0  # the bundled test splits
POOL_SEED = 0  # the bundled few-shot pools (train split)
MAX_ATTEMPTS = 1000


def benchmark(task: str) -> Benchmark:
    if task not in BENCHMARKS:
        raise ConfigError(f"unknown synthetic benchmark {task!r}{did_you_mean(task, BENCHMARKS)} "
                          f"(known: {', '.join(BENCHMARKS)})")
    return BENCHMARKS[task]


def _check_split(split: str) -> Split:
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; the synthetic benchmarks have {' and '.join(SPLITS)}")
    return split  # type: ignore[return-value]


def _draw(bench: Benchmark, split: Split, seed: int, index: int, max_shapes: int | None,
          reserved: frozenset[str]) -> Example:
    ctx = BuildContext(split, index, max_shapes)
    for attempt in range(MAX_ATTEMPTS):
        rng = random.Random(f"{bench.name}/{split}/{seed}/{index}/{attempt}")
        example = bench.build(rng, ctx)
        if example is not None and example.scene.signature() not in reserved:
            return example
    raise ConfigError(f"{bench.name}: example {index} could not be drawn in {MAX_ATTEMPTS} attempts "
                      f"(max_shapes={max_shapes} may be too small for this benchmark)")


def iter_examples(task: str, split: str, n: int, seed: int, *, start: int = 0,
                  max_shapes: int | None = None) -> Iterator[Example]:
    """Examples ``start .. start+n-1`` of a split, one image each, with rows still lacking image bytes.

    ``max_shapes`` caps the shapes per scene below the benchmark's usual range (a curriculum may
    start from single shapes); it never goes below what a question needs.
    """
    bench = benchmark(task)
    chosen = _check_split(split)
    if n < 0 or start < 0:
        raise ConfigError(f"n and start must be 0 or more, got n={n}, start={start}")
    reserved = frozenset() if chosen == "test" else reserved_signatures()
    for index in range(start, start + n):
        yield _draw(bench, chosen, seed, index, max_shapes, reserved)


def generate_examples(task: str, split: str, n: int, seed: int, *, start: int = 0,
                      max_shapes: int | None = None) -> list[Example]:
    """``n`` examples (one image each) with their scenes: shapes, boxes and words for training targets.

    ``Example.with_image()`` gives the example's dataset rows with the PNG bytes filled in.
    """
    return list(iter_examples(task, split, n, seed, start=start, max_shapes=max_shapes))


def generate(task: str, split: str, n: int, seed: int, *, start: int = 0,
             max_shapes: int | None = None) -> list[dict[str, Any]]:
    """The dataset rows of ``n`` examples, in the schema of the real benchmark ``task`` mimics.

    ``n`` counts images: MME gives two rows per image, VQA three, the others one.
    """
    return [row for ex in iter_examples(task, split, n, seed, start=start, max_shapes=max_shapes)
            for row in ex.with_image()]


@lru_cache(maxsize=1)
def reserved_signatures() -> frozenset[str]:
    """Scene signatures of every official test split (drawing them renders nothing)."""
    return frozenset(
        ex.scene.signature()
        for name, bench in BENCHMARKS.items()
        for ex in iter_examples(name, "test", bench.test_size, TEST_SEED)
    )
