"""Aggregations: a task's scored samples to its metrics, each with a 95% CI (closed form for means
of per-sample scores, a seeded bootstrap for corpus metrics, clustered where samples share an image)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evalkit import metrics, stats
from evalkit.errors import DataError
from evalkit.metrics.mme import COGNITION, PERCEPTION, SUBTASKS
from evalkit.scoring.registry import aggregation
from evalkit.scoring.types import (
    MetricValue,
    ScoredSample,
    TaskScores,
    as_answers,
    as_text,
)

DEFAULT_RESAMPLES = 1000


def _scaled(ci: tuple[float, float] | None, scale: float) -> tuple[float, float] | None:
    return None if ci is None else (ci[0] * scale, ci[1] * scale)


def _value(value: float, ci: tuple[float, float] | None, scale: float = 1.0) -> MetricValue:
    return MetricValue(value * scale, _scaled(ci, scale))



def _bounds(bounds: Sequence[float] | None) -> tuple[float, float] | None:
    if bounds is None:
        return None
    if isinstance(bounds, str) or len(bounds) != 2 or not all(isinstance(b, (int, float)) for b in bounds):
        raise DataError(f"the mean aggregation's bounds must be [low, high] or null, got {bounds!r}")
    return float(bounds[0]), float(bounds[1])


@aggregation("mean")
def aggregate_mean(
    samples: Sequence[ScoredSample], *, seed: int, scale: float = 100.0, by_subtask: bool = False,
    bounds: Sequence[float] | None = (0.0, 1.0),
) -> TaskScores:
    """Mean of every per-sample score (×``scale``), CI clustered by the sample's cluster key.

    Every built-in scorer gives scores in [0, 1], so the CI is by default the Wilson interval that
    stays within them (``stats.mean_ci``); a task whose scorer gives other scores sets the
    aggregation's ``bounds: [low, high]``, or ``bounds: null`` for the normal approximation.
    """
    names = sorted({name for s in samples for name in s.scores})
    limits = _bounds(bounds)

    def summarise(group: Sequence[ScoredSample]) -> dict[str, MetricValue]:
        out = {}
        for name in names:
            rows = [s for s in group if name in s.scores]
            try:
                value, ci = stats.mean_ci([s.scores[name] for s in rows], [s.cluster for s in rows], bounds=limits)
            except ValueError as error:
                raise DataError(f"the mean of '{name}': {error}; if the scorer's scores lie in another range, "
                                f"give the task's aggregation bounds: [low, high] (or bounds: null)") from None
            out[name] = _value(value, ci, scale)
        return out

    subtasks: dict[str, dict[str, MetricValue]] = {}
    if by_subtask:
        groups: dict[str, list[ScoredSample]] = {}
        for s in samples:
            groups.setdefault(str(s.meta.get("subtask")), []).append(s)
        subtasks = {name: summarise(group) for name, group in sorted(groups.items())}
    return TaskScores(metrics=summarise(samples), subtasks=subtasks)


@aggregation("mme")
def aggregate_mme(samples: Sequence[ScoredSample], *, seed: int, n_resamples: int = DEFAULT_RESAMPLES) -> TaskScores:
    """MME ``perception`` and ``cognition`` totals and per-subtask ``acc``, ``acc_plus`` (both ×100)
    and ``score``, from ``metrics.mme_scores`` over the samples in dataset order.

    Each sample needs ``meta["subtask"]``, the image as its cluster and a Yes/No target; the raw
    ``output`` is parsed. CIs: bootstrap resampling whole images (``sample.cluster``) within each
    subtask, so both questions of an image always move together and every subtask keeps its size.
    """
    subtask_of = [as_text(s.meta.get("subtask")) for s in samples]
    gts = [as_text(s.target) for s in samples]
    predictions = [as_text(s.output) for s in samples]
    official = metrics.mme_scores(
        {"subtask": subtask, "image": s.cluster, "gt": gt, "prediction": prediction}
        for subtask, s, gt, prediction in zip(subtask_of, samples, gts, predictions)
    )
    present = [name for name in SUBTASKS if name in official["subtasks"]]
    member = np.stack([np.asarray(subtask_of) == name for name in present], axis=1).astype(np.float64)
    correct = np.asarray([metrics.mme_parse(p) == gt.lower() for p, gt in zip(predictions, gts)], dtype=np.float64)
    both = _both_correct(correct, [(subtask, s.cluster) for subtask, s in zip(subtask_of, samples)])
    groups = {"perception": [i for i, n in enumerate(present) if n in PERCEPTION],
              "cognition": [i for i, n in enumerate(present) if n in COGNITION]}  # fmt: skip
    headline = [name for name, columns in groups.items() if columns]

    def statistics(w: np.ndarray) -> np.ndarray:
        size = w @ member
        acc = (w @ (member * correct[:, None])) / size
        acc_plus = (w @ (member * both[:, None])) / size
        score = acc * 100 + acc_plus * 100
        totals = [score[:, groups[name]].sum(axis=1) for name in headline]
        return np.column_stack([*totals, acc * 100, acc_plus * 100, score])

    results = stats.bootstrap_cis(
        statistics, n_samples=len(samples), seed=seed, clusters=[s.cluster for s in samples],
        strata=subtask_of, n_resamples=n_resamples,
    )
    values = [_value(v, ci) for v, ci in results]
    k = len(present)
    # Headline values and subtask scores come from the official computation; CIs from the bootstrap.
    metric_values = {name: MetricValue(official[name], values[i].ci95) for i, name in enumerate(headline)}
    subtasks = {
        name: {
            "acc": values[len(headline) + i],
            "acc_plus": values[len(headline) + k + i],
            "score": MetricValue(official["subtasks"][name]["score"], values[len(headline) + 2 * k + i].ci95),
        }
        for i, name in enumerate(present)
    }
    return TaskScores(metrics=metric_values, subtasks=subtasks)


def _both_correct(correct: np.ndarray, images: Sequence[tuple[Any, Any]]) -> np.ndarray:
    """For each question, whether every question of its (subtask, image) is right (MME's acc+)."""
    all_right: dict[tuple[Any, Any], bool] = {}
    for image, ok in zip(images, correct):
        all_right[image] = all_right.get(image, True) and bool(ok)
    return np.asarray([all_right[image] for image in images], dtype=np.float64)


CAPTION_ORDER = ("CIDEr", "Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "SPICE")


@aggregation("caption")
def aggregate_caption(
    samples: Sequence[ScoredSample], *, seed: int, n_resamples: int = DEFAULT_RESAMPLES
) -> TaskScores:
    """Corpus caption metrics (×100) from ``metrics.score_caption_corpus``: CIDEr, BLEU-1..4,
    METEOR, ROUGE-L, and SPICE when it can run (otherwise ``info["unavailable"]`` says why).

    One sample per image: its id keys the corpus, ``answer`` (else ``output``) is the caption and
    ``target`` the reference captions. CIs: seeded bootstrap over images (``sample.cluster``),
    recomputing BLEU and METEOR from summed statistics on each resample.
    """
    predictions = {s.id: as_text(s.answer if s.answer is not None else s.output) for s in samples}
    references = {s.id: as_answers(s.target) for s in samples}
    corpus = metrics.score_caption_corpus(predictions, references)
    names = [name for name in CAPTION_ORDER if name in corpus.scores]
    results = stats.bootstrap_cis(
        lambda w: np.column_stack([corpus.resampled(name, w) for name in names]),
        n_samples=len(samples), seed=seed, clusters=[s.cluster for s in samples], n_resamples=n_resamples,
    )
    metric_values = {name: MetricValue(corpus.scores[name], ci) for name, (_, ci) in zip(names, results)}
    info = {"unavailable": dict(corpus.unavailable)} if corpus.unavailable else {}
    return TaskScores(metrics=metric_values, info=info)


@aggregation("touchstone")
def aggregate_touchstone(samples: Sequence[ScoredSample], *, seed: int) -> TaskScores:
    """TouchStone ``score`` (mean judged model score ×100, 100..1000) and ``reference_score``,
    per category in ``subtasks``; from ``metrics.touchstone_score``.

    Record shape the judge step fills: ``output`` is the model's answer, ``scores`` holds nothing,
    ``meta["category"]`` the TouchStone category string and ``meta["judge"] =
    {"round1": [reply, ...], "round2": [reply, ...]}``: the judge's raw replies in call order
    (``None`` for a call that raised); round 1 shows the reference answer first, round 2 the
    model's. Rounds without a parseable reply are excluded and counted in ``info``. CIs: closed
    form over judged rounds, clustered by question.
    """
    judged = [s for s in samples if isinstance(s.meta.get("judge"), dict)]
    if not judged:
        raise DataError(
            "no TouchStone record carries judge replies (meta['judge']); judge the answers first, then rescore"
        )
    questions = [{"category": s.meta.get("category", ""), **s.meta["judge"]} for s in judged]
    official = metrics.touchstone_score(questions)
    # (question cluster, model score, reference score) per judged round, overall and per category;
    # a category named twice in one question counts twice, as in the official compute_score.
    rows: list[tuple[str, float, float]] = []
    category_rows: dict[str, list[tuple[str, float, float]]] = {}
    for sample, question in zip(judged, questions):
        for judged_round in metrics.touchstone.touchstone_rounds(question):
            if judged_round.model_score is None or judged_round.reference_score is None:
                continue
            row = (sample.cluster, judged_round.model_score, judged_round.reference_score)
            rows.append(row)
            for category in str(question["category"]).split(","):
                category_rows.setdefault(category, []).append(row)

    def summarise(
        selected: list[tuple[str, float, float]], model: float | None, reference: float | None
    ) -> dict[str, MetricValue]:
        out: dict[str, MetricValue] = {}
        clusters = [r[0] for r in selected]
        for name, values, official_value in (
            ("score", [r[1] for r in selected], model),
            ("reference_score", [r[2] for r in selected], reference),
        ):
            if official_value is not None:
                _, ci = stats.mean_ci(values, clusters)
                out[name] = MetricValue(official_value, _scaled(ci, 100.0))
        return out

    per_category = {
        category: summarise(category_rows[category], value, official["reference_per_category"][category])
        for category, value in official["per_category"].items()
    }
    info = {
        "excluded_rounds": official["excluded_rounds"],
        "judged_rounds": official["judged_rounds"],
        "unjudged_questions": len(samples) - len(judged),
    }
    return TaskScores(
        metrics=summarise(rows, official["score"], official["reference_score"]), subtasks=per_category, info=info
    )
