"""The English of the synthetic benchmarks: naming shapes, groups of shapes and where they are.

The vocabulary is small and closed on purpose, so that a model with a word-level vocabulary of a
hundred or so entries can learn every question and answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evalkit.synth.scene import Shape

NUMBER_WORDS = {0: "zero", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def plural(shape: str) -> str:
    return shape + "s"


def article(word: str) -> str:
    """``a`` or ``an``, for the word that follows it."""
    return "an" if word[:1] in "aeiou" else "a"


def a_kind(color: str, shape: str) -> str:
    """``a red circle``, ``an orange square``."""
    return f"{article(color)} {color} {shape}"


@dataclass(frozen=True)
class Group:
    """Shapes of one kind (same shape and colour) in a scene."""

    shape: str
    color: str
    members: tuple[Shape, ...]

    @property
    def count(self) -> int:
        return len(self.members)

    def phrase(self, determiner: str = "a") -> str:
        """``a red circle``, ``an orange square`` (or ``one red circle``), ``two blue squares``."""
        if self.count == 1:
            return f"one {self.color} {self.shape}" if determiner == "one" else a_kind(self.color, self.shape)
        return f"{NUMBER_WORDS[self.count]} {self.color} {plural(self.shape)}"


def groups(shapes: Sequence[Shape]) -> list[Group]:
    """The scene's shapes grouped by kind, ordered left to right by each group's leftmost member."""
    by_kind: dict[tuple[str, str], list[Shape]] = {}
    for s in shapes:
        by_kind.setdefault((s.shape, s.color), []).append(s)
    ordered = sorted(by_kind.items(), key=lambda item: min(m.box[0] for m in item[1]))
    return [Group(shape, color, tuple(members)) for (shape, color), members in ordered]


def join(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def listing(scene_groups: Sequence[Group], determiner: str = "a") -> str:
    return join([g.phrase(determiner) for g in scene_groups])


def be(scene_groups: Sequence[Group]) -> str:
    """``is`` or ``are``, agreeing with the first item of a listing."""
    return "is" if scene_groups and scene_groups[0].count == 1 else "are"


def area(shape: Shape, width: int, height: int) -> str:
    """Where a shape lies on a 3×3 grid: ``top left``, ``top``, ..., ``center``, ..., ``bottom right``."""
    return area_at(*shape.center, width, height)


def area_at(cx: float, cy: float, width: int, height: int) -> str:
    """The 3×3 grid's name (as ``area`` gives it) for the point (``cx``, ``cy``)."""
    col = ("left", "", "right")[min(2, int(3 * cx / width))]
    row = ("top", "", "bottom")[min(2, int(3 * cy / height))]
    return " ".join(p for p in (row, col) if p) or "center"


def at_area(name: str) -> str:
    """``in the top left corner``, ``at the top``, ``in the center``."""
    if name == "center":
        return "in the center"
    if " " in name:
        return f"in the {name} corner"
    return f"at the {name}" if name in ("top", "bottom") else f"on the {name}"


RELATION_PHRASES = {"left": "to the left of", "right": "to the right of", "above": "above", "below": "below"}
OPPOSITE = {"left": "right", "right": "left", "above": "below", "below": "above"}
