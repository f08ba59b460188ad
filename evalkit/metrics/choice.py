"""Multiple choice (ScienceQA-Img, SEED-Bench, MMBench): the chosen option, by likelihood or by text."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def option_letter(index: int) -> str:
    """``0 -> "A"``, ``1 -> "B"``, ... (``chr(index + 65)`` in the official scripts)."""
    if not 0 <= index < len(LETTERS):
        raise ValueError(f"option index {index} has no letter; options run from 0 (A) to 25 (Z)")
    return LETTERS[index]


def mean_target_loss(token_losses: Sequence[float], target_length: int) -> float:
    """Mean of the last ``target_length`` token losses in float32: ``loss[i, -target_length:].mean()``
    of Qwen-VL's ``eval_mm/seed_bench/eval.py``."""
    if not 0 < target_length <= len(token_losses):
        raise ValueError(f"target_length must be between 1 and {len(token_losses)}, got {target_length}")
    tail = np.asarray(token_losses, dtype=np.float32)[-target_length:]
    return float(tail.mean(dtype=np.float32))


def choice_from_losses(losses: Sequence[float]) -> int:
    """Index of the option with the lowest loss, compared as float32 values.

    Reproduces ``target_loss.argmin()`` of Qwen-VL's ``eval_mm/seed_bench/eval.py`` (and
    ``evaluate_multiple_choice.py``): the losses live in a float32 tensor, so two losses that round
    to the same float32 tie, and a tie goes to the first index. A NaN loss wins, as with
    ``torch.argmin``.
    """
    if len(losses) == 0:
        raise ValueError("choice_from_losses needs at least one option loss")
    with np.errstate(over="ignore"):  # beyond float32's range a loss becomes inf, as in torch
        return int(np.argmin(np.asarray(losses, dtype=np.float32)))


# "the answer is (B)", "Answer: B", "correct option is B", "answer: option B"
_ANSWER_IS = re.compile(
    r"\b(?:answer|option|choice)\s*(?:is|:)?\s*(?:option\s*)?[:(\[]?\s*([A-Z])\b(?![’']\w)",
    re.IGNORECASE,
)
# A letter at the very start: "B.", "(B)", "B) text", "B: text", "[B]"; not "A cat ..."
_LEADING_LETTER = re.compile(r"^\s*[(\[]?\s*([A-Z])\s*[).:\]]")
_LONE_LETTER = re.compile(r"^\W*([A-Z])\W*$")


def choice_from_text(text: str, options: Sequence[str]) -> int | None:
    """Index of the option a generated answer names, or ``None`` when it names none (never random).

    For the generation protocol of multiple-choice tasks; tried in order:
    1. the whole answer is one option letter, possibly wrapped in punctuation (``"B"``, ``"(B)."``);
    2. an explicit statement: ``"the answer is B"``, ``"Answer: (B)"``, ``"option B"``;
    3. the answer starts with a letter followed by ``.``, ``)``, ``]`` or ``:`` (``"B. a cat"``);
    4. exactly one option's text occurs in the answer (case-insensitive); when several do, the
       longest wins only if it contains all the others (``"red car"`` over ``"car"``).
    Letters must be upper case and name an existing option (``A``.. up to ``len(options)``).
    """
    n = min(len(options), len(LETTERS))
    if n == 0:
        return None
    for pattern in (_LONE_LETTER, _ANSWER_IS, _LEADING_LETTER):
        index = _letter_index(pattern, text, n)
        if index is not None:
            return index
    return _unique_option_text(text, options)


def _letter_index(pattern: re.Pattern[str], text: str, n: int) -> int | None:
    for match in pattern.finditer(text):
        letter = match.group(1)
        if letter.isupper() and LETTERS.index(letter) < n:
            return LETTERS.index(letter)
        if pattern is not _ANSWER_IS:
            return None
    return None


def _unique_option_text(text: str, options: Sequence[str]) -> int | None:
    haystack = text.casefold()
    found = [(i, opt.strip().casefold()) for i, opt in enumerate(options) if opt.strip()]
    found = [(i, opt) for i, opt in found if opt in haystack]
    if not found:
        return None
    longest_index, longest = max(found, key=lambda item: len(item[1]))
    if all(opt in longest for _, opt in found) and sum(opt == longest for _, opt in found) == 1:
        return longest_index
    return None
