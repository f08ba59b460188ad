"""MME: yes/no parsing and the per-subtask acc, acc+ and score of the official MME eval tool."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from evalkit.errors import did_you_mean

YesNo = Literal["yes", "no", "other"]

# The official totals add the subtask scores in this order.
PERCEPTION = (
    "existence", "count", "position", "color", "posters",
    "celebrity", "scene", "landmark", "artwork", "OCR",
)  # fmt: skip
COGNITION = ("commonsense_reasoning", "numerical_calculation", "text_translation", "code_reasoning")
SUBTASKS = PERCEPTION + COGNITION


def mme_parse(answer: str) -> YesNo:
    """``"yes"``, ``"no"`` or ``"other"``, as ``parse_pred_ans`` of the MME eval tool
    (``eval_tool/calculation.py``) reads an answer.

    Lower-case; an answer that is exactly ``yes`` or ``no`` is that; otherwise whichever of ``yes``
    and ``no`` occurs in the first 4 characters (``yes`` checked first); otherwise ``other``.
    Quirks kept: no strip and no punctuation removal, so ``'not really'``, ``'None'`` and
    ``'Nope'`` are ``no``, ``' yes'`` is ``yes``, and ``'The answer is yes'`` is ``other``.
    """
    text = answer.lower()
    if text == "yes":
        return "yes"
    if text == "no":
        return "no"
    prefix = text[:4]
    if "yes" in prefix:
        return "yes"
    if "no" in prefix:
        return "no"
    return "other"


def mme_scores(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-subtask ``acc`` (0..1), ``acc_plus`` (0..1) and ``score`` (0..200), and the
    ``perception`` and ``cognition`` totals.

    Each record has ``subtask``, ``image``, ``gt`` (``"Yes"``/``"No"``) and ``prediction`` (the raw
    answer), in dataset order. Reproduces ``calculate_metrics.process_result`` of the MME eval tool
    (``eval_tool/calculation.py``, which Qwen-VL's ``eval_mm/mme/EVAL_MME.md`` points to): within a
    subtask, records pair up by position (1-2, 3-4, ...), ``acc`` counts ``other`` as wrong,
    ``acc_plus`` is the share of images with both answers right, ``score = acc*100 + acc_plus*100``,
    and the totals add subtask scores in the official order. Where the official tool would crash
    (a subtask whose answers are all ``other``) the subtask simply scores what it earned (0).

    Raises ``ValueError`` for an unknown subtask, a ground truth other than yes/no, an odd number of
    records in a subtask, or a pair whose two records name different images: the official pairing
    by position would silently score such input wrongly.
    """
    correct_by_subtask: dict[str, list[tuple[str, bool]]] = {}
    for record in records:
        subtask = str(record["subtask"])
        if subtask not in SUBTASKS:
            raise ValueError(
                f"unknown MME subtask {subtask!r}{did_you_mean(subtask, SUBTASKS)} (known: {', '.join(SUBTASKS)})"
            )
        gt = str(record["gt"]).lower()
        if gt not in ("yes", "no"):
            raise ValueError(f"MME ground truth must be 'Yes' or 'No', got {record['gt']!r} in subtask {subtask!r}")
        prediction = record["prediction"]
        correct = mme_parse("" if prediction is None else str(prediction)) == gt
        correct_by_subtask.setdefault(subtask, []).append((str(record["image"]), correct))

    subtasks: dict[str, dict[str, float]] = {}
    for subtask in SUBTASKS:
        if subtask in correct_by_subtask:
            subtasks[subtask] = _subtask_scores(subtask, correct_by_subtask[subtask])
    return {
        "subtasks": subtasks,
        "perception": _total(subtasks, PERCEPTION),
        "cognition": _total(subtasks, COGNITION),
    }


def mme_image_pairs(subtask: str, items: list[tuple[str, bool]]) -> list[tuple[bool, bool]]:
    """The (first, second) correctness of each image's two questions, paired by position."""
    if len(items) % 2:
        raise ValueError(
            f"MME subtask {subtask!r} has {len(items)} records; each image has exactly two questions, "
            "so keep both rows of every image (and never split a pair when limiting samples)"
        )
    pairs = []
    for (image_a, correct_a), (image_b, correct_b) in zip(items[0::2], items[1::2]):
        if image_a != image_b:
            raise ValueError(
                f"MME subtask {subtask!r}: consecutive records name images {image_a!r} and {image_b!r}; "
                "the two questions of an image must be adjacent, in dataset order"
            )
        pairs.append((correct_a, correct_b))
    return pairs


def _subtask_scores(subtask: str, items: list[tuple[str, bool]]) -> dict[str, float]:
    pairs = mme_image_pairs(subtask, items)
    acc = sum(a + b for a, b in pairs) / (2 * len(pairs))
    acc_plus = sum(a and b for a, b in pairs) / len(pairs)
    return {"acc": acc, "acc_plus": acc_plus, "score": acc * 100 + acc_plus * 100}


def _total(subtasks: Mapping[str, Mapping[str, float]], names: tuple[str, ...]) -> float:
    total = 0.0
    for name in names:
        if name in subtasks:
            total += subtasks[name]["score"]
    return total
