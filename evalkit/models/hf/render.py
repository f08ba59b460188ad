"""Rendering a model-neutral ``Prompt`` into a Hugging Face chat-template string plus its images.

Hugging Face chat models are always prompted through their own chat template, which is how they
were trained and how their model cards use them. A ``chat`` prompt becomes messages: the system
message (when given), then the user/assistant turns, each image part an ``{"type": "image"}``
entry in place. A ``raw`` prompt becomes one user message holding all its parts, so the
template still wraps it (a checkpoint's template may add its own default system message, as
Qwen2-VL's does). The string ends with the template's generation prompt (the open assistant
turn); the images are returned in the order their placeholders appear.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evalkit.errors import ModelLoadError
from evalkit.prompts.types import ImagePart, Part, Prompt, TextPart

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image as PILImage

Message = dict[str, Any]


def prompt_messages(prompt: Prompt) -> list[Message]:
    """The chat messages of ``prompt`` in the Hugging Face multimodal message format."""
    messages: list[Message] = []
    if prompt.system is not None:
        messages.append({"role": "system", "content": [{"type": "text", "text": prompt.system}]})
    for turn in prompt.turns:
        messages.append({"role": turn.role, "content": [_content(part) for part in turn.parts]})
    return messages


def render_prompt(processor: Any, prompt: Prompt) -> tuple[str, list[PILImage.Image]]:
    """The chat-template text of ``prompt`` (with the generation prompt) and its decoded images."""
    if getattr(processor, "chat_template", None) is None:
        raise ModelLoadError(
            "this checkpoint's processor has no chat template, so evalkit cannot prompt it; "
            "use an instruction-tuned checkpoint that ships chat_template.jinja (or chat_template.json)"
        )
    text = processor.apply_chat_template(prompt_messages(prompt), add_generation_prompt=True, tokenize=False)
    return text, [image.load() for image in prompt.images]


def _content(part: Part) -> dict[str, str]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImagePart):
        return {"type": "image"}
    raise TypeError(f"unknown prompt part {part!r}")
