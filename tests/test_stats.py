"""Confidence intervals and paired comparisons."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evalkit.stats import bootstrap_ci, bootstrap_weights, mean_ci, paired_comparison, weighted_mean


def test_mean_ci_closed_form() -> None:
    value, ci = mean_ci([0.0, 1.0, 1.0, 0.0])
    assert value == 0.5
    se = math.sqrt((4 * 0.25) / 3 / 4)
    assert ci == pytest.approx((0.5 - 1.959963984540054 * se, 0.5 + 1.959963984540054 * se))
    assert mean_ci([1.0]) == (1.0, None)
    assert math.isnan(mean_ci([])[0])


def test_mean_ci_clusters_widen_the_interval_for_paired_samples() -> None:
    rng = np.random.default_rng(0)
    base = rng.random(200).tolist()
    doubled = [v for v in base for _ in range(2)]
    clusters = [i for i in range(200) for _ in range(2)]
    _, naive = mean_ci(doubled)
    _, clustered = mean_ci(doubled, clusters)
    assert naive is not None and clustered is not None
    ratio = (clustered[1] - clustered[0]) / (naive[1] - naive[0])
    assert 1.3 < ratio < 1.5  # about sqrt(2): 200 independent values, not 400


def test_bounded_mean_ci_is_the_wilson_interval() -> None:
    # 8 of 10: the textbook Wilson interval is 0.4902-0.9433; the normal approximation 0.552-1.048
    value, ci = mean_ci([1.0] * 8 + [0.0] * 2, bounds=(0.0, 1.0))
    assert value == 0.8
    assert ci == pytest.approx((0.4902, 0.9433), abs=1e-4)
    # the same scores on a 0-100 scale give the same interval, scaled
    _, percent = mean_ci([100.0] * 8 + [0.0] * 2, bounds=(0.0, 100.0))
    assert percent == pytest.approx((49.02, 94.33), abs=1e-2)


def test_bounded_mean_ci_stays_within_the_bounds_near_and_at_them() -> None:
    nearly = [1.0] * 299 + [0.0]
    _, normal = mean_ci(nearly)
    _, wilson = mean_ci(nearly, bounds=(0.0, 1.0))
    assert normal is not None and normal[1] > 1.0  # what the bounds are for
    assert wilson is not None and 0.98 < wilson[0] < 299 / 300 < wilson[1] < 1.0
    _, perfect = mean_ci([1.0] * 300, bounds=(0.0, 1.0))
    assert perfect == pytest.approx((300 / (300 + 1.959963984540054**2), 1.0))
    # every score at a bound: the effective size is the number of clusters (150 pairs), not 300
    _, perfect_pairs = mean_ci([0.0] * 300, [i // 2 for i in range(300)], bounds=(0.0, 1.0))
    assert perfect_pairs == pytest.approx((0.0, 1.959963984540054**2 / (150 + 1.959963984540054**2)))


def test_bounded_mean_ci_counts_clusters_and_partial_scores() -> None:
    rng = np.random.default_rng(3)
    base = (rng.random(200) < 0.7).astype(float).tolist()
    doubled = [v for v in base for _ in range(2)]
    clusters = [i for i in range(200) for _ in range(2)]
    _, single = mean_ci(base, bounds=(0.0, 1.0))
    _, clustered = mean_ci(doubled, clusters, bounds=(0.0, 1.0))
    assert single is not None and clustered is not None
    assert clustered == pytest.approx(single, rel=1e-2)  # 200 independent images, not 400 answers
    # VQA-style partial credit has less variance than 0/1 scores of the same mean: a narrower interval
    partial = [0.6, 0.9] * 100
    _, partial_ci = mean_ci(partial, bounds=(0.0, 1.0))
    _, binary_ci = mean_ci([1.0] * 150 + [0.0] * 50, bounds=(0.0, 1.0))
    assert partial_ci is not None and binary_ci is not None
    assert partial_ci[1] - partial_ci[0] < (binary_ci[1] - binary_ci[0]) / 2


def test_bounded_mean_ci_coverage_near_a_bound() -> None:
    rng = np.random.default_rng(5)
    covered_wilson = covered_normal = 0
    for _ in range(400):
        sample = (rng.random(60) < 0.97).astype(float).tolist()
        _, wilson = mean_ci(sample, bounds=(0.0, 1.0))
        _, normal = mean_ci(sample)
        covered_wilson += wilson is not None and wilson[0] <= 0.97 <= wilson[1]
        covered_normal += normal is not None and normal[0] <= 0.97 <= normal[1]
    assert covered_wilson / 400 >= 0.9
    assert covered_normal < covered_wilson


def test_bounded_mean_ci_rejects_scores_outside_its_bounds() -> None:
    with pytest.raises(ValueError, match="outside the bounds"):
        mean_ci([0.5, 1.5], bounds=(0.0, 1.0))
    with pytest.raises(ValueError, match="low < high"):
        mean_ci([0.5, 0.5], bounds=(1.0, 1.0))


def test_bootstrap_mean_matches_the_closed_form_and_is_seeded() -> None:
    values = np.random.default_rng(1).binomial(1, 0.3, size=2000).astype(float)
    value, ci = bootstrap_ci(values, seed=7, n_resamples=2000)
    _, closed = mean_ci(values.tolist())
    assert ci is not None and closed is not None
    assert value == pytest.approx(values.mean())
    assert ci[0] == pytest.approx(closed[0], abs=0.004) and ci[1] == pytest.approx(closed[1], abs=0.004)
    assert bootstrap_ci(values, seed=7, n_resamples=2000) == (value, ci)
    assert bootstrap_ci(values, seed=8, n_resamples=2000)[1] != ci


def test_bootstrap_of_a_corpus_statistic() -> None:
    # a ratio of sums, like corpus BLEU's matched / guessed n-grams
    matched = np.array([3.0, 5.0, 0.0, 7.0, 2.0, 4.0])
    guessed = np.array([4.0, 6.0, 3.0, 7.0, 5.0, 4.0])
    value, ci = bootstrap_ci(lambda w: (w @ matched) / (w @ guessed), n_samples=6, seed=0, n_resamples=500)
    assert value == pytest.approx(matched.sum() / guessed.sum())
    assert ci is not None and ci[0] < value < ci[1]


def test_clustered_bootstrap_draws_whole_clusters_within_strata() -> None:
    clusters = ["a", "a", "b", "b", "c", "c", "d", "d"]
    strata = ["x", "x", "x", "x", "y", "y", "y", "y"]
    rng = np.random.default_rng(3)
    for w in bootstrap_weights(8, 50, rng, clusters, strata):
        assert np.array_equal(w[:, 0::2], w[:, 1::2])  # both questions of an image together
        assert np.all(w[:, :4].sum(axis=1) == 4) and np.all(w[:, 4:].sum(axis=1) == 4)  # strata keep size


def test_bootstrap_coverage_is_close_to_nominal() -> None:
    rng = np.random.default_rng(11)
    covered = 0
    for rep in range(120):
        sample = rng.normal(0.0, 1.0, size=60)
        _, ci = bootstrap_ci(sample, seed=rep, n_resamples=300)
        assert ci is not None
        covered += ci[0] <= 0.0 <= ci[1]
    assert 0.86 <= covered / 120 <= 0.99


def test_bootstrap_edge_cases() -> None:
    assert bootstrap_ci([0.5], seed=0) == (0.5, None)
    assert math.isnan(bootstrap_ci([], seed=0)[0])
    assert bootstrap_ci([1.0, 0.0], clusters=["a", "a"], seed=0) == (0.5, None)
    with pytest.raises(ValueError, match="n_samples"):
        bootstrap_ci(weighted_mean([1.0]), seed=0)


def test_paired_comparison_detects_a_real_difference() -> None:
    rng = np.random.default_rng(5)
    a = {f"q{i}": float(v) for i, v in enumerate(rng.binomial(1, 0.5, 400))}
    b = {k: 1.0 if (v == 1.0 or rng.random() < 0.3) else 0.0 for k, v in a.items()}
    result = paired_comparison(a, b, seed=1, n_resamples=2000)
    assert result.n == 400
    assert result.difference == pytest.approx(result.mean_b - result.mean_a)
    assert result.ci95 is not None and result.ci95[0] > 0
    assert result.p_value is not None and result.p_value < 0.001
    assert paired_comparison(a, b, seed=1, n_resamples=2000) == result


def test_paired_comparison_of_identical_runs_and_shared_ids() -> None:
    a = {"x": 1.0, "y": 0.0, "z": 1.0, "only_a": 1.0}
    b = {"x": 1.0, "y": 0.0, "z": 1.0, "only_b": 0.0}
    result = paired_comparison(a, b, seed=0, n_resamples=200)
    assert result.n == 3 and result.difference == 0.0 and result.p_value == 1.0
    assert result.ci95 == (0.0, 0.0)
    with pytest.raises(ValueError, match="share no sample"):
        paired_comparison({"a": 1.0}, {"b": 1.0}, seed=0)


def test_paired_comparison_respects_clusters() -> None:
    # one image drives the whole difference: with clusters, that is one unit, not 20 samples
    a = {f"s{i}": 0.0 for i in range(40)}
    b = {f"s{i}": (1.0 if i < 20 else 0.0) for i in range(40)}
    clusters = {f"s{i}": ("img0" if i < 20 else f"img{i}") for i in range(40)}
    naive = paired_comparison(a, b, seed=0, n_resamples=2000)
    clustered = paired_comparison(a, b, seed=0, n_resamples=2000, clusters=clusters)
    assert naive.p_value is not None and clustered.p_value is not None
    assert naive.p_value < 0.001 < 0.3 < clustered.p_value
    assert set(clustered.as_dict()) == {"n", "mean_a", "mean_b", "difference", "ci95", "p_value", "n_resamples"}
