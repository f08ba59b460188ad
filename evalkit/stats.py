"""Confidence intervals for every aggregate evalkit reports, and paired comparisons of two runs.

- ``mean_ci``: closed form, for means of per-sample scores (cluster-robust when samples pair up;
  a Wilson interval when the scores are bounded, such as accuracies).
- ``bootstrap_ci`` / ``bootstrap_cis``: seeded percentile bootstrap for any statistic (or several
  over the same resamples), optionally resampling whole clusters (the image several questions
  share) within strata (MME's subtasks).
- ``paired_comparison``: two runs over their shared samples: the difference, its bootstrap CI and
  a sign-flip permutation p-value.

Everything is vectorised with numpy: a statistic receives a whole block of resamples at once, as a
matrix of sample weights (how often each sample is drawn).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

_Z95 = 1.959963984540054
# Resamples are drawn in blocks of at most this many weights, to bound memory.
_BLOCK_ELEMENTS = 4_000_000

# statistic(weights) -> values: ``weights`` has shape (resamples, samples); one value per row.
WeightedStatistic = Callable[[np.ndarray], np.ndarray]


def mean_ci(
    values: Sequence[float],
    clusters: Sequence[Hashable] | None = None,
    *,
    bounds: tuple[float, float] | None = None,
) -> tuple[float, tuple[float, float] | None]:
    """Mean of per-sample scores with a closed-form 95% CI.

    With ``clusters`` (e.g. the image each sample belongs to), the standard error is the
    cluster-robust one, so samples that share an image are not counted as independent.

    Without ``bounds`` the CI is the normal approximation, mean ± 1.96 standard errors. With
    ``bounds=(low, high)``, the range every score lies in (accuracies: ``(0, 1)``), it is the
    Wilson score interval at the effective sample size, ``p(1 - p) / se²`` for the mean ``p``
    rescaled to [0, 1] (the design effect of clusters and of scores between the bounds included;
    for independent 0/1 scores exactly the textbook Wilson interval). It stays within the bounds
    and does not collapse to a point when every score is at a bound (then the effective size is the
    number of clusters). A score outside the bounds raises ``ValueError``.
    The CI is ``None`` for fewer than two samples (or clusters).
    """
    n = len(values)
    if n == 0:
        return math.nan, None
    if clusters is not None and len(clusters) != n:
        raise ValueError("clusters must have one entry per value")
    if bounds is not None:
        low, high = bounds
        if not low < high:
            raise ValueError(f"bounds must be (low, high) with low < high, got {bounds!r}")
        outside = next((v for v in values if not low <= v <= high), None)
        if outside is not None:
            raise ValueError(f"score {outside!r} lies outside the bounds [{low}, {high}] the interval assumes")
    mean = math.fsum(values) / n
    if clusters is None:
        if n < 2:
            return mean, None
        groups = n
        # bounded scores: the variance of 0/1 scores is then exactly p(1 - p), as Wilson assumes
        var = math.fsum((v - mean) ** 2 for v in values) / (n if bounds is not None else n - 1)
        se = math.sqrt(var / n)
    else:
        sums: dict[Hashable, float] = {}
        for v, c in zip(values, clusters):
            sums[c] = sums.get(c, 0.0) + (v - mean)
        groups = len(sums)
        if groups < 2:
            return mean, None
        se = math.sqrt(groups / (groups - 1) * math.fsum(s * s for s in sums.values())) / n
    if bounds is None:
        return mean, (mean - _Z95 * se, mean + _Z95 * se)
    low, high = bounds
    width = high - low
    p = (mean - low) / width
    se /= width
    if p <= 0.0 or p >= 1.0:
        effective = float(groups)
    elif se == 0.0:
        effective = float(n)
    else:
        effective = p * (1 - p) / (se * se)
    p_low, p_high = wilson_interval(p, effective)
    return mean, (low + width * p_low, low + width * p_high)


def wilson_interval(p: float, n: float, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval for a proportion ``p`` observed on ``n`` (possibly effective,
    fractional) trials."""
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def weighted_mean(values: Sequence[float] | np.ndarray) -> WeightedStatistic:
    """The statistic "mean of these per-sample values" for ``bootstrap_ci``."""
    array = np.asarray(values, dtype=np.float64)
    return lambda w: (w @ array) / w.sum(axis=1)


def _codes(labels: Sequence[Hashable]) -> tuple[np.ndarray, int]:
    index: dict[Hashable, int] = {}
    codes = np.fromiter((index.setdefault(label, len(index)) for label in labels), dtype=np.int64, count=len(labels))
    return codes, len(index)


def bootstrap_weights(
    n_samples: int,
    n_resamples: int,
    rng: np.random.Generator,
    clusters: Sequence[Hashable] | None = None,
    strata: Sequence[Hashable] | None = None,
) -> Iterator[np.ndarray]:
    """Blocks of bootstrap sample weights, shape ``(block, n_samples)``, ``n_resamples`` rows in all.

    Each resample draws clusters with replacement (every sample its own cluster by default),
    separately within each stratum so every stratum keeps its number of clusters; a sample's
    weight is how often its cluster was drawn. Deterministic for a given ``rng`` state.
    """
    cluster_codes, n_clusters = _codes(clusters if clusters is not None else range(n_samples))
    if len(cluster_codes) != n_samples or (strata is not None and len(strata) != n_samples):
        raise ValueError("clusters and strata must have one entry per sample")
    stratum_of_cluster = np.zeros(n_clusters, dtype=np.int64)
    if strata is not None:
        # A cluster that spans strata is split: (stratum, cluster) is the unit drawn.
        pairs = list(zip(strata, cluster_codes.tolist()))
        cluster_codes, n_clusters = _codes(pairs)
        stratum_codes, _ = _codes([s for s, _ in pairs])
        stratum_of_cluster = np.zeros(n_clusters, dtype=np.int64)
        stratum_of_cluster[cluster_codes] = stratum_codes
    groups = [np.flatnonzero(stratum_of_cluster == s) for s in range(int(stratum_of_cluster.max()) + 1)]
    block = max(1, min(n_resamples, _BLOCK_ELEMENTS // max(1, n_samples)))
    done = 0
    while done < n_resamples:
        size = min(block, n_resamples - done)
        counts = np.zeros((size, n_clusters))
        for members in groups:
            m = len(members)
            drawn = rng.integers(0, m, size=(size, m)) + (np.arange(size) * m)[:, None]
            counts[:, members] = np.bincount(drawn.ravel(), minlength=size * m).reshape(size, m)
        yield counts[:, cluster_codes]
        done += size


def bootstrap_ci(
    statistic: WeightedStatistic | Sequence[float] | np.ndarray,
    *,
    seed: int,
    n_samples: int | None = None,
    clusters: Sequence[Hashable] | None = None,
    strata: Sequence[Hashable] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
) -> tuple[float, tuple[float, float] | None]:
    """A statistic and its seeded percentile-bootstrap CI, as ``(value, (low, high))``.

    ``statistic`` is either per-sample values (the statistic is their mean) or a function of a
    weight matrix (see ``WeightedStatistic``; give ``n_samples``), so corpus metrics such as BLEU
    are recomputed on each resample from summed statistics. ``clusters`` resamples whole clusters
    (all questions on one image), ``strata`` resamples within each stratum. The value is the
    statistic at all-ones weights; the CI is ``None`` with fewer than two clusters or when no
    resample gives a finite value. The same ``seed`` always gives the same interval.
    """
    if not callable(statistic):
        n_samples = len(statistic)
        statistic = weighted_mean(statistic)
    if n_samples is None:
        raise ValueError("bootstrap_ci needs n_samples when the statistic is a function")
    fn = statistic
    return bootstrap_cis(
        lambda w: np.asarray(fn(w))[:, None], n_samples=n_samples, seed=seed, clusters=clusters,
        strata=strata, n_resamples=n_resamples, confidence=confidence,
    )[0]


def bootstrap_cis(
    statistics: Callable[[np.ndarray], np.ndarray],
    *,
    n_samples: int,
    seed: int,
    clusters: Sequence[Hashable] | None = None,
    strata: Sequence[Hashable] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
) -> list[tuple[float, tuple[float, float] | None]]:
    """``bootstrap_ci`` for several statistics over the same resamples: ``statistics(weights)``
    returns shape ``(resamples, k)``; the result has one ``(value, ci)`` per column."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if n_samples == 0:
        return [(math.nan, None)]
    with np.errstate(all="ignore"):
        values = np.asarray(statistics(np.ones((1, n_samples))), dtype=np.float64)[0]
    n_units = len(set(clusters)) if clusters is not None else n_samples
    if n_units < 2 or n_resamples < 1:
        return [(float(v), None) for v in values]
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        draws = np.concatenate(
            [
                np.asarray(statistics(w), dtype=np.float64)
                for w in bootstrap_weights(n_samples, n_resamples, rng, clusters, strata)
            ]
        )
    tail = (1 - confidence) / 2
    out: list[tuple[float, tuple[float, float] | None]] = []
    for value, column in zip(values, draws.T):
        finite = column[np.isfinite(column)]
        if len(finite) == 0:
            out.append((float(value), None))
            continue
        low, high = np.quantile(finite, [tail, 1 - tail])
        out.append((float(value), (float(low), float(high))))
    return out


@dataclass(frozen=True)
class PairedComparison:
    """Run B against run A over their shared samples; ``difference`` is ``mean_b - mean_a``.

    ``ci95`` is a paired (cluster) bootstrap percentile interval of the difference; ``p_value`` is
    the two-sided sign-flip permutation test of "no difference" on the per-cluster differences.
    """

    n: int
    mean_a: float
    mean_b: float
    difference: float
    ci95: tuple[float, float] | None
    p_value: float | None
    n_resamples: int

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "mean_a": self.mean_a,
            "mean_b": self.mean_b,
            "difference": self.difference,
            "ci95": list(self.ci95) if self.ci95 is not None else None,
            "p_value": self.p_value,
            "n_resamples": self.n_resamples,
        }


def paired_comparison(
    scores_a: Mapping[str, float],
    scores_b: Mapping[str, float],
    *,
    seed: int,
    clusters: Mapping[str, Hashable] | None = None,
    n_resamples: int = 10_000,
    confidence: float = 0.95,
) -> PairedComparison:
    """Compare two runs' per-sample scores over the sample ids both have.

    ``clusters`` maps a sample id to the unit that is resampled and sign-flipped as a whole (the
    image MME's two questions share); by default each sample is its own unit. Seeded: the same
    inputs and seed give the same CI and p-value. Raises ``ValueError`` when the runs share no
    sample.
    """
    shared = [sample_id for sample_id in scores_a if sample_id in scores_b]
    if not shared:
        raise ValueError("the two runs share no sample id; compare runs of the same task and data")
    a = np.asarray([scores_a[i] for i in shared], dtype=np.float64)
    b = np.asarray([scores_b[i] for i in shared], dtype=np.float64)
    units = [clusters.get(i, i) for i in shared] if clusters is not None else None
    n = len(shared)
    difference = float(b.mean() - a.mean())
    _, ci = bootstrap_ci(b - a, seed=seed, clusters=units, n_resamples=n_resamples, confidence=confidence)
    p_value = _sign_flip_p_value(b - a, units, n_resamples, np.random.default_rng([seed, 1]))
    return PairedComparison(n, float(a.mean()), float(b.mean()), difference, ci, p_value, n_resamples)


def _sign_flip_p_value(
    differences: np.ndarray, units: Sequence[Hashable] | None, n_resamples: int, rng: np.random.Generator
) -> float | None:
    codes, n_units = _codes(units if units is not None else range(len(differences)))
    unit_sums = np.bincount(codes, weights=differences, minlength=n_units)
    if n_units < 2 or n_resamples < 1:
        return None
    observed = abs(unit_sums.sum())
    tolerance = 1e-9 * max(1.0, float(np.abs(unit_sums).sum()))
    as_extreme = 0
    block = max(1, min(n_resamples, _BLOCK_ELEMENTS // n_units))
    done = 0
    while done < n_resamples:
        size = min(block, n_resamples - done)
        signs = rng.integers(0, 2, size=(size, n_units)) * 2 - 1
        as_extreme += int(np.count_nonzero(np.abs(signs @ unit_sums) >= observed - tolerance))
        done += size
    return (as_extreme + 1) / (n_resamples + 1)
