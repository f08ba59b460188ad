"""Exact-match accuracy (OCR-VQA, AI2D) and GQA accuracy with the official answer clean-up."""

from __future__ import annotations

from collections.abc import Sequence


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    """1.0 when ``prediction`` equals any answer after ``strip().lower()``, else 0.0.

    Reproduces ``evaluate_exact_match_accuracy`` of Qwen-VL's ``eval_mm/evaluate_vqa.py`` (OCR-VQA,
    AI2D): ``lower()`` rather than ``casefold()``, and no punctuation is removed. Raises
    ``ValueError`` when there is no reference answer.
    """
    if len(answers) == 0:
        raise ValueError("exact_match needs at least one reference answer; the sample has none")
    pred = prediction.strip().lower()
    return 1.0 if any(pred == answer.strip().lower() for answer in answers) else 0.0


# Applied in this order, each to the current text: keep what follows the first marker...
_GQA_KEEP_AFTER = ("is ", "are ", "a ", "an ", "the ")
# ...then what precedes the first " of".
_GQA_KEEP_BEFORE = " of"


def gqa_clean_answer(prediction: str) -> str:
    """The answer clean-up Qwen-VL's ``eval_mm/evaluate_vqa.py`` applies to GQA outputs.

    Keep the text before the first ``.``, then ``,``, then ``!``; lower-case; then for each of
    ``'is '``, ``'are '``, ``'a '``, ``'an '``, ``'the '`` in turn, keep what follows its first
    occurrence up to the next one (``split(marker)[1]``); keep what precedes ``' of'``; strip.
    Quirk kept: these are substring tests, so ``'tennis racket'`` becomes ``'racket'``,
    ``'this is a cat'`` becomes ``''`` and ``'3.5 meters'`` becomes ``'3'``.
    """
    text = prediction.strip().split(".")[0].split(",")[0].split("!")[0].lower()
    for marker in _GQA_KEEP_AFTER:
        if marker in text:
            text = text.split(marker)[1]
    if _GQA_KEEP_BEFORE in text:
        text = text.split(_GQA_KEEP_BEFORE)[0]
    return text.strip()


def gqa_accuracy(prediction: str, answers: Sequence[str]) -> float:
    """Exact match of the cleaned answer (``gqa_clean_answer``) against the GQA answer(s).

    Reproduces the ``if 'gqa' in args.dataset`` branch of Qwen-VL's ``eval_mm/evaluate_vqa.py``
    followed by ``evaluate_exact_match_accuracy``.
    """
    return exact_match(gqa_clean_answer(prediction), answers)
