"""Exact-match accuracy."""

from __future__ import annotations

from collections.abc import Sequence


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    """1.0 when ``prediction`` equals any answer after ``strip().lower()``, else 0.0.

    Reproduces ``evaluate_exact_match_accuracy`` of Qwen-VL's ``eval_mm/evaluate_vqa.py`` (OCR-VQA,
    AI2D): ``lower()`` rather than ``casefold()``, and no punctuation is removed.
    """
    pred = prediction.strip().lower()
    return 1.0 if any(pred == answer.strip().lower() for answer in answers) else 0.0
