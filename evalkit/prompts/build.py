"""Building a sample's prompt from its task's template, zero-shot or with k seeded examples.

Templates are plain text with ``{field}`` placeholders (a sample's text fields, ``{options}``,
``{answer}`` in few-shot templates; ``{{``/``}}`` for literal braces) and image placeholders:
``<image>`` places the sample's next image, ``<images>`` all its remaining images, each followed
by the template's ``image_separator``. Only simple names are substituted, never attribute access.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from evalkit.data.samples import Sample
from evalkit.errors import ConfigError, DataError
from evalkit.prompts.types import ImagePart, Part, Prompt, TextPart, Turn
from evalkit.tasks.spec import LETTERS, PromptSpec, ProtocolSpec

_IMAGE_TOKEN = re.compile(r"(<images?>)")
_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|\{|\}")


def format_options(options: Sequence[str], spec: PromptSpec) -> str:
    return spec.option_separator.join(
        spec.option_format.replace("{letter}", LETTERS[i]).replace("{text}", text) for i, text in enumerate(options)
    )


def _fill(text: str, values: dict[str, Any], template: str) -> str:
    def sub(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        if name is None:
            raise ConfigError(f"template {template!r} has an unmatched brace; write {{{{ or }}}} for a literal brace")
        if name not in values:
            raise ConfigError(
                f"template {template!r} uses {{{name}}}, which this task's samples do not have "
                f"(available: {', '.join(sorted(values))}); add it under 'fields.text' or fix the template"
            )
        return str(values[name])

    return _FIELD.sub(sub, text)


def render(template: str, sample: Sample, spec: PromptSpec, answer: str | None = None) -> list[Part]:
    """The parts of ``template`` filled in for ``sample`` (``answer`` fills ``{answer}``)."""
    values: dict[str, Any] = dict(sample.text)
    if sample.options:
        values["options"] = format_options(sample.options, spec)
    if answer is not None:
        values["answer"] = answer
    images = list(sample.images)
    parts: list[Part] = []
    for piece in _IMAGE_TOKEN.split(template):
        if piece == "<image>":
            if not images:
                raise DataError(f"sample {sample.id!r} has fewer images than the template places")
            parts.append(ImagePart(images.pop(0)))
        elif piece == "<images>":
            for image in images:
                parts.append(ImagePart(image))
                if spec.image_separator:
                    parts.append(TextPart(spec.image_separator))
            images = []
        elif piece:
            parts.append(TextPart(_fill(piece, values, template)))
    if images:
        raise DataError(f"sample {sample.id!r} has {len(sample.images)} images but the template places fewer; "
                        f"use <images> in the task's template for multi-image samples")
    return _merge_text(parts)


def _merge_text(parts: list[Part]) -> list[Part]:
    merged: list[Part] = []
    for part in parts:
        if merged and isinstance(part, TextPart) and isinstance(merged[-1], TextPart):
            merged[-1] = TextPart(merged[-1].text + part.text)
        else:
            merged.append(part)
    return merged


def build_prompt(sample: Sample, protocol: ProtocolSpec, family: str, shots: Sequence[Sample] = ()) -> Prompt:
    spec = protocol.prompt_for(family)
    shot_template = spec.fewshot_template or spec.template + " {answer}"
    if spec.style == "raw":
        parts: list[Part] = []
        for shot in shots:
            parts.extend(render(shot_template, shot, spec, answer=_shot_answer(shot)))
        parts.extend(render(spec.template, sample, spec))
        return Prompt(turns=(Turn("user", tuple(_merge_text(parts))),), style="raw", system=spec.system)
    turns: list[Turn] = []
    for shot in shots:
        turns.append(Turn("user", tuple(render(spec.template, shot, spec))))
        turns.append(Turn("assistant", (TextPart(_shot_answer(shot)),)))
    turns.append(Turn("user", tuple(render(spec.template, sample, spec))))
    return Prompt(turns=tuple(turns), style="chat", system=spec.system)


def _shot_answer(shot: Sample) -> str:
    if shot.fewshot_answer is None:
        raise DataError(f"few-shot example {shot.id!r} has no answer; map 'fields.fewshot_answer' in the task")
    return shot.fewshot_answer


def select_shots(pool: Sequence[Sample], query: Sample, k: int, seed: int) -> list[Sample]:
    """k examples drawn for ``query`` with a seed of its own: never the query, nor its image.

    The draw depends only on (seed, query id, pool), so it does not change with ``--limit``,
    batch size or the order samples run in.
    """
    if k <= 0:
        return []
    candidates = [s for s in pool if s.id != query.id and s.cluster != query.cluster]
    if len(candidates) < k:
        raise DataError(f"the few-shot pool has {len(candidates)} usable examples, fewer than k={k}")
    rng = random.Random(f"{seed}:{query.id}")
    return rng.sample(candidates, k)
