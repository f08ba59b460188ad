"""Sample scorers: one answer against its target, each a thin adapter to ``evalkit.metrics``."""

from __future__ import annotations

import math
from typing import Any

from evalkit import metrics
from evalkit.scoring.registry import scorer
from evalkit.scoring.types import as_answers, as_text


@scorer("exact_match")
def score_exact_match(answer: Any, target: Any, meta: dict[str, Any]) -> dict[str, float]:
    """Exact match after strip + lowercase, best over the answers (``metrics.exact_match``)."""
    return {"exact_match": metrics.exact_match(as_text(answer), as_answers(target))}


@scorer("vqa_accuracy")
def score_vqa_accuracy(answer: Any, target: Any, meta: dict[str, Any]) -> dict[str, float]:
    """Official VQA accuracy against the human answers (``metrics.vqa_accuracy``)."""
    return {"vqa_accuracy": metrics.vqa_accuracy(as_text(answer), as_answers(target))}


@scorer("anls")
def score_anls(answer: Any, target: Any, meta: dict[str, Any], threshold: float = 0.5) -> dict[str, float]:
    """ANLS against the answers (``metrics.anls``)."""
    return {"anls": metrics.anls(as_text(answer), as_answers(target), threshold=threshold)}


@scorer("relaxed_accuracy")
def score_relaxed_accuracy(
    answer: Any, target: Any, meta: dict[str, Any], protocol: str = "standard"
) -> dict[str, float]:
    """ChartQA relaxed accuracy; ``protocol`` "qwen-vl" keeps the official swapped arguments."""
    return {"relaxed_accuracy": metrics.relaxed_accuracy(as_text(answer), as_answers(target), protocol=protocol)}


@scorer("gqa_accuracy")
def score_gqa_accuracy(answer: Any, target: Any, meta: dict[str, Any]) -> dict[str, float]:
    """Exact match after Qwen-VL's GQA answer clean-up (``metrics.gqa_accuracy``)."""
    return {"gqa_accuracy": metrics.gqa_accuracy(as_text(answer), as_answers(target))}


@scorer("grounding")
def score_grounding(
    answer: Any, target: Any, meta: dict[str, Any], protocol: str = "qwen-vl", parser: str = "qwen-vl"
) -> dict[str, float]:
    """``acc@0.5`` (0/1) and ``iou`` of the predicted box (``metrics.grounding_score``).

    ``target`` is ``{"bbox": [x1, y1, x2, y2] in pixels, "width": w, "height": h}``. The official
    arithmetic can give the IoU NaN (two zero-area boxes); ``iou`` then stores 0.0, so records stay
    strict JSON and the mean IoU counts such a box as no overlap. ``acc@0.5`` is exactly official.
    """
    if not isinstance(target, dict) or not {"bbox", "width", "height"} <= set(target):
        raise ValueError(
            f"grounding needs target {{'bbox': [x1, y1, x2, y2], 'width': w, 'height': h}}, got {target!r}"
        )
    _, iou, correct = metrics.grounding_score(
        as_text(answer), target["bbox"], float(target["width"]), float(target["height"]),
        protocol=protocol, parser=parser,
    )
    return {"acc@0.5": 1.0 if correct else 0.0, "iou": iou if math.isfinite(iou) else 0.0}


@scorer("choice_accuracy")
def score_choice_accuracy(answer: Any, target: Any, meta: dict[str, Any]) -> dict[str, float]:
    """1.0 when the chosen letter is the target letter (an index target is read as a letter)."""
    expected = metrics.option_letter(target) if isinstance(target, int) else as_text(target).strip()
    return {"accuracy": 1.0 if answer is not None and str(answer) == expected else 0.0}


@scorer("mme")
def score_mme(answer: Any, target: Any, meta: dict[str, Any]) -> dict[str, float]:
    """Per-question MME correctness: the parsed answer equals the yes/no ground truth."""
    return {"accuracy": 1.0 if metrics.mme_parse(as_text(answer)) == as_text(target).lower() else 0.0}


@scorer("caption")
def score_caption(answer: Any, target: Any, meta: dict[str, Any]) -> dict[str, float]:
    """No per-sample score: caption metrics are corpus-level (the ``caption`` aggregation scores
    all captions at once). Fails the sample early when it has no reference caption."""
    if not as_answers(target):
        raise ValueError("a caption sample needs at least one reference caption; the sample has none")
    return {}


@scorer("judged")
def score_judged(answer: Any, target: Any, meta: dict[str, Any]) -> dict[str, float]:
    """No per-sample score: a judge scores the answer later (TouchStone; the ``touchstone``
    aggregation reads the judge's replies from ``meta["judge"]``). Fails the sample early when it
    has no reference answer for the judge to compare with."""
    if not as_answers(target) or not any(a.strip() for a in as_answers(target)):
        raise ValueError("a judged sample needs a reference answer for the judge; the sample has none")
    return {}
