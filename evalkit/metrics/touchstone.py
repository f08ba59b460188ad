"""TouchStone: scores from a judge's replies, as the official TouchStone ``eval.py`` computes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# eval.py's MAX_API_RETRY: a round is given up after this many judge calls.
MAX_TRIES = 5


def parse_judge_reply(reply: str | None) -> tuple[float, float] | None:
    """The two scores on the first line of a judge reply, or ``None`` when it does not parse.

    Reproduces TouchStone ``eval.py``: the judge is called with ``stop=["\\n"]``, so only the text
    before the first newline reaches ``process_reply(content + "\\nok")``, which strips the whole
    text, takes its first line, strips it and splits it on single spaces into exactly two
    ``float()``-able tokens. So ``"8  7"`` (two spaces), ``"8,7"``, ``"Score: 8 7"`` and a reply
    that starts with a newline fail, while ``" 8 7"``, ``"8.5 7"`` and ``"1e1 5"`` parse. ``None``
    stands for a call that raised.
    """
    if reply is None:
        return None
    content = reply.split("\n", 1)[0]
    try:
        first_line, _reason = (content + "\nok").strip().split("\n", 1)
        score1, score2 = first_line.strip().split(" ")
        return float(score1), float(score2)
    except ValueError:
        return None


@dataclass(frozen=True)
class JudgedRound:
    """One judged round: the model's and the reference's scores, or ``None`` for both when the
    judge gave no parseable reply within ``MAX_TRIES`` calls (the round is then excluded)."""

    model_score: float | None
    reference_score: float | None

    @property
    def excluded(self) -> bool:
        return self.model_score is None


def judge_round(replies: Sequence[str | None], model_first: bool, max_tries: int = MAX_TRIES) -> JudgedRound:
    """The first of the judge's successive ``replies`` (at most ``max_tries``) that parses.

    Round 1 shows the reference as Assistant 1 and the model as Assistant 2 (``model_first``
    False); round 2 swaps them, so the model's score is the first of the two.
    """
    for reply in list(replies)[:max_tries]:
        scores = parse_judge_reply(reply)
        if scores is not None:
            model, reference = (scores[0], scores[1]) if model_first else (scores[1], scores[0])
            return JudgedRound(model, reference)
    return JudgedRound(None, None)


def touchstone_rounds(question: Mapping[str, Any]) -> tuple[JudgedRound, JudgedRound]:
    """Both rounds of one question (``round1``: reference first; ``round2``: model first)."""
    return (
        judge_round(question.get("round1") or [], model_first=False),
        judge_round(question.get("round2") or [], model_first=True),
    )


def touchstone_score(questions: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The TouchStone score: the mean of the model's judged scores over both rounds, ×100.

    Each question has ``category`` and ``round1``/``round2``: the judge's successive replies for
    that round (retries in order; ``None`` for a call that raised). Reproduces ``process`` and
    ``compute_score`` of OFA-Sys/TouchStone ``eval.py``: the first reply that parses counts; a
    round with none within 5 calls is excluded from every mean (not scored 0) and counted in
    ``excluded_rounds``; per-category means use ``category.split(',')`` with no stripping, so
    ``"A, B"`` adds to ``"A"`` and ``" B"``. The reference answer's scores are reported beside the
    model's. ``score`` is ``None`` when no round was judged.
    """
    model: list[float] = []
    reference: list[float] = []
    model_by_category: dict[str, list[float]] = {}
    reference_by_category: dict[str, list[float]] = {}
    excluded = 0
    for question in questions:
        categories = str(question.get("category", "")).split(",")
        for judged in touchstone_rounds(question):
            if judged.model_score is None or judged.reference_score is None:
                excluded += 1
                continue
            model.append(judged.model_score)
            reference.append(judged.reference_score)
            for category in categories:
                model_by_category.setdefault(category, []).append(judged.model_score)
                reference_by_category.setdefault(category, []).append(judged.reference_score)
    return {
        "score": _mean_x100(model),
        "per_category": {c: _mean_x100(v) for c, v in model_by_category.items()},
        "excluded_rounds": excluded,
        "judged_rounds": len(model),
        "reference_score": _mean_x100(reference),
        "reference_per_category": {c: _mean_x100(v) for c, v in reference_by_category.items()},
    }


def _mean_x100(values: Sequence[float]) -> float | None:
    # np.mean (pairwise summation) * 100, as compute_score prints it.
    return float(np.mean(values)) * 100 if values else None
