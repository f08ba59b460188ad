"""Synthetic mini-benchmarks: drawn scenes in the schemas of real benchmarks, for offline runs and CI.

Each benchmark draws simple scenes with PIL (coloured shapes, counts, positions, rendered words)
and writes rows in the schema of the real benchmark it mimics, so the rows go through the same
loaders, prompts, extractors and scorers. ``generate`` is deterministic in its seed; the test
splits ship with evalkit (``python -m evalkit.synth write`` regenerates them), and training splits
of any size are drawn on the fly, never containing a test image.
"""

from evalkit.synth.example import Benchmark, BuildContext, Example
from evalkit.synth.generate import (
    BENCHMARKS,
    POOL_SEED,
    TEST_SEED,
    benchmark,
    generate,
    generate_examples,
    iter_examples,
    reserved_signatures,
)
from evalkit.synth.scene import Scene, Shape, Word

__all__ = [
    "BENCHMARKS", "POOL_SEED", "TEST_SEED", "Benchmark", "BuildContext", "Example", "Scene", "Shape", "Word",
    "benchmark", "generate", "generate_examples", "iter_examples", "reserved_signatures",
]
