"""``synth_mme``: yes/no question pairs in the schema of MME (``lmms-lab/MME``).

Each image gets two questions, the first answered "Yes" and the second "No", in one of five
perception subtasks of MME: existence, count, position, color and OCR. The rows follow the hub
schema: ``question_id`` names the image (shared by its two rows), ``question`` ends with
" Please answer yes or no." as in MME, ``answer`` is "Yes"/"No", ``category`` the subtask.
"""

from __future__ import annotations

import random

import pyarrow as pa

from evalkit.synth.example import IMAGE, IMAGE_TYPE, Benchmark, BuildContext, Example
from evalkit.synth.phrases import (
    NUMBER_WORDS,
    OPPOSITE,
    RELATION_PHRASES,
    a_kind,
    plural,
)
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
    relation,
)

CATEGORIES = ("existence", "count", "position", "color", "OCR")
SUFFIX = " Please answer yes or no."
SIZE = 64
SCHEMA = pa.schema([
    ("question_id", pa.string()), ("image", IMAGE_TYPE), ("question", pa.string()), ("answer", pa.string()),
    ("category", pa.string()),
])  # fmt: skip


def build(rng: random.Random, ctx: BuildContext) -> Example | None:
    category = CATEGORIES[ctx.index % len(CATEGORIES)]
    background = rng.choice(list(BACKGROUNDS))
    made = _BUILDERS[category](rng, ctx, background)
    if made is None:
        return None
    scene, yes_question, no_question = made
    image_id = f"{category}/{ctx.split}_{ctx.index:06d}.png"
    rows = tuple(
        {"question_id": image_id, "image": IMAGE, "question": question + SUFFIX, "answer": answer,
         "category": category}
        for question, answer in ((yes_question, "Yes"), (no_question, "No"))
    )
    return Example(scene, rows)


Made = tuple[Scene, str, str] | None


def _existence(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    n = rng.randint(*ctx.shapes(1, 3))
    kinds = distinct_kinds(rng, n)
    shapes = place_shapes(rng, SIZE, SIZE, kinds, (12, 20))
    if shapes is None:
        return None
    present = rng.choice(kinds)
    # The absent kind usually shares the shape or the colour of a present one, so that neither
    # the shape nor the colour alone answers the question.
    absent_pool = [(s, c) for s in SHAPES for c in COLORS if (s, c) not in kinds]
    near = [k for k in absent_pool if k[0] == present[0] or k[1] == present[1]]
    absent = rng.choice(near if near and rng.random() < 0.8 else absent_pool)
    scene = Scene(SIZE, SIZE, background, tuple(shapes))
    return (scene, f"Is there {a_kind(present[1], present[0])} in the image?",
            f"Is there {a_kind(absent[1], absent[0])} in the image?")


def _count_question(count: int, shape: str) -> str:
    if count == 1:
        return f"Is there only one {shape} in the image?"
    return f"Are there {NUMBER_WORDS[count]} {plural(shape)} in the image?"


def _count(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    low, high = ctx.shapes(1, 4)
    count = rng.randint(low, high)
    counted = rng.choice(SHAPES)
    others = [s for s in SHAPES if s != counted]
    extra = rng.randint(0, max(0, min(2, high - count)))
    kinds = [(counted, rng.choice(list(COLORS))) for _ in range(count)]
    kinds += [(rng.choice(others), rng.choice(list(COLORS))) for _ in range(extra)]
    shapes = place_shapes(rng, SIZE, SIZE, kinds, (10, 14))
    if shapes is None:
        return None
    # Wrong counts are spread like right ones (1-4), so the number alone does not give the answer away.
    wrong = rng.choice([c for c in range(1, 5) if c != count])
    scene = Scene(SIZE, SIZE, background, tuple(shapes))
    return scene, _count_question(count, counted), _count_question(wrong, counted)


def _position(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    kinds = distinct_kinds(rng, 2)
    shapes = place_shapes(rng, SIZE, SIZE, kinds, (12, 18))
    if shapes is None:
        return None
    where = relation(shapes[0], shapes[1], min_offset=14)
    if where is None:
        return None
    a, b = (f"the {s.color} {s.shape}" for s in shapes)
    scene = Scene(SIZE, SIZE, background, tuple(shapes))
    return (scene, f"Is {a} {RELATION_PHRASES[where]} {b}?", f"Is {a} {RELATION_PHRASES[OPPOSITE[where]]} {b}?")


def _color(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    n = rng.randint(*ctx.shapes(1, 3))
    kinds = [(s, rng.choice(list(COLORS))) for s in rng.sample(SHAPES, n)]
    shapes = place_shapes(rng, SIZE, SIZE, kinds, (12, 20))
    if shapes is None:
        return None
    shape, color = rng.choice(kinds)
    wrong = rng.choice([c for c in COLORS if c != color])
    scene = Scene(SIZE, SIZE, background, tuple(shapes))
    return scene, f"Is the {shape} in the image {color}?", f"Is the {shape} in the image {wrong}?"


def _ocr(rng: random.Random, ctx: BuildContext, background: str) -> Made:
    word_text, other = rng.sample(WORDS, 2)
    word = place_word(rng, word_text, SIZE, SIZE, ink=ink_for(background))
    if word is None:
        return None
    shapes = []
    if rng.random() < 0.5:
        placed = place_shapes(rng, SIZE, SIZE, distinct_kinds(rng, 1), (10, 14), taken=[word.box])
        shapes = placed or []
    scene = Scene(SIZE, SIZE, background, tuple(shapes), (word,))
    return scene, f'Is the word in the image "{word_text}"?', f'Is the word in the image "{other}"?'


_BUILDERS = {"existence": _existence, "count": _count, "position": _position, "color": _color, "OCR": _ocr}

BENCHMARK = Benchmark("synth_mme", "MME (lmms-lab/MME, test split)", build, SCHEMA, test_size=150)
