"""Average Normalised Levenshtein Similarity (DocVQA, InfographicVQA)."""

from __future__ import annotations

from collections.abc import Sequence


def levenshtein(a: str, b: str) -> int:
    """Edit distance over code points (insertions, deletions and substitutions cost 1)."""
    if len(a) > len(b):
        a, b = b, a
    previous = list(range(len(a) + 1))
    for j, cb in enumerate(b, start=1):
        current = [j]
        for i, ca in enumerate(a, start=1):
            if ca == cb:
                current.append(previous[i - 1])
            else:
                current.append(1 + min(previous[i - 1], previous[i], current[i - 1]))
        previous = current
    return previous[-1]


def _collapse(text: str) -> str:
    return " ".join(text.strip().lower().split())


def anls(prediction: str, answers: Sequence[str], threshold: float = 0.5) -> float:
    """ANLS of one answer: ``1 - min`` normalised edit distance over the answers, 0 below ``threshold``.

    Reproduces ``evaluate_method`` of the DocVQA/InfographicVQA evaluation script
    (Qwen-VL ``eval_mm/infographicsvqa_eval.py``, ``anls_threshold=0.5``). Quirks kept: the distance
    is taken between lower-cased, whitespace-collapsed strings but divided by
    ``max(len(gt.upper()), len(pred.upper()))`` of the *raw* strings (surrounding spaces lengthen
    it, ``'ß'.upper()`` is two characters); a score of exactly ``threshold`` is kept; two empty
    strings score 1. Raises ``ValueError`` when there is no reference answer.
    """
    if len(answers) == 0:
        raise ValueError("anls needs at least one reference answer; the sample has none")
    pred = _collapse(prediction)
    pred_upper_len = len(prediction.upper())
    best = min(
        _normalised_distance(_collapse(answer), pred, max(len(answer.upper()), pred_upper_len))
        for answer in answers
    )
    score = 1 - best
    return 0.0 if score < threshold else score


def _normalised_distance(gt: str, pred: str, length: int) -> float:
    return 0.0 if length == 0 else float(levenshtein(gt, pred)) / float(length)
