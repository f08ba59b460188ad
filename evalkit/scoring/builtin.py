"""evalkit's registered extractors, sample scorers and aggregations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit import metrics, stats
from evalkit.scoring.registry import aggregation, extractor, scorer
from evalkit.scoring.types import MetricValue, ScoredSample, TaskScores


def _answers(target: Any) -> list[str]:
    if target is None:
        return []
    if isinstance(target, str):
        return [target]
    return [str(t) for t in target]


@extractor("strip")
def extract_strip(output: Any, target: Any, meta: dict[str, Any]) -> str:
    """The raw output with surrounding whitespace removed."""
    return str(output).strip()


@extractor("first_line")
def extract_first_line(output: Any, target: Any, meta: dict[str, Any]) -> str:
    """The first non-empty line of the output, stripped."""
    for line in str(output).splitlines():
        if line.strip():
            return line.strip()
    return ""


@scorer("exact_match")
def score_exact_match(answer: Any, target: Any, meta: dict[str, Any]) -> dict[str, float]:
    """Exact match after strip + lowercase, best over the answers (``metrics.exact_match``)."""
    return {"exact_match": metrics.exact_match(str(answer), _answers(target))}


@aggregation("mean")
def aggregate_mean(
    samples: Sequence[ScoredSample], *, seed: int, scale: float = 100.0, by_subtask: bool = False
) -> TaskScores:
    """Mean of every per-sample score (×``scale``), CI clustered by the sample's cluster key."""
    names = sorted({name for s in samples for name in s.scores})

    def summarise(group: Sequence[ScoredSample]) -> dict[str, MetricValue]:
        out = {}
        for name in names:
            rows = [s for s in group if name in s.scores]
            value, ci = stats.mean_ci([s.scores[name] for s in rows], [s.cluster for s in rows])
            out[name] = MetricValue(value * scale, (ci[0] * scale, ci[1] * scale) if ci else None)
        return out

    subtasks: dict[str, dict[str, MetricValue]] = {}
    if by_subtask:
        groups: dict[str, list[ScoredSample]] = {}
        for s in samples:
            groups.setdefault(str(s.meta.get("subtask")), []).append(s)
        subtasks = {name: summarise(group) for name, group in sorted(groups.items())}
    return TaskScores(metrics=summarise(samples), subtasks=subtasks)
