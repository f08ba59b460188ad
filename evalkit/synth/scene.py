"""Scenes of the synthetic benchmarks: coloured shapes and rendered words on a plain background.

A ``Scene`` is the complete description of one image: its size, background, every shape with its
box and every word with its box. It is drawn with PIL, and because a scene is plain data, whoever
trains on the synthetic sets can read the ground truth (objects, boxes, words) straight from it.

Boxes are ``(x1, y1, x2, y2)`` pixel edges: the shape covers columns ``x1 .. x2-1`` and rows
``y1 .. y2-1``, so its COCO box is ``[x1, y1, x2 - x1, y2 - y1]``.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from evalkit.synth.font import draw_word, word_size

Box = tuple[int, int, int, int]
RGB = tuple[int, int, int]

SHAPES = ("circle", "square", "triangle", "diamond")
COLORS: dict[str, RGB] = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (235, 205, 40),
    "purple": (140, 60, 180),
    "orange": (245, 140, 30),
}
BACKGROUNDS: dict[str, RGB] = {"white": (250, 250, 250), "gray": (165, 165, 165), "black": (25, 25, 25)}
INK: dict[str, RGB] = {"black": (15, 15, 15), "white": (245, 245, 245)}
PAINTS: dict[str, RGB] = {**BACKGROUNDS, **COLORS}  # what a background may be (a book cover is coloured)
# Short words that are rendered in the images (book titles, signs) and their authors' names.
WORDS = (
    "cat", "dog", "sun", "moon", "star", "fish", "bird", "tree", "rose", "ship", "cake", "king",
    "gold", "rain", "snow", "fire", "lake", "frog", "bear", "wolf", "lion", "duck", "boat", "road",
)  # fmt: skip
NAMES = ("ann", "bob", "eve", "tom", "max", "leo", "sam", "zoe", "kim", "jon", "amy", "ben")
COLOR_JITTER = 12  # each channel of a shape's colour varies by up to this much
GAP = 3  # minimum free pixels between two drawn things


@dataclass(frozen=True)
class Shape:
    """One drawn shape: what it is, its colour name and exact colour, and its box."""

    shape: str
    color: str
    rgb: RGB
    box: Box

    @property
    def center(self) -> tuple[float, float]:
        x1, y1, x2, y2 = self.box
        return (x1 + x2) / 2, (y1 + y2) / 2

    def coco_box(self) -> list[float]:
        """``[x, y, width, height]`` in pixels."""
        x1, y1, x2, y2 = self.box
        return [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]

    def outline(self) -> list[tuple[float, float]]:
        """The polygon of the shape's outline, clockwise from the top (COCO segmentation); a circle's
        is an octagon."""
        x1, y1, x2, y2 = self.box
        cx, cy = self.center
        if self.shape == "square":
            return [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
        if self.shape == "triangle":
            return [(cx, y1), (x2, y2), (x1, y2)]
        if self.shape == "diamond":
            return [(cx, y1), (x2, cy), (cx, y2), (x1, cy)]
        rx, ry = (x2 - x1) / 2, (y2 - y1) / 2
        points = ((0, -1), (0.7071, -0.7071), (1, 0), (0.7071, 0.7071), (0, 1), (-0.7071, 0.7071), (-1, 0),
                  (-0.7071, -0.7071))
        # Quarter pixels: exact in float32, the type of the RefCOCO segmentation column.
        return [(round(4 * (cx + dx * rx)) / 4, round(4 * (cy + dy * ry)) / 4) for dx, dy in points]


@dataclass(frozen=True)
class Word:
    """A rendered word: its text (lower case; drawn in capitals), ink, scale and box."""

    text: str
    ink: str
    scale: int
    box: Box


@dataclass(frozen=True)
class Scene:
    width: int
    height: int
    background: str
    shapes: tuple[Shape, ...] = ()
    words: tuple[Word, ...] = ()

    def signature(self) -> str:
        """Identifies the image: two scenes with the same signature draw the same pixels."""
        return repr(self)

    def render(self) -> Image.Image:
        image = Image.new("RGB", (self.width, self.height), PAINTS[self.background])
        draw = ImageDraw.Draw(image)
        for shape in self.shapes:
            _draw_shape(draw, shape)
        for word in self.words:
            draw_word(draw, word.text.upper(), word.box[0], word.box[1], word.scale, INK[word.ink])
        return image

    def png(self) -> bytes:
        """The image as PNG bytes (fixed settings, so the same scene gives the same bytes)."""
        buffer = io.BytesIO()
        self.render().save(buffer, format="PNG", compress_level=9)
        return buffer.getvalue()


def _draw_shape(draw: ImageDraw.ImageDraw, shape: Shape) -> None:
    x1, y1, x2, y2 = shape.box
    right, bottom = x2 - 1, y2 - 1
    if shape.shape == "circle":
        draw.ellipse((x1, y1, right, bottom), fill=shape.rgb)
    elif shape.shape == "square":
        draw.rectangle((x1, y1, right, bottom), fill=shape.rgb)
    elif shape.shape == "triangle":
        draw.polygon([((x1 + right) / 2, y1), (right, bottom), (x1, bottom)], fill=shape.rgb)
    elif shape.shape == "diamond":
        cx, cy = (x1 + right) / 2, (y1 + bottom) / 2
        draw.polygon([(cx, y1), (right, cy), (cx, bottom), (x1, cy)], fill=shape.rgb)
    else:
        raise ValueError(f"unknown shape {shape.shape!r}; the synthetic scenes draw {', '.join(SHAPES)}")


# -- sampling ------------------------------------------------------------------------------------------


def jittered(rng: random.Random, color: str) -> RGB:
    r, g, b = COLORS[color]
    j = COLOR_JITTER
    return (_clip(r + rng.randint(-j, j)), _clip(g + rng.randint(-j, j)), _clip(b + rng.randint(-j, j)))


def _clip(value: int) -> int:
    return max(0, min(255, value))


def _overlaps(a: Box, b: Box, gap: int) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def free_box(rng: random.Random, size: tuple[int, int], taken: Sequence[Box],
             region: Box, tries: int = 200) -> Box | None:
    """A box of ``size`` inside ``region`` that keeps ``GAP`` pixels from every box in ``taken``."""
    w, h = size
    rx1, ry1, rx2, ry2 = region
    if rx2 - rx1 < w or ry2 - ry1 < h:
        return None
    for _ in range(tries):
        x, y = rng.randint(rx1, rx2 - w), rng.randint(ry1, ry2 - h)
        box = (x, y, x + w, y + h)
        if not any(_overlaps(box, other, GAP) for other in taken):
            return box
    return None


def place_shapes(rng: random.Random, width: int, height: int, kinds: Sequence[tuple[str, str]],
                 size_range: tuple[int, int], taken: Sequence[Box] = (),
                 regions: Sequence[Box] | None = None) -> list[Shape] | None:
    """Shapes of the given (shape, colour) kinds at free random places, or ``None`` if they do not fit.

    ``regions`` optionally confines each shape to its own region (a quadrant, a half).
    """
    boxes = list(taken)
    shapes = []
    for i, (shape, color) in enumerate(kinds):
        side = rng.randint(*size_range)
        region = regions[i] if regions is not None else (1, 1, width - 1, height - 1)
        box = free_box(rng, (side, side), boxes, region)
        if box is None:
            return None
        boxes.append(box)
        shapes.append(Shape(shape, color, jittered(rng, color), box))
    return shapes


def place_word(rng: random.Random, text: str, width: int, height: int, taken: Sequence[Box] = (),
               scale: int = 2, ink: str = "black", region: Box | None = None) -> Word | None:
    box = free_box(rng, word_size(text.upper(), scale), taken, region or (2, 2, width - 2, height - 2))
    return None if box is None else Word(text, ink, scale, box)


def ink_for(background: str) -> str:
    """Dark ink on light backgrounds, light ink on dark ones."""
    r, g, b = PAINTS[background]
    return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 140 else "black"


def distinct_kinds(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """``n`` different (shape, colour) pairs."""
    pairs = [(s, c) for s in SHAPES for c in COLORS]
    return rng.sample(pairs, n)


def quadrants(width: int, height: int) -> dict[str, Box]:
    """The four quadrants by name, each shrunk away from the centre lines so that a shape inside one
    is unambiguously there."""
    mx, my, m = width // 2, height // 2, 2
    return {
        "top left": (1, 1, mx - m, my - m),
        "top right": (mx + m, 1, width - 1, my - m),
        "bottom left": (1, my + m, mx - m, height - 1),
        "bottom right": (mx + m, my + m, width - 1, height - 1),
    }


def relation(a: Shape, b: Shape, min_offset: float = 10.0) -> str | None:
    """Where ``a`` is relative to ``b``: ``left``, ``right``, ``above`` or ``below``, or ``None`` when
    neither axis clearly dominates (the dominant offset must be ``min_offset`` pixels and 1.5 times the
    other)."""
    (ax, ay), (bx, by) = a.center, b.center
    dx, dy = ax - bx, ay - by
    if abs(dx) >= min_offset and abs(dx) >= 1.5 * abs(dy):
        return "left" if dx < 0 else "right"
    if abs(dy) >= min_offset and abs(dy) >= 1.5 * abs(dx):
        return "above" if dy < 0 else "below"
    return None
