"""``synth_seed``: four-option questions in the schema of SEED-Bench (``lmms-lab/SEED-Bench``).

Seven of SEED-Bench's image dimensions, with their official ``question_type_id``: 1 Scene
Understanding, 2 Instance Identity, 3 Instance Attributes, 4 Instance Location, 5 Instances
Counting, 6 Spatial Relation, 9 Text Understanding. As on the hub, ``image`` is a list (of one
image), ``answer`` a letter A-D, ``data_type`` "image" and ``question_id`` a numeric string.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pyarrow as pa

from evalkit.synth.example import IMAGE, IMAGE_TYPE, Benchmark, BuildContext, Example
from evalkit.synth.phrases import RELATION_PHRASES, groups, listing, plural
from evalkit.synth.scene import (
    BACKGROUNDS,
    COLORS,
    SHAPES,
    WORDS,
    Scene,
    distinct_kinds,
    ink_for,
    place_shapes,
    place_word,
    quadrants,
    relation,
)

LETTERS = "ABCD"
SIZE = 64
DIMENSIONS = {
    1: "Scene Understanding", 2: "Instance Identity", 3: "Instance Attributes", 4: "Instance Location",
    5: "Instances Counting", 6: "Spatial Relation", 9: "Text Understanding",
}  # fmt: skip
SCHEMA = pa.schema([
    ("answer", pa.string()), ("choice_a", pa.string()), ("choice_b", pa.string()), ("choice_c", pa.string()),
    ("choice_d", pa.string()), ("data_id", pa.string()), ("data_type", pa.string()),
    ("image", pa.list_(IMAGE_TYPE)), ("question", pa.string()), ("question_id", pa.string()),
    ("question_type_id", pa.int64()),
])  # fmt: skip

Made = tuple[Scene, str, str, list[str]] | None  # scene, question, correct option, three distractors


def build(rng: random.Random, ctx: BuildContext) -> Example | None:
    type_ids = list(DIMENSIONS)
    type_id = type_ids[ctx.index % len(type_ids)]
    made = _BUILDERS[type_id](rng, ctx, rng.choice(list(BACKGROUNDS)))
    if made is None:
        return None
    scene, question, correct, distractors = made
    options = [correct, *distractors]
    rng.shuffle(options)
    row = {
        "answer": LETTERS[options.index(correct)],
        **{f"choice_{letter.lower()}": text for letter, text in zip(LETTERS, options)},
        "data_id": ctx.name("synth_seed") + ".png",
        "data_type": "image",
        "image": [IMAGE],
        "question": question,
        "question_id": str(ctx.number(100_000)),
        "question_type_id": type_id,
    }
    return Example(scene, (row,))


def _scene(rng: random.Random, ctx: BuildContext, background: str, low: int, high: int,
           size_range: tuple[int, int] = (12, 20)) -> Scene | None:
    kinds = distinct_kinds(rng, rng.randint(*ctx.shapes(low, high)))
    shapes = place_shapes(rng, SIZE, SIZE, kinds, size_range)
    return None if shapes is None else Scene(SIZE, SIZE, background, tuple(shapes))


def _scene_understanding(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    scene = _scene(rng, ctx, background, 1, 3)
    if scene is None:
        return None
    return scene, SCENE_QUESTION, describe(scene), other_descriptions(rng, scene)


SCENE_QUESTION = "Which description fits the image best?"


def describe(scene: Scene) -> str:
    """Scene Understanding's right option: the shapes by kind, left to right, and the background."""
    return f"{listing(groups(scene.shapes))} on a {scene.background} background"


def other_descriptions(rng: random.Random, scene: Scene, n: int = 3) -> list[str]:
    """``n`` descriptions of other random scenes with as many shapes, sorted, drawn independently of
    the truth: options that were edits of the truth would give it away as the one most like the others."""
    truth = describe(scene)
    distractors: set[str] = set()
    while len(distractors) < n:
        kinds = distinct_kinds(rng, len(scene.shapes))
        shapes = [replace(s, shape=k[0], color=k[1]) for s, k in zip(scene.shapes, kinds)]
        text = f"{listing(groups(shapes))} on a {rng.choice(list(BACKGROUNDS))} background"
        if text != truth:
            distractors.add(text)
    return sorted(distractors)


def _identity(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    scene = _scene(rng, ctx, background, 1, 3)
    if scene is None:
        return None
    target = rng.choice(scene.shapes)
    if sum(s.color == target.color for s in scene.shapes) > 1:
        return None
    distractors = [s for s in SHAPES if s != target.shape]
    return scene, f"What shape is the {target.color} object?", target.shape, distractors


def _attributes(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    scene = _scene(rng, ctx, background, 1, 3)
    if scene is None:
        return None
    target = rng.choice(scene.shapes)
    if sum(s.shape == target.shape for s in scene.shapes) > 1:
        return None
    distractors = rng.sample([c for c in COLORS if c != target.color], 3)
    return scene, f"What color is the {target.shape}?", target.color, distractors


def _location(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    named = quadrants(SIZE, SIZE)
    corners = rng.sample(list(named), rng.randint(*ctx.shapes(1, 2)))
    kinds = distinct_kinds(rng, len(corners))
    shapes = place_shapes(rng, SIZE, SIZE, kinds, (10, 16), regions=[named[c] for c in corners])
    if shapes is None:
        return None
    scene = Scene(SIZE, SIZE, background, tuple(shapes))
    target = shapes[0]
    distractors = [c for c in named if c != corners[0]]
    return scene, f"Where is the {target.color} {target.shape} in the image?", corners[0], distractors


def _counting(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    low, high = ctx.shapes(1, 4)
    count = rng.randint(low, high)
    counted = rng.choice(SHAPES)
    extra = rng.randint(0, max(0, min(2, high - count)))
    kinds = [(counted, rng.choice(list(COLORS))) for _ in range(count)]
    kinds += [(rng.choice([s for s in SHAPES if s != counted]), rng.choice(list(COLORS))) for _ in range(extra)]
    shapes = place_shapes(rng, SIZE, SIZE, kinds, (10, 14))
    if shapes is None:
        return None
    scene = Scene(SIZE, SIZE, background, tuple(shapes))
    distractors = [str(n) for n in range(1, 6) if n != count][:3] if count < 4 else ["1", "2", "3"]
    return scene, f"How many {plural(counted)} are there in the image?", str(count), distractors


def _spatial(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    kinds = distinct_kinds(rng, 2)
    shapes = place_shapes(rng, SIZE, SIZE, kinds, (12, 18))
    if shapes is None:
        return None
    where = relation(shapes[0], shapes[1], min_offset=14)
    if where is None:
        return None
    a, b = shapes
    scene = Scene(SIZE, SIZE, background, tuple(shapes))
    question = f"Where is the {a.color} {a.shape} relative to the {b.color} {b.shape}?"
    phrases = [RELATION_PHRASES[r].removesuffix(" of") for r in ("left", "right", "above", "below")]
    correct = RELATION_PHRASES[where].removesuffix(" of")
    return scene, question, correct, [p for p in phrases if p != correct]


def _text(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    chosen = rng.sample(WORDS, 4)
    word = place_word(rng, chosen[0], SIZE, SIZE, ink=ink_for(background))
    if word is None:
        return None
    scene = Scene(SIZE, SIZE, background, (), (word,))
    return scene, "What word is written in the image?", chosen[0], chosen[1:]


_BUILDERS = {1: _scene_understanding, 2: _identity, 3: _attributes, 4: _location, 5: _counting, 6: _spatial,
             9: _text}

BENCHMARK = Benchmark("synth_seed", "SEED-Bench (lmms-lab/SEED-Bench, image dimensions)", build, SCHEMA,
                      test_size=301)
