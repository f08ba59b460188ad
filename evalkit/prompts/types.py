"""A model-neutral prompt: text and image parts in order, optionally as chat turns.

Each model adapter renders this into its own form: Qwen-VL writes ``<img>…</img>`` into raw
text or ChatML, Hugging Face models go through their processor's chat template, and
OpenAI-compatible servers receive chat messages with data-URL images.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal, Union

from evalkit.data.images import LazyImage

PromptStyle = Literal["raw", "chat"]
Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ImagePart:
    image: LazyImage


Part = Union[TextPart, ImagePart]


@dataclass(frozen=True)
class Turn:
    role: Role
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        """The text of the turn with images left out."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))


@dataclass(frozen=True)
class Prompt:
    """What a model is asked.

    ``style="raw"``: one user turn whose parts, concatenated, are the whole completion prompt
    (Qwen-VL's eval-script form). ``style="chat"``: user/assistant turns ending in a user turn, with
    an optional system message; the model's reply is the open assistant turn.
    """

    turns: tuple[Turn, ...]
    style: PromptStyle = "raw"
    system: str | None = None
    images: tuple[LazyImage, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.turns or self.turns[-1].role != "user":
            raise ValueError("a prompt must end with a user turn")
        if self.style == "raw" and len(self.turns) != 1:
            raise ValueError("a raw prompt has exactly one user turn")
        images = tuple(p.image for t in self.turns for p in t.parts if isinstance(p, ImagePart))
        object.__setattr__(self, "images", images)

    @classmethod
    def raw(cls, *parts: Part) -> "Prompt":
        return cls(turns=(Turn("user", tuple(parts)),), style="raw")

    def canonical(self) -> dict[str, object]:
        """A JSON-able form that identifies the prompt (images by their stable keys)."""

        def part(p: Part) -> object:
            return {"text": p.text} if isinstance(p, TextPart) else {"image": p.image.key}

        return {
            "style": self.style,
            "system": self.system,
            "turns": [{"role": t.role, "parts": [part(p) for p in t.parts]} for t in self.turns],
        }

    def hash(self) -> str:
        """sha256 of the canonical form; stored with every journaled sample."""
        blob = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]

    def render_text(self, image_token: str = "<image>") -> str:
        """A readable one-string view (``evalkit describe``); models render their own form."""
        out = []
        if self.system is not None:
            out.append(f"[system] {self.system}\n")
        for turn in self.turns:
            body = "".join(p.text if isinstance(p, TextPart) else image_token for p in turn.parts)
            out.append(body if self.style == "raw" else f"[{turn.role}] {body}\n")
        return "".join(out)
