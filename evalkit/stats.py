"""Confidence intervals for every aggregate evalkit reports."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

_Z95 = 1.959963984540054


def mean_ci(
    values: Sequence[float], clusters: Sequence[Hashable] | None = None
) -> tuple[float, tuple[float, float] | None]:
    """Mean of per-sample scores with a closed-form 95% CI (normal approximation).

    With ``clusters`` (e.g. the image each sample belongs to), the standard error is the
    cluster-robust one, so samples that share an image are not counted as independent.
    The CI is ``None`` for fewer than two samples (or clusters).
    """
    n = len(values)
    if n == 0:
        return math.nan, None
    mean = math.fsum(values) / n
    if clusters is None:
        if n < 2:
            return mean, None
        var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
        se = math.sqrt(var / n)
    else:
        if len(clusters) != n:
            raise ValueError("clusters must have one entry per value")
        sums: dict[Hashable, float] = {}
        for v, c in zip(values, clusters):
            sums[c] = sums.get(c, 0.0) + (v - mean)
        g = len(sums)
        if g < 2:
            return mean, None
        se = math.sqrt(g / (g - 1) * math.fsum(s * s for s in sums.values())) / n
    return mean, (mean - _Z95 * se, mean + _Z95 * se)
