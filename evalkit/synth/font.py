"""A 5×7 bitmap font for the rendered words of the synthetic benchmarks.

The glyphs are drawn as filled squares, ``scale`` pixels wide each, so a word renders to the same
pixels on every machine: no font file, no FreeType version and no anti-aliasing is involved. At the
default scale of 2 a letter is 10×14 pixels, large enough for a small model looking at 64-pixel
images through 8-pixel patches to read.
"""

from __future__ import annotations

from PIL import ImageDraw

GLYPH_WIDTH = 5
GLYPH_HEIGHT = 7
LETTER_GAP = 1  # blank glyph columns between letters, before scaling

# Rows top to bottom, "#" lit; one entry per capital letter.
_GLYPH_ROWS = {
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "###.. #..#. #...# #...# #...# #..#. ###..",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
}

# (column, row) of every lit cell, per letter.
GLYPHS: dict[str, tuple[tuple[int, int], ...]] = {
    letter: tuple(
        (col, row)
        for row, line in enumerate(rows.split())
        for col, cell in enumerate(line)
        if cell == "#"
    )
    for letter, rows in _GLYPH_ROWS.items()
}


def word_size(text: str, scale: int) -> tuple[int, int]:
    """Width and height in pixels of ``text`` rendered at ``scale``."""
    if not text:
        return 0, 0
    columns = len(text) * GLYPH_WIDTH + (len(text) - 1) * LETTER_GAP
    return columns * scale, GLYPH_HEIGHT * scale


def draw_word(draw: ImageDraw.ImageDraw, text: str, left: int, top: int, scale: int,
              fill: tuple[int, int, int]) -> None:
    """Draw ``text`` (capital letters only) with its top-left corner at (``left``, ``top``)."""
    for position, letter in enumerate(text):
        glyph = GLYPHS.get(letter)
        if glyph is None:
            raise ValueError(f"the synthetic font has capital letters A-Z only, got {letter!r} in {text!r}")
        x0 = left + position * (GLYPH_WIDTH + LETTER_GAP) * scale
        for col, row in glyph:
            x, y = x0 + col * scale, top + row * scale
            draw.rectangle((x, y, x + scale - 1, y + scale - 1), fill=fill)
