"""``synth_vqa``: short-answer questions in the schema of VQAv2 (``lmms-lab/VQAv2``).

Three questions per image (colours, shapes, counts, existence, left/right, background), each
with ten annotator answers as in VQAv2: mostly the canonical answer, sometimes a variant another
annotator would write ("grey", "two", "oval") and now and then a wrong one, so that VQA accuracy
gives the partial credit it gives on the real set. ``multiple_choice_answer`` is the most frequent
answer; ``question_type`` and ``answer_type`` use VQAv2's names.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from evalkit.synth.example import IMAGE, IMAGE_TYPE, Benchmark, BuildContext, Example
from evalkit.synth.phrases import NUMBER_WORDS, a_kind, plural
from evalkit.synth.scene import BACKGROUNDS, COLORS, SHAPES, Scene, place_shapes

SIZE = 64
QUESTIONS_PER_IMAGE = 3
ANSWER_TYPE = pa.struct([("answer", pa.string()), ("answer_confidence", pa.string()), ("answer_id", pa.int64())])
SCHEMA = pa.schema([
    ("question_type", pa.string()), ("multiple_choice_answer", pa.string()), ("answers", pa.list_(ANSWER_TYPE)),
    ("image_id", pa.int64()), ("answer_type", pa.string()), ("question_id", pa.int64()),
    ("question", pa.string()), ("image", IMAGE_TYPE),
])  # fmt: skip

# What another annotator might write for the same answer.
VARIANTS: dict[str, tuple[str, ...]] = {
    "gray": ("grey",), "purple": ("violet",), "circle": ("round", "oval"), "square": ("rectangle",),
    "diamond": ("rhombus",), "yes": ("yeah",), **{str(n): (word,) for n, word in NUMBER_WORDS.items()},
}  # fmt: skip


@dataclass(frozen=True)
class Question:
    """A question about a scene with its canonical answer and the wrong answers annotators may give."""

    text: str
    answer: str
    question_type: str
    answer_type: str
    wrong: Sequence[str]


def annotator_answers(rng: random.Random, question: Question) -> list[dict[str, Any]]:
    """Ten answers: the canonical one at least five times, then variants and wrong answers."""
    variants = VARIANTS.get(question.answer, ())
    n_wrong = rng.choices((0, 1, 2), (0.65, 0.27, 0.08))[0] if question.wrong else 0
    n_variant = rng.choices((0, 1, 2, 3), (0.5, 0.25, 0.15, 0.1))[0] if variants else 0
    pool = [(question.answer, "right")] * (10 - n_wrong - n_variant)
    pool += [(rng.choice(variants), "variant") for _ in range(n_variant)]
    pool += [(rng.choice(question.wrong), "wrong") for _ in range(n_wrong)]
    rng.shuffle(pool)
    answers = []
    for answer_id, (text, kind) in enumerate(pool, 1):
        if kind == "right":
            confidence = "yes" if rng.random() < 0.85 else "maybe"
        elif kind == "variant":
            confidence = rng.choice(("yes", "maybe"))
        else:
            confidence = "maybe" if rng.random() < 0.6 else "no"
        answers.append({"answer": text, "answer_confidence": confidence, "answer_id": answer_id})
    return answers


def _color_of(rng: random.Random, scene: Scene) -> Question | None:
    unique = [s for s in scene.shapes if sum(t.shape == s.shape for t in scene.shapes) == 1]
    if not unique:
        return None
    s = rng.choice(unique)
    return Question(f"What color is the {s.shape}?", s.color, "what color is the", "other",
                    [c for c in COLORS if c != s.color])


def _shape_of(rng: random.Random, scene: Scene) -> Question | None:
    unique = [s for s in scene.shapes if sum(t.color == s.color for t in scene.shapes) == 1]
    if not unique:
        return None
    s = rng.choice(unique)
    return Question(f"What shape is the {s.color} object?", s.shape, "what shape is the", "other",
                    [k for k in SHAPES if k != s.shape])


def _how_many(rng: random.Random, scene: Scene) -> Question | None:
    shape = rng.choice(SHAPES)
    n = sum(s.shape == shape for s in scene.shapes)
    wrong = [str(m) for m in (n - 1, n + 1) if m >= 0]
    return Question(f"How many {plural(shape)} are there?", str(n), "how many", "number", wrong)


def _is_there(rng: random.Random, scene: Scene) -> Question | None:
    if rng.random() < 0.5:
        s = rng.choice(scene.shapes)
        shape, color = s.shape, s.color
    else:
        shape, color = rng.choice([(k, c) for k in SHAPES for c in COLORS
                                   if not any(s.shape == k and s.color == c for s in scene.shapes)])
    answer = "yes" if any(s.shape == shape and s.color == color for s in scene.shapes) else "no"
    return Question(f"Is there {a_kind(color, shape)}?", answer, "is there a", "yes/no",
                    ["no" if answer == "yes" else "yes"])


def _on_left(rng: random.Random, scene: Scene) -> Question | None:
    unique = [s for s in scene.shapes if sum((t.shape, t.color) == (s.shape, s.color) for t in scene.shapes) == 1
              and abs(s.center[0] - scene.width / 2) >= 6]
    if not unique:
        return None
    s = rng.choice(unique)
    answer = "yes" if s.center[0] < scene.width / 2 else "no"
    return Question(f"Is the {s.color} {s.shape} on the left?", answer, "is the", "yes/no",
                    ["no" if answer == "yes" else "yes"])


def _background(rng: random.Random, scene: Scene) -> Question | None:
    return Question("What color is the background?", scene.background, "what color is the", "other",
                    [b for b in BACKGROUNDS if b != scene.background])


_ASKERS: tuple[Callable[[random.Random, Scene], Question | None], ...] = (
    _color_of, _shape_of, _how_many, _is_there, _on_left, _background,
)


def build(rng: random.Random, ctx: BuildContext) -> Example | None:
    n = rng.randint(*ctx.shapes(1, 4))
    kinds = [(rng.choice(SHAPES), rng.choice(list(COLORS))) for _ in range(n)]
    shapes = place_shapes(rng, SIZE, SIZE, kinds, (10, 16))
    if shapes is None:
        return None
    scene = Scene(SIZE, SIZE, rng.choice(list(BACKGROUNDS)), tuple(shapes))
    questions = [q for q in (ask(rng, scene) for ask in rng.sample(_ASKERS, len(_ASKERS))) if q is not None]
    image_id = ctx.number(1)
    rows = []
    for k, q in enumerate(questions[:QUESTIONS_PER_IMAGE]):
        answers = annotator_answers(rng, q)
        rows.append({
            "question_type": q.question_type,
            "multiple_choice_answer": Counter(a["answer"] for a in answers).most_common(1)[0][0],
            "answers": answers,
            "image_id": image_id,
            "answer_type": q.answer_type,
            "question_id": image_id * 10 + k,
            "question": q.text,
            "image": IMAGE,
        })
    return Example(scene, tuple(rows))


BENCHMARK = Benchmark("synth_vqa", "VQAv2 (lmms-lab/VQAv2, validation split)", build, SCHEMA, test_size=100)
