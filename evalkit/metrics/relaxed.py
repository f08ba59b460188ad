"""Relaxed accuracy (ChartQA): numbers within 5%, everything else by case-insensitive match."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

RelaxedProtocol = Literal["standard", "qwen-vl"]
PROTOCOLS: tuple[RelaxedProtocol, ...] = ("standard", "qwen-vl")


def _to_float(text: str) -> float | None:
    # One trailing-'%' check, then rstrip removes every trailing '%'. Python's float() accepts
    # ' 12 ', '1e3', '1_000', 'inf', 'nan' and non-ASCII digits, and rejects '1,000' and '$5'.
    try:
        if text.endswith("%"):
            return float(text.rstrip("%")) / 100.0
        return float(text)
    except ValueError:
        return None


def relaxed_correctness(target: str, prediction: str, max_relative_change: float = 0.05) -> bool:
    """pix2struct's ``relaxed_correctness`` as Qwen-VL ``eval_mm/evaluate_vqa.py`` defines it.

    When ``prediction`` parses as a number and ``target`` as a non-zero number, correct if
    ``|prediction - target| / |target| <= max_relative_change`` (NaN compares False); otherwise
    ``prediction.lower() == target.lower()``, so ``'0.0'`` against ``'0'`` is False.
    """
    prediction_float = _to_float(prediction)
    target_float = _to_float(target)
    if prediction_float is not None and target_float:
        relative_change = abs(prediction_float - target_float) / abs(target_float)
        return relative_change <= max_relative_change
    return prediction.lower() == target.lower()


def relaxed_accuracy(prediction: str, answers: Sequence[str], protocol: str = "standard") -> float:
    """1.0 when the stripped prediction is relaxed-correct against any answer, else 0.0.

    ``protocol="standard"`` (pix2struct): the answer is the target, so the 5% tolerance is relative
    to the ground truth. ``protocol="qwen-vl"`` reproduces ``evaluate_relaxed_accuracy`` of Qwen-VL
    ``eval_mm/evaluate_vqa.py``, which passes the *model answer* as the target: the tolerance is
    relative to the model's number, and a model answer of 0 falls back to string matching.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown relaxed_accuracy protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    if len(answers) == 0:
        raise ValueError("relaxed_accuracy needs at least one reference answer; the sample has none")
    pred = prediction.strip()
    if protocol == "qwen-vl":
        correct = any(relaxed_correctness(pred, answer) for answer in answers)
    else:
        correct = any(relaxed_correctness(answer, pred) for answer in answers)
    return 1.0 if correct else 0.0
