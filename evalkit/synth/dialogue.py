"""``synth_dialogue``: open questions in the schema of TouchStone (``touchstone_20230831.tsv``).

Each row has an open question, ``human_annotation`` (a detailed description of the image, written
for a text-only judge, as in TouchStone), ``gpt4_ha_answer`` (the reference answer), ``category``
and ``task_name``. Categories follow TouchStone's: basic description, recognition,
comprehension and storytelling.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pyarrow as pa

from evalkit.synth.example import IMAGE, IMAGE_TYPE, Benchmark, BuildContext, Example
from evalkit.synth.phrases import (
    NUMBER_WORDS,
    a_kind,
    area,
    at_area,
    be,
    groups,
    listing,
)
from evalkit.synth.scene import BACKGROUNDS, Scene, distinct_kinds, place_shapes

SIZE = 64
SCHEMA = pa.schema([
    ("index", pa.int64()), ("image", IMAGE_TYPE), ("question", pa.string()), ("human_annotation", pa.string()),
    ("gpt4_ha_answer", pa.string()), ("category", pa.string()), ("task_name", pa.string()),
])  # fmt: skip

Asked = tuple[str, str, str, str] | None  # category, task_name, question, reference answer


def human_annotation(scene: Scene) -> str:
    """A description precise enough for a judge that cannot see the image."""
    n = len(scene.shapes)
    parts = [f"The picture is {scene.width} by {scene.height} pixels with a {scene.background} background and "
             + f"{NUMBER_WORDS[n]} {'shape' if n == 1 else 'shapes'}."]
    for s in scene.shapes:
        where = at_area(area(s, scene.width, scene.height))
        parts.append(f"{a_kind(s.color, s.shape).capitalize()}, {s.box[2] - s.box[0]} pixels wide, is {where}.")
    return " ".join(parts)


def _describe(rng: random.Random, scene: Scene) -> Asked:
    sentences = [f"The image shows {listing(groups(scene.shapes))} on a {scene.background} background."]
    for s in scene.shapes:
        sentences.append(f"The {s.color} {s.shape} is {at_area(area(s, scene.width, scene.height))}.")
    return "basic description", "detailed description", "Describe this image in detail.", " ".join(sentences)


def _what_shapes(rng: random.Random, scene: Scene) -> Asked:
    return ("recognition", "object recognition", "What shapes can you see in this picture?",
            f"I can see {listing(groups(scene.shapes))}.")


def _what_color(rng: random.Random, scene: Scene) -> Asked:
    unique = [s for s in scene.shapes if sum(t.shape == s.shape for t in scene.shapes) == 1]
    if not unique:
        return None
    s = rng.choice(unique)
    return "recognition", "color recognition", f"What color is the {s.shape}?", f"The {s.shape} is {s.color}."


def _how_many(rng: random.Random, scene: Scene) -> Asked:
    n = len(scene.shapes)
    found = groups(scene.shapes)
    answer = (f"There is one shape: {listing(found)}." if n == 1
              else f"There are {NUMBER_WORDS[n]} shapes: {listing(found)}.")
    return "comprehension", "counting", "How many shapes are in this picture?", answer


def _highest(rng: random.Random, scene: Scene) -> Asked:
    if len(scene.shapes) < 2:
        return None
    ordered = sorted(scene.shapes, key=lambda s: s.center[1])
    top, runner_up = ordered[0], ordered[1]
    if runner_up.center[1] - top.center[1] < 8:
        return None
    return ("comprehension", "spatial reasoning", "Which shape is closest to the top of the picture?",
            f"The {top.color} {top.shape} is closest to the top.")


def _story(rng: random.Random, scene: Scene) -> Asked:
    found = groups(scene.shapes)
    answer = (f"Once upon a time there {be(found)} {listing(found)} on a {scene.background} background. "
              "They played together all day and lived happily ever after.")
    return "storytelling", "story writing", "Write a short story about this picture.", answer


# Each question with the fewest shapes a scene needs for it.
_ASKERS: tuple[tuple[Callable[[random.Random, Scene], Asked], int], ...] = (
    (_describe, 1), (_what_shapes, 1), (_what_color, 1), (_how_many, 1), (_highest, 2), (_story, 1),
)


def build(rng: random.Random, ctx: BuildContext) -> Example | None:
    ask, fewest = _ASKERS[ctx.index % len(_ASKERS)]
    kinds = distinct_kinds(rng, rng.randint(*ctx.shapes(fewest, 3)))
    shapes = place_shapes(rng, SIZE, SIZE, kinds, (12, 18))
    if shapes is None:
        return None
    scene = Scene(SIZE, SIZE, rng.choice(list(BACKGROUNDS)), tuple(shapes))
    asked = ask(rng, scene)
    if asked is None:
        return None
    category, task_name, question, answer = asked
    row = {
        "index": ctx.number(0),
        "image": IMAGE,
        "question": question,
        "human_annotation": human_annotation(scene),
        "gpt4_ha_answer": answer,
        "category": category,
        "task_name": task_name,
    }
    return Example(scene, (row,))


BENCHMARK = Benchmark("synth_dialogue", "TouchStone (touchstone_20230831.tsv)", build, SCHEMA, test_size=150)
