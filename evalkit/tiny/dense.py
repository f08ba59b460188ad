"""Dense targets: the LM head names what lies under each of an image's tokens.

Each benchmark question gives one or two answer tokens per image, too little signal for a vision
tower learning shapes and letters from scratch. The scene knows every pixel, so training can also ask,
at every image token, for the words that name what is under it: the colour and shape of a shape,
the letter of a rendered glyph, else the background colour. The image tokens are the resampler's
square grid of queries over the image (16x16 for the official 256; ``local_resampler`` starts each
one looking at the patch below it); a token's target is read at the centre of its cell. The loss
uses the model's own LM head on the hidden states it already computes for the image span, so
nothing is added to the architecture and nothing of it is exported; at evaluation no output is ever
read at an image token.

Two more kinds of word can be asked for (``DenseWords``; training asks for both by default):
a shape cell's place on the image's 3x3 grid, in the words captions and questions use (``top left``,
``top``, ..., ``center``), which keeps in the features where each part of a shape is (the benchmark
questions alone let training wash it out: ``python -m evalkit.tiny.probe --positions``); and a
glyph cell's word, besides its letter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageDraw

from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
from evalkit.synth.font import GLYPH_HEIGHT, GLYPH_WIDTH, LETTER_GAP
from evalkit.synth.phrases import area_at
from evalkit.synth.scene import Scene

GRID = 16  # cells per side for the official 256 resampler queries
_LETTER_BASE = 100  # raster values: 0 background, 1.. shapes, _LETTER_BASE + k the k-th letter A-Z
_WORD_BASE = 200  # a second raster: _WORD_BASE + k under the letters of the scene's k-th word


@dataclass(frozen=True)
class DenseWords:
    """The words a cell names besides colour and shape, letter, or background."""

    places: bool = False  # a shape cell: the words of its place on the 3x3 grid (phrases.area_at)
    glyph_words: bool = False  # a glyph cell: the word its letter belongs to


def cell_words(scene: Scene, extra: DenseWords = DenseWords(), grid: int = GRID) -> list[tuple[str, ...]]:
    """For each of the ``grid`` x ``grid`` cells in row-major order, the words naming what lies at its centre."""
    if len(scene.words) > 255 - _WORD_BASE:
        raise ValueError(f"a scene has {len(scene.words)} words; the dense targets tell at most "
                         f"{255 - _WORD_BASE} apart")
    raster = Image.new("L", (scene.width, scene.height), 0)
    draw = ImageDraw.Draw(raster)
    # which word each glyph pixel belongs to, drawn only when a cell names it
    word_raster = Image.new("L", (scene.width, scene.height), 0) if extra.glyph_words else None
    word_draw = ImageDraw.Draw(word_raster) if word_raster is not None else None
    for index, shape in enumerate(scene.shapes, start=1):
        x1, y1, x2, y2 = shape.box
        if shape.shape == "square":
            draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=index)
        elif shape.shape == "circle":
            draw.ellipse((x1, y1, x2 - 1, y2 - 1), fill=index)
        else:
            draw.polygon(shape.outline(), fill=index)
    for word_index, word in enumerate(scene.words):
        left, top = word.box[0], word.box[1]
        for position, letter in enumerate(word.text.upper()):
            x0 = left + position * (GLYPH_WIDTH + LETTER_GAP) * word.scale
            box = (x0, top, x0 + GLYPH_WIDTH * word.scale - 1, top + GLYPH_HEIGHT * word.scale - 1)
            draw.rectangle(box, fill=_LETTER_BASE + ord(letter) - ord("A"))
            if word_draw is not None:
                word_draw.rectangle(box, fill=_WORD_BASE + word_index)
    out: list[tuple[str, ...]] = []
    for row in range(grid):
        for col in range(grid):
            x = min(scene.width - 1, int((col + 0.5) * scene.width / grid))
            y = min(scene.height - 1, int((row + 0.5) * scene.height / grid))
            value = int(raster.getpixel((x, y)))  # type: ignore[arg-type]
            if value >= _LETTER_BASE:
                letter = chr(ord("A") + value - _LETTER_BASE)
                if word_raster is not None:
                    word = scene.words[int(word_raster.getpixel((x, y))) - _WORD_BASE]  # type: ignore[operator]
                    out.append((letter, word.text))
                else:
                    out.append((letter,))
            elif value:
                shape = scene.shapes[value - 1]
                place = tuple(area_at(x, y, scene.width, scene.height).split()) if extra.places else ()
                out.append((shape.color, shape.shape, *place))
            else:
                out.append((scene.background,))
    return out


def cell_targets(scene: Scene, tokenizer: QwenTokenizer,
                 extra: DenseWords = DenseWords()) -> tuple[tuple[int, ...], ...]:
    """Per cell, the token ids to predict: a word's first token as it follows a space; a letter's own
    token, and a rendered word's first token with no space before it, as an answer after ``assistant``
    and a quoted word in a question (``"cat"``) are written."""
    grid = math.isqrt(tokenizer.image_span)
    if grid * grid != tokenizer.image_span:
        raise ValueError(f"an image has {tokenizer.image_span} tokens, not a square grid of cells")
    rendered = {word.text for word in scene.words}
    cache: dict[str, int] = {}

    def token(word: str) -> int:
        if word not in cache:
            cache[word] = tokenizer.encode(word if len(word) == 1 or word in rendered else " " + word)[0]
        return cache[word]

    return tuple(tuple(token(w) for w in words) for words in cell_words(scene, extra, grid))
