"""Types shared by extractors, scorers and aggregations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MetricValue:
    """One aggregate number with its 95% confidence interval (``None`` when undefined)."""

    value: float
    ci95: tuple[float, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ci95": list(self.ci95) if self.ci95 is not None else None}


@dataclass(frozen=True)
class ScoredSample:
    """What an aggregation sees of one sample: the journaled record, already scored.

    ``output`` is the raw model output (text, or the option losses of a choice task), ``answer``
    the extracted answer, ``target`` the dataset's reference(s), ``scores`` the per-sample scores and
    ``meta`` the task-defined fields (``subtask``, ``cluster``: the image or pair the sample shares).
    """

    id: str
    output: Any
    answer: Any
    target: Any
    scores: dict[str, float]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def cluster(self) -> str:
        return str(self.meta.get("cluster", self.id))


@dataclass(frozen=True)
class TaskScores:
    """An aggregation's result: headline metrics first, then optional per-subtask breakdowns."""

    metrics: dict[str, MetricValue]
    subtasks: dict[str, dict[str, MetricValue]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"metrics": {k: v.as_dict() for k, v in self.metrics.items()}}
        if self.subtasks:
            out["subtasks"] = {
                name: {k: v.as_dict() for k, v in metrics.items()} for name, metrics in self.subtasks.items()
            }
        if self.info:
            out["info"] = self.info
        return out


def as_answers(target: Any) -> list[str]:
    """A target as a list of answer strings (None: none; a string: one)."""
    if target is None:
        return []
    if isinstance(target, str):
        return [target]
    return [str(t) for t in target]


def as_text(value: Any) -> str:
    """A journaled value as text (None as the empty string)."""
    return "" if value is None else str(value)
