"""Registries of extractors, sample scorers and aggregations, looked up by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.errors import ConfigError, did_you_mean
from evalkit.scoring.types import ScoredSample, TaskScores

# extractor(output, target, meta, **params) -> answer
Extractor = Callable[..., Any]
# scorer(answer, target, meta, **params) -> {metric: value}
SampleScorerFn = Callable[..., dict[str, float]]
# aggregation(samples, seed=..., **params) -> TaskScores
AggregationFn = Callable[..., TaskScores]


@dataclass(frozen=True)
class Part:
    name: str
    fn: Callable[..., Any]
    doc: str


_EXTRACTORS: dict[str, Part] = {}
_SCORERS: dict[str, Part] = {}
_AGGREGATIONS: dict[str, Part] = {}


def _register(table: dict[str, Part], kind: str, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in table:
            raise ValueError(f"{kind} {name!r} is registered twice")
        table[name] = Part(name, fn, (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else "")
        return fn

    return deco


def extractor(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(output, target, meta, **params) -> answer``."""
    return _register(_EXTRACTORS, "extractor", name)


def scorer(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(answer, target, meta, **params) -> {metric: value}``."""
    return _register(_SCORERS, "scorer", name)


def aggregation(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(samples: Sequence[ScoredSample], *, seed, **params) -> TaskScores``."""
    return _register(_AGGREGATIONS, "aggregation", name)


def _lookup(table: dict[str, Part], kind: str, name: str) -> Part:
    _ensure_builtins()
    if name not in table:
        raise ConfigError(f"unknown {kind} {name!r}{did_you_mean(name, table)} (known: {', '.join(sorted(table))})")
    return table[name]


def get_extractor(name: str) -> Part:
    return _lookup(_EXTRACTORS, "extractor", name)


def get_scorer(name: str) -> Part:
    return _lookup(_SCORERS, "scorer", name)


def get_aggregation(name: str) -> Part:
    return _lookup(_AGGREGATIONS, "aggregation", name)


def known(kind: str) -> list[str]:
    _ensure_builtins()
    table = {"extractor": _EXTRACTORS, "scorer": _SCORERS, "aggregation": _AGGREGATIONS}[kind]
    return sorted(table)


def aggregate(name: str, samples: Sequence[ScoredSample], *, seed: int, params: dict[str, Any]) -> TaskScores:
    return get_aggregation(name).fn(samples, seed=seed, **params)


_BUILTINS_LOADED = False


def _ensure_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        from evalkit.scoring import builtin  # noqa: F401  (registers evalkit's parts)
