"""Render a model-neutral ``Prompt`` into the exact text and ids Qwen-VL reads.

* ``style="raw"``: the parts concatenated, each image as ``<img>{name}</img>``, tokenized with every
  special surface form parsed as special: the form of the official ``eval_mm/evaluate_*.py`` scripts.
* ``style="chat"``: ChatML exactly as the official ``qwen_generation_utils.make_context`` builds it
  (system turn, history turns dropped oldest-first beyond ``max_window_size``, open assistant turn).

The name written between the image tags does not reach the model (its 256 positions, or as many as
the model has image tokens, are overwritten by the image features), so it is the image's key when
that is short and plain, else ``image{n}``.
Images stay in memory: the rendered prompt carries them in the order of their ``<img>`` spans.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from evalkit.data.images import LazyImage
from evalkit.errors import ConfigError
from evalkit.models.qwen_vl.tokenizer import (
    IM_END,
    IM_START,
    IMAGE_END,
    IMAGE_SPAN,
    IMAGE_START,
    VISION_TAGS,
    QwenTokenizer,
)
from evalkit.prompts.types import ImagePart, Prompt, TextPart, Turn

DEFAULT_SYSTEM = "You are a helpful assistant."  # the official ``chat()`` default


@dataclass(frozen=True)
class RenderedPrompt:
    """The prompt as the model sees it: ``text`` (the official raw text), its ``ids``, its images."""

    text: str
    ids: tuple[int, ...]
    images: tuple[LazyImage, ...]


def image_name(image: LazyImage, index: int, span: int = IMAGE_SPAN) -> str:
    """What goes between ``<img>`` and ``</img>``: the key if it is plain and fits in ``span`` bytes,
    else ``image{index}``."""
    key = unicodedata.normalize("NFC", image.key)
    plain = key and key.strip() == key and "<" not in key and ">" not in key
    if plain and len(key.encode("utf-8")) < span:
        return key
    return f"image{index}"


def make_context(
    tokenizer: QwenTokenizer,
    query: str,
    history: list[tuple[str, str]],
    system: str = DEFAULT_SYSTEM,
    max_window_size: int = 6144,
) -> tuple[str, list[int], int]:
    """ChatML text and ids of the official ``make_context``, plus how many history turns were kept.

    Role and content text may contain only the vision tags as specials; any other special surface
    form (``<|im_end|>`` typed by a user) is encoded as plain text, as in the official function.
    """
    nl = tokenizer.encode("\n")

    def turn(role: str, content: str) -> tuple[str, list[int]]:
        ids = tokenizer.encode(role, VISION_TAGS) + nl + tokenizer.encode(content, VISION_TAGS)
        return f"{role}\n{content}", [tokenizer.im_start_id, *ids, tokenizer.im_end_id]

    system_text, system_ids = turn("system", system)
    context: list[int] = []
    text = ""
    kept = 0
    for past_query, past_response in reversed(history):
        query_text, query_ids = turn("user", past_query)
        response_text, response_ids = turn("assistant", past_response)
        block = nl + query_ids + nl + response_ids
        if len(system_ids) + len(block) + len(context) >= max_window_size:
            break
        context = block + context
        text = f"\n{IM_START}{query_text}{IM_END}\n{IM_START}{response_text}{IM_END}" + text
        kept += 1
    _, query_ids = turn("user", query)
    ids = system_ids + context + nl + query_ids + nl + [tokenizer.im_start_id] + tokenizer.encode("assistant") + nl
    text = f"{IM_START}{system_text}{IM_END}" + text + f"\n{IM_START}user\n{query}{IM_END}\n{IM_START}assistant\n"
    return text, ids, kept


def render_prompt(prompt: Prompt, tokenizer: QwenTokenizer, max_window_size: int = 6144) -> RenderedPrompt:
    """The exact text, ids and images Qwen-VL gets for ``prompt`` (also used by ``evalkit describe``)."""
    try:
        return _render(prompt, tokenizer, max_window_size)
    except ValueError as exc:  # the tokenizer's complaints about tags typed into the text
        raise ConfigError(f"cannot render the prompt for Qwen-VL: {exc}") from exc


def _render(prompt: Prompt, tokenizer: QwenTokenizer, max_window_size: int) -> RenderedPrompt:
    counter = itertools.count(1)
    rendered_turns = [_render_turn(turn, counter, tokenizer.image_span) for turn in prompt.turns]
    if prompt.style == "raw":
        text, images = rendered_turns[0]
        ids = tokenizer.encode(text)
    else:
        if any(t.role != ("user" if i % 2 == 0 else "assistant") for i, t in enumerate(prompt.turns)):
            raise ConfigError("a Qwen-VL chat prompt must alternate user and assistant turns, starting with user")
        pairs = [(rendered_turns[i][0], rendered_turns[i + 1][0]) for i in range(0, len(rendered_turns) - 1, 2)]
        system = DEFAULT_SYSTEM if prompt.system is None else prompt.system
        text, ids, kept = make_context(tokenizer, rendered_turns[-1][0], pairs, system, max_window_size)
        first_kept = len(rendered_turns) - 1 - 2 * kept
        images = tuple(image for _, turn_images in rendered_turns[first_kept:] for image in turn_images)
    n_spans = ids.count(tokenizer.img_start_id)
    if n_spans != len(images):
        raise ConfigError(
            f"the prompt text holds {n_spans} {IMAGE_START} tags for {len(images)} images: "
            f"put images in ImageParts, not as {IMAGE_START}…{IMAGE_END} text"
        )
    return RenderedPrompt(text=text, ids=tuple(ids), images=images)


def render_prompt_text(prompt: Prompt) -> str:
    """The text Qwen-VL reads for ``prompt``, without a tokenizer (``evalkit describe``).

    Equal to ``render_prompt(...).text`` unless a chat history is long enough for ``make_context``
    to drop its oldest turns (more than ``max_window_size`` tokens), which needs the tokenizer.
    """
    counter = itertools.count(1)
    texts = [_render_turn(turn, counter)[0] for turn in prompt.turns]
    if prompt.style == "raw":
        return texts[0]
    system = DEFAULT_SYSTEM if prompt.system is None else prompt.system
    out = f"{IM_START}system\n{system}{IM_END}"
    for i in range(0, len(texts) - 1, 2):
        out += f"\n{IM_START}user\n{texts[i]}{IM_END}\n{IM_START}assistant\n{texts[i + 1]}{IM_END}"
    return out + f"\n{IM_START}user\n{texts[-1]}{IM_END}\n{IM_START}assistant\n"


def official_chat_response(tokenizer: QwenTokenizer, new_ids: Sequence[int], stopped: bool) -> str:
    """The string the official ``model.chat()`` returns for these new ids (``decode_tokens``, ChatML).

    Kept quirks: special tokens such as ``<box>`` stay in the text, and when generation ended by
    length (no stop token) the last generated token is dropped. evalkit's own answers keep every
    token and drop the specials, as the official evaluation scripts decode.
    """
    ids = list(new_ids) if stopped else list(new_ids)[:-1]
    return tokenizer.decode(ids).strip()


def _render_turn(turn: Turn, counter: Iterator[int], span: int = IMAGE_SPAN) -> tuple[str, tuple[LazyImage, ...]]:
    pieces: list[str] = []
    images: list[LazyImage] = []
    for part in turn.parts:
        if isinstance(part, TextPart):
            pieces.append(part.text)
        elif isinstance(part, ImagePart):
            pieces.append(f"{IMAGE_START}{image_name(part.image, next(counter), span)}{IMAGE_END}")
            images.append(part.image)
    return "".join(pieces), tuple(images)
