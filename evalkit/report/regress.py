"""The CI gate: did a run drop against a baseline? (``evalkit regress``)

For each task of the baseline, the run's headline metric (or every metric) is compared with the
baseline's (``compare.compare_metric``, baseline as A, run as B). A task fails when

- it dropped significantly: a paired test's p-value below ``1 - confidence``, or, for metrics without
  per-sample scores, a CI of the difference entirely below zero; or
- it dropped by more than ``max_drop`` points, significant or not; or
- the run lacks it, or ran it under another protocol or number of shots (not comparable).

A drop inside the noise passes. Higher is better for every evalkit metric. Each task is tested at
the given level; with many tasks, a lower level (``--confidence 0.99``) keeps false alarms rare.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from evalkit.report.compare import MetricComparison, compare_metric, metrics_to_compare
from evalkit.report.runs import Run
from evalkit.report.text import interval, number, p_value, text_table


class Verdict(str, enum.Enum):
    OK = "ok"
    IMPROVED = "improved"
    DROPPED = "dropped"
    MISSING = "missing"
    NOT_COMPARABLE = "not comparable"

    @property
    def fails(self) -> bool:
        return self in (Verdict.DROPPED, Verdict.MISSING, Verdict.NOT_COMPARABLE)


@dataclass(frozen=True)
class TaskVerdict:
    task: str
    metric: str | None
    verdict: Verdict
    reason: str = ""
    comparison: MetricComparison | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "metric": self.metric, "verdict": self.verdict.value, "reason": self.reason,
                "comparison": self.comparison.as_dict() if self.comparison else None}


@dataclass(frozen=True)
class RegressionReport:
    baseline: Run
    run: Run
    confidence: float
    max_drop: float | None
    verdicts: list[TaskVerdict]
    new_tasks: list[str]

    @property
    def failed(self) -> bool:
        return any(v.verdict.fails for v in self.verdicts)

    def as_dict(self) -> dict[str, Any]:
        return {"baseline": str(self.baseline.path), "run": str(self.run.path), "confidence": self.confidence,
                "max_drop": self.max_drop, "failed": self.failed, "tasks": [v.as_dict() for v in self.verdicts],
                "new_tasks": self.new_tasks}


def _judge(comparison: MetricComparison, max_drop: float | None) -> TaskVerdict:
    drop = -comparison.difference
    reasons = []
    if comparison.significant and comparison.difference < 0:
        shown = p_value(comparison.p_value)
        evidence = ("CI of the difference below zero" if comparison.p_value is None
                    else f"p {shown}" if shown.startswith("<") else f"p = {shown}")
        reasons.append(f"significant drop of {drop:.2f} ({evidence})")
    if max_drop is not None and drop > max_drop:
        reasons.append(f"dropped {drop:.2f} points, more than --max-drop {max_drop:g}")
    if reasons:
        verdict = Verdict.DROPPED
    elif comparison.significant and comparison.difference > 0:
        verdict = Verdict.IMPROVED
    else:
        verdict = Verdict.OK
    return TaskVerdict(comparison.task, comparison.metric, verdict, "; ".join(reasons), comparison)


def check_regression(baseline: Run, run: Run, *, max_drop: float | None = None, confidence: float = 0.95,
                     seed: int = 0, n_resamples: int = 10_000, all_metrics: bool = False) -> RegressionReport:
    if max_drop is not None and max_drop < 0:
        raise ValueError(f"max_drop is a number of points >= 0, got {max_drop}")
    verdicts = []
    for name, base in baseline.tasks.items():
        current = run.tasks.get(name)
        if current is None:
            verdicts.append(TaskVerdict(name, base.headline, Verdict.MISSING, "the run has no result for this task"))
            continue
        if (base.protocol, base.num_fewshot) != (current.protocol, current.num_fewshot):
            verdicts.append(TaskVerdict(name, base.headline, Verdict.NOT_COMPARABLE,
                                        f"baseline {base.protocol} {base.num_fewshot}-shot, run "
                                        f"{current.protocol} {current.num_fewshot}-shot"))
            continue
        wanted = list(base.metrics) if all_metrics else [base.headline] if base.headline else []
        for metric in wanted:
            if metric not in current.metrics:
                verdicts.append(TaskVerdict(name, metric, Verdict.MISSING, f"the run does not report {metric}"))
        metrics = metrics_to_compare(base, current, all_metrics)
        for metric in metrics:
            comparison = compare_metric(baseline, run, name, metric, seed=seed, confidence=confidence,
                                        n_resamples=n_resamples)
            if comparison is not None:
                verdicts.append(_judge(comparison, max_drop))
    return RegressionReport(baseline, run, confidence, max_drop, verdicts,
                            new_tasks=[t for t in run.tasks if t not in baseline.tasks])


def format_report(report: RegressionReport) -> str:
    """The readable report ``evalkit regress`` prints."""
    level = f"{report.confidence:.0%}"
    lines = [
        f"baseline: {report.baseline.path} ({report.baseline.model}, {report.baseline.source})",
        f"run:      {report.run.path} ({report.run.model}, {report.run.source})",
        f"difference = run - baseline; {level} CI; a task fails on a significant drop"
        + (f" or a drop of more than {report.max_drop:g} points" if report.max_drop is not None else ""),
        "",
    ]
    rows = [["task", "metric", "baseline", "run", "diff", f"{level} CI", "p", "test", "verdict"]]
    for v in report.verdicts:
        c = v.comparison
        rows.append([
            v.task, v.metric or "-", number(c.value_a) if c else "-", number(c.value_b) if c else "-",
            number(c.difference, signed=True) if c else "-", interval(c.ci) if c else "-",
            p_value(c.p_value) if c else "-", c.test.value if c else "-", v.verdict.value,
        ])
    lines.append(text_table(rows))
    details = [f"  {v.task} {v.metric or ''}: {v.reason}".rstrip() for v in report.verdicts if v.reason]
    details += [
        f"  {v.task} {v.metric}: {note}" for v in report.verdicts if v.comparison for note in v.comparison.notes
    ]
    if details:
        lines += ["", "notes:", *details]
    if report.new_tasks:
        lines += ["", f"not in the baseline (not checked): {', '.join(report.new_tasks)}"]
    failed = [v for v in report.verdicts if v.verdict.fails]
    lines.append("")
    if failed:
        lines.append(f"FAILED: {len(failed)} of {len(report.verdicts)} checks: "
                     + ", ".join(f"{v.task} ({v.verdict.value})" for v in failed))
    else:
        lines.append(f"passed: {len(report.verdicts)} checks, no significant drop")
    return "\n".join(lines)
