"""Extra training questions about a generated image, read from its scene and asked in its task's schema.

A benchmark row asks one or two things about an image; the scene behind it knows every shape, box
and word. For training, each example may carry more rows of its own task about the same image: every
fact the scene gives (the colour of each shape, the shape of each colour, counts, existence, the
relation of each clear pair, each word, the background) asked the way the task asks it, and for
grounding every shape's box under each of its expressions. They go through the task's field mapping
and prompt like the benchmark rows, and packing (``packing.py``) computes the image once for all of
them, so the model sees many answers per image at little cost. Test images are never drawn for
training (``evalkit.synth.generate``), so no test question is among them.

An extra row carries the subtask of what it asks in the task's own column (MME's ``category``,
SEED's ``question_type_id``, VQA's ``question_type`` and ``answer_type``), not its benchmark row's: a
colour question about a position image is a colour question. Prompts do not read these columns, so
they change no training text; the training log reports the loss per subtask from them.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evalkit.synth import Example
from evalkit.synth.phrases import (
    NUMBER_WORDS,
    OPPOSITE,
    RELATION_PHRASES,
    a_kind,
    plural,
)
from evalkit.synth.refcoco import expressions
from evalkit.synth.scene import BACKGROUNDS, COLORS, SHAPES, WORDS, Box, Scene, quadrants, relation
from evalkit.synth.seed import SCENE_QUESTION, describe, other_descriptions


@dataclass(frozen=True)
class Fact:
    """A question the scene answers: its kind, the subject, the right answer and wrong ones."""

    kind: str  # color, shape, count, exists, relation, word, background; location, scene (choice_facts)
    subject: tuple[str, ...]
    answer: str
    wrong: tuple[str, ...]


COUNTS_KEPT = {1: 0.05, 2: 0.3}
"""With balanced counts, the share of count facts kept by their answer (the others are all kept).
Most scenes hold one shape of each kind: of the count facts of 600 training images each, 703, 101,
42 and 23 answer 1, 2, 3 and 4 in MME's, 911, 252, 35 and 3 in VQA's, 695, 115, 20 and 23 in SEED's.
Asked as they come, they teach that a count is 1 (a model trained so answers SEED's counts with
``1`` and MME's "Are there three ...?" with No). Thinned so, with the benchmarks' own questions, MME's
count questions on 1,000 training images are answered Yes for 48% of "three", 37% of "four", 45% of
"two" and 64% of "only one" (21%, 16%, 30% and 90% unthinned), and SEED's on 700 images answer 1, 2, 3
and 4 in 72, 63, 46 and 54 questions."""


def facts(scene: Scene, rng: random.Random, balanced_counts: bool = False) -> list[Fact]:
    """Every fact ``scene`` gives; with ``balanced_counts``, count facts are thinned by ``COUNTS_KEPT``."""
    shapes = scene.shapes
    out: list[Fact] = []
    for s in shapes:
        if sum(o.shape == s.shape for o in shapes) == 1:
            out.append(Fact("color", (s.shape,), s.color, tuple(c for c in COLORS if c != s.color)))
        if sum(o.color == s.color for o in shapes) == 1:
            out.append(Fact("shape", (s.color,), s.shape, tuple(k for k in SHAPES if k != s.shape)))
    if shapes:
        for kind in sorted({s.shape for s in shapes} | {rng.choice(SHAPES)}):  # sorted: set order varies by process
            n = sum(s.shape == kind for s in shapes)
            if n and (not balanced_counts or rng.random() < COUNTS_KEPT.get(n, 1.0)):
                out.append(Fact("count", (kind,), str(n), tuple(str(k) for k in range(1, 6) if k != n)))
        present = {(s.shape, s.color) for s in shapes}
        for shape, color in sorted(present):
            out.append(Fact("exists", (color, shape), "yes", ("no",)))
        absent = [(s, c) for s in SHAPES for c in COLORS if (s, c) not in present]
        for shape, color in rng.sample(absent, min(len(present), len(absent))):
            out.append(Fact("exists", (color, shape), "no", ("yes",)))
        for a in shapes:
            for b in shapes:
                where = relation(a, b, min_offset=14) if a is not b else None
                unique = sum((o.shape, o.color) == (a.shape, a.color) for o in shapes) == 1 and \
                    sum((o.shape, o.color) == (b.shape, b.color) for o in shapes) == 1
                if where is not None and unique:
                    out.append(Fact("relation", (f"the {a.color} {a.shape}", f"the {b.color} {b.shape}"), where,
                                    tuple(r for r in RELATION_PHRASES if r != where)))
    if len(scene.words) == 1:
        word = scene.words[0].text
        out.append(Fact("word", (), word, tuple(w for w in WORDS if w != word)))
    out.append(Fact("background", (), scene.background, tuple(b for b in BACKGROUNDS if b != scene.background)))
    return out


def _within(box: Box, region: Box) -> bool:
    return region[0] <= box[0] and region[1] <= box[1] and box[2] <= region[2] and box[3] <= region[3]


def location_facts(scene: Scene) -> list[Fact]:
    """The quadrant of each shape of a kind of its own that lies inside one (as ``quadrants`` draws them)."""
    named = quadrants(scene.width, scene.height)
    out: list[Fact] = []
    for s in scene.shapes:
        inside = [name for name, region in named.items() if _within(s.box, region)]
        if inside and sum((o.shape, o.color) == (s.shape, s.color) for o in scene.shapes) == 1:
            out.append(Fact("location", (s.color, s.shape), inside[0], tuple(n for n in named if n != inside[0])))
    return out


def choice_facts(scene: Scene, rng: random.Random) -> list[Fact]:
    """What SEED's Instance Location and Scene Understanding ask, of any scene: ``location_facts``, and
    the description of the whole scene against descriptions of other scenes (as ``synth.seed`` draws
    its options)."""
    out = location_facts(scene)
    if scene.shapes:
        out.append(Fact("scene", (), describe(scene), tuple(other_descriptions(rng, scene))))
    return out


# -- asked the way each task asks -------------------------------------------------------------------


def _count_question(n: int, shape: str) -> str:
    return f"Is there only one {shape} in the image?" if n == 1 else \
        f"Are there {NUMBER_WORDS[n]} {plural(shape)} in the image?"


def _mme_question(fact: Fact, claim: str) -> str | None:
    """A yes/no question whose answer is yes exactly when ``claim`` is the fact's answer."""
    if fact.kind == "color":
        return f"Is the {fact.subject[0]} in the image {claim}?"
    if fact.kind == "count":
        return _count_question(int(claim), fact.subject[0]) if int(claim) <= 4 else None
    if fact.kind == "relation":
        return f"Is {fact.subject[0]} {RELATION_PHRASES[claim]} {fact.subject[1]}?"
    if fact.kind == "word":
        return f'Is the word in the image "{claim}"?'
    if fact.kind == "exists":
        return f"Is there {a_kind(*fact.subject)} in the image?"
    return None


MME_CATEGORY = {"exists": "existence", "count": "count", "relation": "position", "color": "color", "word": "OCR"}
"""The MME subtask (``category``) that asks each kind of fact."""


def mme_rows(example: Example, rng: random.Random, balanced_counts: bool = False) -> list[dict[str, Any]]:
    template = example.rows[0]
    rows: list[dict[str, Any]] = []
    for fact in facts(example.scene, rng, balanced_counts):
        if fact.kind == "exists":
            question, answer = _mme_question(fact, fact.answer), fact.answer.capitalize()
        else:
            truthful = rng.random() < 0.5
            claim = fact.answer if truthful else rng.choice(fact.wrong)
            if fact.kind == "relation" and not truthful:
                claim = OPPOSITE[fact.answer]
            question, answer = _mme_question(fact, claim), "Yes" if truthful else "No"
        text = None if question is None else question + " Please answer yes or no."
        if text is not None and all(text != row["question"] for row in (*example.rows, *rows)):
            rows.append({**template, "question": text, "answer": answer,  # the id is (image, question)
                         "category": MME_CATEGORY[fact.kind]})
    return rows


VQA_TYPES = {
    "color": ("what color is the", "other"), "shape": ("what shape is the", "other"), "count": ("how many", "number"),
    "exists": ("is there a", "yes/no"), "background": ("what color is the", "other"), "word": ("what", "other"),
    "relation": ("where is the", "other"), "location": ("where is the", "other"),
}  # fmt: skip
"""VQAv2's ``question_type`` and ``answer_type`` of the question about each kind of fact."""


def _vqa_question(fact: Fact, places: bool = False) -> tuple[str, str] | None:
    """The question about ``fact`` and its answer; relations and locations only with ``places``."""
    if fact.kind == "relation" and places:
        return f"Where is {fact.subject[0]} relative to {fact.subject[1]}?", _relation_phrase(fact.answer)
    if fact.kind == "location" and places:
        return f"Where is the {fact.subject[0]} {fact.subject[1]} in the image?", fact.answer
    question = _vqa_fact_question(fact)
    return None if question is None else (question, fact.answer)


def _relation_phrase(relation: str) -> str:
    """How a choice option or a short answer says a relation: ``to the left``, ``above``."""
    return RELATION_PHRASES[relation].removesuffix(" of")


def _vqa_fact_question(fact: Fact) -> str | None:
    if fact.kind == "color":
        return f"What color is the {fact.subject[0]}?"
    if fact.kind == "shape":
        return f"What shape is the {fact.subject[0]} object?"
    if fact.kind == "count":
        return f"How many {plural(fact.subject[0])} are there?"
    if fact.kind == "exists":
        return f"Is there {a_kind(*fact.subject)}?"
    if fact.kind == "background":
        return "What color is the background?"
    if fact.kind == "word":
        return "What word is written in the image?"
    return None


def vqa_rows(example: Example, rng: random.Random, balanced_counts: bool = False,
             places: bool = False) -> list[dict[str, Any]]:
    """The scene's facts as short-answer questions; with ``places`` also where each shape is (its
    quadrant, as ``location_facts`` finds it) and where each clear pair is relative to each other,
    answered in the words SEED's options use."""
    template = example.rows[0]
    rows: list[dict[str, Any]] = []
    scene_facts = facts(example.scene, rng, balanced_counts)
    if places:
        scene_facts += location_facts(example.scene)
    for fact in scene_facts:
        asked = _vqa_question(fact, places)
        if asked is not None:
            question, answer = asked
            answers = [{"answer": answer, "answer_confidence": "yes", "answer_id": k + 1} for k in range(10)]
            question_type, answer_type = VQA_TYPES[fact.kind]
            rows.append({**template, "question": question, "answers": answers, "multiple_choice_answer": answer,
                         "question_id": template["question_id"] * 1000 + 100 + len(rows),
                         "question_type": question_type, "answer_type": answer_type})
    return rows


SEED_DIMENSION = {"color": 3, "shape": 3, "count": 5, "relation": 6, "word": 9, "location": 4, "scene": 1}
"""The SEED-Bench ``question_type_id`` of the question about each kind of fact: 3 Instance Attributes,
5 Instances Counting, 6 Spatial Relation, 9 Text Understanding, 4 Instance Location, 1 Scene
Understanding."""


def _seed_question(fact: Fact) -> tuple[str, str, list[str]] | None:
    phrase = {r: _relation_phrase(r) for r in RELATION_PHRASES}
    if fact.kind == "color":
        return f"What color is the {fact.subject[0]}?", fact.answer, list(fact.wrong)
    if fact.kind == "shape":
        return f"What shape is the {fact.subject[0]} object?", fact.answer, list(fact.wrong)
    if fact.kind == "count":
        return f"How many {plural(fact.subject[0])} are there in the image?", fact.answer, list(fact.wrong)
    if fact.kind == "relation":
        return (f"Where is {fact.subject[0]} relative to {fact.subject[1]}?", phrase[fact.answer],
                [phrase[w] for w in fact.wrong])
    if fact.kind == "word":
        return "What word is written in the image?", fact.answer, list(fact.wrong)
    if fact.kind == "location":
        return f"Where is the {fact.subject[0]} {fact.subject[1]} in the image?", fact.answer, list(fact.wrong)
    if fact.kind == "scene":
        return SCENE_QUESTION, fact.answer, list(fact.wrong)
    return None


OPTION_LOOKUPS = 3  # per image, by default


@dataclass(frozen=True)
class AuxiliaryQuestions:
    """Which questions an image gets besides those of every fact ``facts`` gives."""

    option_lookups: int = OPTION_LOOKUPS  # per choice image, option lookups (``_lookup_question``)
    locations_and_scenes: bool = False  # choice images also ask the facts of ``choice_facts``
    balanced_counts: bool = False  # count facts thinned by ``COUNTS_KEPT``
    vqa_places: bool = False  # short-answer images also ask quadrants and relations (``vqa_rows``)


def seed_rows(example: Example, rng: random.Random, option_lookups: int = OPTION_LOOKUPS,
              locations_and_scenes: bool = False, balanced_counts: bool = False) -> list[dict[str, Any]]:
    """The scene's facts as four-option questions, then up to ``option_lookups`` of them again as option
    lookups (``_lookup_question``); a lookup keeps the dimension of the question it looks up.
    ``locations_and_scenes`` adds the facts of ``choice_facts``."""
    template = example.rows[0]
    rows: list[dict[str, Any]] = []
    scene_facts = facts(example.scene, rng, balanced_counts)
    if locations_and_scenes:
        scene_facts += choice_facts(example.scene, rng)
    asked = [(*question, SEED_DIMENSION[fact.kind]) for fact in scene_facts
             if (question := _seed_question(fact)) is not None]
    lookups = [(_lookup_question(correct), correct, wrong, dimension) for _, correct, wrong, dimension in asked]
    for question, correct, wrong, dimension in asked + rng.sample(lookups, min(option_lookups, len(lookups))):
        options = [correct, *rng.sample(wrong, 3)]
        rng.shuffle(options)
        letter = "ABCD"[options.index(correct)]
        rows.append({**template, "question": question, "answer": letter,
                     "question_id": f"{template['question_id']}.{len(rows)}",
                     "question_type_id": dimension, **{f"choice_{k}": text for k, text in zip("abcd", options)}})
    return rows


def _lookup_question(option: str) -> str:
    """A question that names its answer, so only the letter has to be found: it teaches the step every
    choice question ends with (find the option that says X, answer with its letter) apart from
    reading X from the image. A model that has not learned this step picks letters at random even
    when it knows the answer."""
    return f'Which option says "{option}"?'


def refcoco_rows(example: Example, rng: random.Random) -> list[dict[str, Any]]:
    """Every shape of the scene under every expression that picks it out alone."""
    template = example.rows[0]
    scene = example.scene
    rows: list[dict[str, Any]] = []
    for shape in scene.shapes:
        rows.append({**template, "answer": expressions(shape, scene.shapes, scene.width), "bbox": shape.coco_box(),
                     "segmentation": [float(v) for point in shape.outline() for v in point],
                     "question_id": f"{template['question_id']}.{len(rows)}"})
    return rows


def _builders(asked: AuxiliaryQuestions) -> dict[str, Callable[[Example, random.Random], list[dict[str, Any]]]]:
    """Each task's builder of extra rows, asking what ``asked`` says."""
    return {"synth_mme": functools.partial(mme_rows, balanced_counts=asked.balanced_counts),
            "synth_vqa": functools.partial(vqa_rows, balanced_counts=asked.balanced_counts, places=asked.vqa_places),
            "synth_refcoco": refcoco_rows,
            "synth_seed": functools.partial(seed_rows, option_lookups=asked.option_lookups,
                                            locations_and_scenes=asked.locations_and_scenes,
                                            balanced_counts=asked.balanced_counts)}


def with_auxiliary(task: str, example: Example, rng: random.Random,
                   asked: AuxiliaryQuestions = AuxiliaryQuestions()) -> Example:
    """``example`` with its task's extra rows about the same image added (unchanged for other tasks):
    a choice task's include ``asked.option_lookups`` option lookups, and with
    ``asked.locations_and_scenes`` the location and scene questions of ``choice_facts``; with
    ``asked.balanced_counts`` the count questions are thinned so that their answers are spread about
    evenly (``COUNTS_KEPT``); with ``asked.vqa_places`` short-answer images also ask where shapes are."""
    extra = _builders(asked).get(task)
    if extra is None:
        return example
    return Example(example.scene, example.rows + tuple(extra(example, rng)), example.info)
