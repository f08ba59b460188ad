"""``synth_ocrvqa``: book covers in the schema of OCR-VQA (``howard-hou/OCR-VQA``).

A cover shows a title and its author's name in large capitals on a coloured background (the
colour stands for the ``genre`` column). As on the hub, a row is an image with parallel
``questions`` and ``answers`` lists (a task explodes them into one sample per question), its
``ocr_tokens`` and ``ocr_info`` (boxes as fractions of the image size), ``title``, ``authorName``
and ``genre``. The questions follow OCR-VQA's title and author templates only: its genre questions
(a yes/no one among them) can be answered from the cover colour or by guessing, and would let a
model that cannot read score well on a benchmark meant to measure reading.
"""

from __future__ import annotations

import random

import pyarrow as pa

from evalkit.synth.example import IMAGE, IMAGE_TYPE, Benchmark, BuildContext, Example
from evalkit.synth.scene import NAMES, WORDS, Scene, Word, ink_for, place_word

SIZE = 64
AUTHOR_QUESTIONS = ("Who wrote this book?", "Who is the author of this book?")
GENRES = {"red": "romance", "green": "cooking", "blue": "travel", "yellow": "humor", "purple": "fantasy",
          "orange": "history"}
BOX_TYPE = pa.struct([("width", pa.float64()), ("height", pa.float64()), ("top_left_x", pa.float64()),
                      ("top_left_y", pa.float64())])
SCHEMA = pa.schema([
    ("image", IMAGE_TYPE), ("image_id", pa.string()), ("questions", pa.list_(pa.string())),
    ("answers", pa.list_(pa.string())), ("ocr_tokens", pa.list_(pa.string())),
    ("ocr_info", pa.list_(pa.struct([("word", pa.string()), ("bounding_box", BOX_TYPE)]))),
    ("title", pa.string()), ("authorName", pa.string()), ("genre", pa.string()), ("image_width", pa.int64()),
    ("image_height", pa.int64()), ("image_url", pa.string()), ("set_name", pa.string()),
])  # fmt: skip


def _ocr_info(word: Word, width: int, height: int) -> dict[str, object]:
    x1, y1, x2, y2 = word.box
    return {"word": word.text.upper(), "bounding_box": {
        "width": (x2 - x1) / width, "height": (y2 - y1) / height, "top_left_x": x1 / width, "top_left_y": y1 / height,
    }}  # fmt: skip


def build(rng: random.Random, ctx: BuildContext) -> Example | None:
    cover = rng.choice(list(GENRES))
    ink = ink_for(cover)
    title = place_word(rng, rng.choice(WORDS), SIZE, SIZE, ink=ink, region=(2, 3, SIZE - 2, SIZE // 2 - 1))
    author = place_word(rng, rng.choice(NAMES), SIZE, SIZE, ink=ink, region=(2, SIZE // 2 + 3, SIZE - 2, SIZE - 3))
    if title is None or author is None:
        return None
    scene = Scene(SIZE, SIZE, cover, (), (title, author))
    qa = [("What is the title of this book?", title.text), (rng.choice(AUTHOR_QUESTIONS), author.text)]
    row = {
        "image": IMAGE,
        "image_id": ctx.name("synth_ocrvqa"),
        "questions": [q for q, _ in qa],
        "answers": [a for _, a in qa],
        "ocr_tokens": [w.text.upper() for w in scene.words],
        "ocr_info": [_ocr_info(w, SIZE, SIZE) for w in scene.words],
        "title": title.text,
        "authorName": author.text,
        "genre": GENRES[cover],
        "image_width": SIZE,
        "image_height": SIZE,
        "image_url": "",
        "set_name": ctx.split,
    }
    return Example(scene, (row,))


BENCHMARK = Benchmark("synth_ocrvqa", "OCR-VQA (howard-hou/OCR-VQA, test split)", build, SCHEMA, test_size=150)
