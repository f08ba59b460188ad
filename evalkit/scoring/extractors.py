"""Extractors: from a model's raw output to the answer a scorer compares (``strip``, ``first_line``,
option letters from losses or text, MME's yes/no parse)."""

from __future__ import annotations

import math
from typing import Any

from evalkit import metrics
from evalkit.scoring.registry import extractor
from evalkit.scoring.types import as_text


@extractor("strip")
def extract_strip(output: Any, target: Any, meta: dict[str, Any]) -> str:
    """The raw output with surrounding whitespace removed."""
    return str(output).strip()


@extractor("first_line")
def extract_first_line(output: Any, target: Any, meta: dict[str, Any]) -> str:
    """The first non-empty line of the output, stripped."""
    for line in str(output).splitlines():
        if line.strip():
            return line.strip()
    return ""


@extractor("choice_from_losses")
def extract_choice_from_losses(output: Any, target: Any, meta: dict[str, Any]) -> str:
    """The letter of the option with the lowest mean loss (float32 argmin, first on ties)."""
    if not output:
        raise ValueError("choice_from_losses needs the per-option losses as output; the record has none")
    # A NaN loss is journaled as null; it wins the argmin, as in the official torch code.
    losses = [math.nan if loss is None else float(loss) for loss in output]
    return metrics.option_letter(metrics.choice_from_losses(losses))


@extractor("choice_from_text")
def extract_choice_from_text(output: Any, target: Any, meta: dict[str, Any]) -> str | None:
    """The option letter a generated answer names (``meta["options"]``), or None; never random."""
    index = metrics.choice_from_text(as_text(output), [str(o) for o in meta.get("options") or []])
    return None if index is None else metrics.option_letter(index)


@extractor("mme_yes_no")
def extract_mme_yes_no(output: Any, target: Any, meta: dict[str, Any]) -> str:
    """``yes``/``no``/``other`` as the official MME eval tool parses the answer."""
    return metrics.mme_parse(as_text(output))


# ---------------------------------------------------------------------------------- scorers
