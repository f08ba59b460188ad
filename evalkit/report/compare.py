"""Two runs task by task: both scores, the difference (B − A), its CI, and a p-value when one exists.

Which test a metric gets depends on what the runs recorded:

- ``paired``: both runs have per-sample scores whose mean is the reported metric (accuracy-type
  metrics). ``stats.paired_comparison`` over the sample ids both runs scored, resampling and
  sign-flipping whole clusters (the image several questions share): the difference over the shared
  samples, its paired bootstrap CI and a permutation p-value.
- ``unpaired``: the metric is not a per-sample mean (CIDEr, MME's totals) or a run has no
  per-sample records (an imported run, a bare scores.json), but both carry a 95% CI. The CI of the
  difference treats the two runs as independent normal estimates, which is conservative (wider) for
  runs on the same samples. There is no p-value: none is invented.
- ``none``: no CI is known for one side; only the difference is shown.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evalkit import stats
from evalkit.report.runs import Run, TaskResult
from evalkit.report.text import interval, number, p_value, text_table
from evalkit.scoring.types import MetricValue

_Z95 = 1.959963984540054
# Scales by which a per-sample score's mean can become the reported metric (evalkit reports ×100).
_SCALES = (1.0, 100.0)


class Method(str, enum.Enum):
    PAIRED = "paired"
    UNPAIRED = "unpaired"
    NONE = "none"


@dataclass(frozen=True)
class MetricComparison:
    task: str
    metric: str
    value_a: float
    value_b: float
    difference: float
    ci: tuple[float, float] | None
    p_value: float | None
    test: Method  # which test gave the CI and p-value
    significant: bool
    n_shared: int | None = None
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": self.task, "metric": self.metric, "value_a": self.value_a, "value_b": self.value_b,
            "difference": self.difference, "ci": list(self.ci) if self.ci else None, "p_value": self.p_value,
            "test": self.test.value, "significant": self.significant, "n_shared": self.n_shared,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Comparison:
    run_a: Run
    run_b: Run
    confidence: float
    metrics: list[MetricComparison]
    only_a: list[str]
    only_b: list[str]


def _z(confidence: float) -> float:
    """The two-sided normal quantile for ``confidence`` (``statistics.NormalDist``; no scipy needed)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence / 2)


def per_sample_scale(task: TaskResult, metric: str, records: Sequence[dict[str, Any]]) -> float | None:
    """The factor by which the mean of the per-sample ``metric`` gives the reported value, or ``None``
    when the reported value is not such a mean (a corpus metric, a total, no records)."""
    values = [r["scores"][metric] for r in records if isinstance(r.get("scores"), dict) and metric in r["scores"]]
    reported = task.metrics.get(metric)
    if not values or reported is None or len(values) != len(records):
        return None
    mean = math.fsum(values) / len(values)
    for scale in _SCALES:
        if math.isclose(mean * scale, reported.value, rel_tol=1e-9, abs_tol=1e-9):
            return scale
    return None


def _paired(run_a: Run, run_b: Run, task_a: TaskResult, task_b: TaskResult, metric: str, *, seed: int,
            confidence: float, n_resamples: int) -> tuple[stats.PairedComparison, float] | None:
    if not (run_a.has_samples(task_a.name) and run_b.has_samples(task_b.name)):
        return None
    records_a, records_b = run_a.samples(task_a.name), run_b.samples(task_b.name)
    scale_a = per_sample_scale(task_a, metric, records_a)
    scale_b = per_sample_scale(task_b, metric, records_b)
    if scale_a is None or scale_a != scale_b:
        return None
    a = {str(r["id"]): float(r["scores"][metric]) * scale_a for r in records_a}
    b = {str(r["id"]): float(r["scores"][metric]) * scale_b for r in records_b}
    if not a.keys() & b.keys():
        return None
    clusters = {str(r["id"]): str((r.get("meta") or {}).get("cluster", r["id"])) for r in records_a}
    result = stats.paired_comparison(a, b, seed=seed, clusters=clusters, n_resamples=n_resamples,
                                     confidence=confidence)
    return result, scale_a


def _unpaired_ci(a: MetricValue, b: MetricValue, confidence: float) -> tuple[float, float] | None:
    if a.ci95 is None or b.ci95 is None:
        return None
    se_a = (a.ci95[1] - a.ci95[0]) / (2 * _Z95)
    se_b = (b.ci95[1] - b.ci95[0]) / (2 * _Z95)
    half = _z(confidence) * math.hypot(se_a, se_b)
    difference = b.value - a.value
    return difference - half, difference + half


def compare_metric(run_a: Run, run_b: Run, task: str, metric: str, *, seed: int = 0, confidence: float = 0.95,
                   n_resamples: int = 10_000) -> MetricComparison | None:
    """``None`` when either run lacks the metric."""
    task_a, task_b = run_a.tasks[task], run_b.tasks[task]
    a, b = task_a.metrics.get(metric), task_b.metrics.get(metric)
    if a is None or b is None:
        return None
    notes = []
    if (task_a.protocol, task_a.num_fewshot) != (task_b.protocol, task_b.num_fewshot):
        notes.append(f"not like for like: {task_a.protocol} {task_a.num_fewshot}-shot vs "
                     f"{task_b.protocol} {task_b.num_fewshot}-shot")
    paired = _paired(run_a, run_b, task_a, task_b, metric, seed=seed, confidence=confidence, n_resamples=n_resamples)
    if paired is not None:
        result, _ = paired
        if result.n < max(task_a.n or 0, task_b.n or 0):
            notes.append(f"paired over the {result.n} samples both runs scored")
        significant = result.p_value is not None and result.p_value < 1 - confidence
        return MetricComparison(task, metric, a.value, b.value, result.difference, result.ci95, result.p_value,
                                Method.PAIRED, significant, result.n, tuple(notes))
    ci = _unpaired_ci(a, b, confidence)
    difference = b.value - a.value
    if ci is None:
        notes.append("no CI for this metric in one of the runs: no test")
        return MetricComparison(task, metric, a.value, b.value, difference, None, None, Method.NONE, False, None,
                                tuple(notes))
    why = ("no per-sample records" if not (run_a.has_samples(task) and run_b.has_samples(task))
           else "not a mean of per-sample scores")
    notes.append(f"{why}: CI from the runs' own CIs, as independent; no p-value")
    significant = ci[0] > 0 or ci[1] < 0
    return MetricComparison(task, metric, a.value, b.value, difference, ci, None, Method.UNPAIRED, significant, None,
                            tuple(notes))


def metrics_to_compare(task_a: TaskResult, task_b: TaskResult, all_metrics: bool) -> list[str]:
    if all_metrics:
        return [m for m in task_a.metrics if m in task_b.metrics]
    return [task_a.headline] if task_a.headline is not None and task_a.headline in task_b.metrics else []


def compare_runs(run_a: Run, run_b: Run, *, seed: int = 0, confidence: float = 0.95, n_resamples: int = 10_000,
                 all_metrics: bool = False) -> Comparison:
    """Every task both runs have: the headline metric (or, with ``all_metrics``, every shared metric)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    rows = []
    for task in run_a.tasks:
        if task not in run_b.tasks:
            continue
        for metric in metrics_to_compare(run_a.tasks[task], run_b.tasks[task], all_metrics):
            row = compare_metric(run_a, run_b, task, metric, seed=seed, confidence=confidence, n_resamples=n_resamples)
            if row is not None:
                rows.append(row)
    return Comparison(run_a, run_b, confidence, rows,
                      only_a=[t for t in run_a.tasks if t not in run_b.tasks],
                      only_b=[t for t in run_b.tasks if t not in run_a.tasks])


def format_comparison(comparison: Comparison) -> str:
    """The table ``evalkit compare`` prints: a ``*`` marks a significant difference."""
    level = f"{comparison.confidence:.0%}"
    a, b = comparison.run_a, comparison.run_b
    lines = [
        f"A: {a.path} ({a.model}, {a.source})",
        f"B: {b.path} ({b.model}, {b.source})",
        f"difference = B - A; {level} CI; * = significant at the {1 - comparison.confidence:.0%} level",
        "",
    ]
    rows = [["task", "metric", "A", "B", "B - A", f"{level} CI", "p", "test", "n"]]
    for m in comparison.metrics:
        rows.append([
            m.task, m.metric, number(m.value_a), number(m.value_b),
            number(m.difference, signed=True) + (" *" if m.significant else ""), interval(m.ci),
            p_value(m.p_value), m.test.value, str(m.n_shared) if m.n_shared is not None else "-",
        ])
    lines.append(text_table(rows) if comparison.metrics else "no task in common")
    notes = [f"  {m.task} {m.metric}: {note}" for m in comparison.metrics for note in m.notes]
    if notes:
        lines += ["", "notes:", *notes]
    if comparison.only_a:
        lines.append(f"only in A: {', '.join(comparison.only_a)}")
    if comparison.only_b:
        lines.append(f"only in B: {', '.join(comparison.only_b)}")
    return "\n".join(lines)
