"""Rendering evalkit ``Prompt``s as OpenAI chat messages, images inline as ``data:`` URLs.

A raw prompt becomes one user message; a chat prompt becomes its system message and turns.
A message without images carries plain text (every server accepts that); one with images
carries the content-part list (``text`` and ``image_url`` parts in prompt order).
"""

from __future__ import annotations

import base64
import io
from typing import Any

from evalkit.data.images import LazyImage
from evalkit.prompts.types import ImagePart, Prompt, TextPart, Turn

Message = dict[str, Any]


def image_data_url(image: LazyImage) -> str:
    """The decoded image as a lossless PNG ``data:`` URL."""
    buf = io.BytesIO()
    image.load().save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _content(turn: Turn) -> str | list[dict[str, Any]]:
    if not any(isinstance(p, ImagePart) for p in turn.parts):
        return turn.text
    parts: list[dict[str, Any]] = []
    for part in turn.parts:
        if isinstance(part, TextPart):
            if part.text:
                parts.append({"type": "text", "text": part.text})
        else:
            parts.append({"type": "image_url", "image_url": {"url": image_data_url(part.image)}})
    return parts


def chat_messages(prompt: Prompt) -> list[Message]:
    messages: list[Message] = []
    if prompt.system is not None:
        messages.append({"role": "system", "content": prompt.system})
    for turn in prompt.turns:
        if turn.role == "assistant" and any(isinstance(p, ImagePart) for p in turn.parts):
            raise ValueError("an assistant turn cannot carry an image in the chat-completions API")
        messages.append({"role": turn.role, "content": _content(turn)})
    return messages
