"""Corpus caption metrics recomputed for bootstrap resamples of the images.

Each function takes per-image sufficient statistics and a weight matrix ``w`` of shape
``(resamples, images)`` (how often each image is drawn; all ones is the corpus itself) and returns
one value per resample. At all-ones weights every function reproduces the pycocoevalcap corpus
value it mirrors (the tests check this against the official numbers), so a bootstrap CI is
centred on the reported number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# pycocoevalcap/bleu/bleu_scorer.py: BleuScorer.compute_score's smoothing constants.
_BLEU_TINY = 1e-15
_BLEU_SMALL = 1e-9

# METEOR 1.5, "-l en" default (ranking) task: alpha, beta, gamma, delta and the module weights of
# the exact, stem, synonym and paraphrase stages (edu.cmu.meteor.util.Constants).
_METEOR_ALPHA, _METEOR_BETA, _METEOR_GAMMA, _METEOR_DELTA = 0.85, 0.20, 0.60, 0.75
_METEOR_WEIGHTS = (1.0, 0.6, 0.8, 0.6)
_METEOR_STAGES = 4


def bleu_statistics(test_lengths: Sequence[int], ref_lengths: Sequence[Sequence[int]],
                    guess: Sequence[Sequence[int]], correct: Sequence[Sequence[int]]) -> np.ndarray:
    """Per-image BLEU statistics ``[testlen, closest reflen, guess_1..4, correct_1..4]``.

    The reference length is pycocoevalcap's ``"closest"`` option: the reference length nearest
    to the hypothesis length, the shorter one on ties.
    """
    rows = []
    for testlen, reflens, g, c in zip(test_lengths, ref_lengths, guess, correct):
        closest = min((abs(length - testlen), length) for length in reflens)[1]
        rows.append([testlen, closest, *g, *c])
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), 10)


def bleu_from_statistics(stats: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Corpus BLEU-1..4, shape ``(resamples, 4)``, as ``BleuScorer.compute_score(option="closest")``
    combines the summed statistics (with its tiny smoothing constants and brevity penalty)."""
    totals = w @ stats
    testlen, reflen = totals[:, 0], totals[:, 1]
    guess, correct = totals[:, 2:6], totals[:, 6:10]
    out = np.empty((w.shape[0], 4))
    product = np.ones(w.shape[0])
    for k in range(4):
        product = product * ((correct[:, k] + _BLEU_TINY) / (guess[:, k] + _BLEU_SMALL))
        out[:, k] = product ** (1.0 / (k + 1))
    ratio = (testlen + _BLEU_TINY) / (reflen + _BLEU_SMALL)
    with np.errstate(divide="ignore"):
        penalty = np.where(ratio < 1, np.exp(1 - 1 / ratio), 1.0)
    return out * penalty[:, None]


def meteor_statistics(lines: Sequence[str]) -> np.ndarray:
    """The METEOR jar's per-segment statistics lines as a matrix, one row per image.

    Columns: test length, reference length, test and reference function words, the four stages'
    (test content, reference content, test function, reference function) matches, chunks, test and
    reference word matches; then two derived columns: total test and reference matches.
    """
    rows = np.asarray([[float(v) for v in line.split()] for line in lines], dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != 23:
        raise ValueError("METEOR statistics lines must hold 23 numbers each")
    stages = rows[:, 4:20].reshape(len(rows), _METEOR_STAGES, 4)
    test_total = stages[:, :, 0].sum(axis=1) + stages[:, :, 2].sum(axis=1)
    ref_total = stages[:, :, 1].sum(axis=1) + stages[:, :, 3].sum(axis=1)
    # MeteorStats.addStats leaves out the chunks of a segment that matches its reference exactly.
    exact = (test_total == rows[:, 0]) & (ref_total == rows[:, 1]) & (rows[:, 20] == 1.0)
    rows[exact, 20] = 0.0
    return np.column_stack([rows, test_total, ref_total])


def meteor_from_statistics(stats: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Corpus METEOR, shape ``(resamples,)``: the summed statistics through
    ``MeteorScorer.computeMetrics`` (METEOR 1.5, as the jar's aggregate ``EVAL`` score)."""
    t = w @ stats
    delta = _METEOR_DELTA
    test_len, ref_len, test_func, ref_func = t[:, 0], t[:, 1], t[:, 2], t[:, 3]
    stages = t[:, 4:20].reshape(len(t), _METEOR_STAGES, 4)
    chunks, test_words, ref_words, test_total, ref_total = t[:, 20], t[:, 21], t[:, 22], t[:, 23], t[:, 24]
    test_weighted_len = delta * (test_len - test_func) + (1.0 - delta) * test_func
    ref_weighted_len = delta * (ref_len - ref_func) + (1.0 - delta) * ref_func
    test_matches = np.zeros(len(t))
    ref_matches = np.zeros(len(t))
    for i, weight in enumerate(_METEOR_WEIGHTS):
        test_matches = test_matches + stages[:, i, 0] * weight * delta
    for i, weight in enumerate(_METEOR_WEIGHTS):
        ref_matches = ref_matches + stages[:, i, 1] * weight * delta
    for i, weight in enumerate(_METEOR_WEIGHTS):
        test_matches = test_matches + stages[:, i, 2] * weight * (1.0 - delta)
    for i, weight in enumerate(_METEOR_WEIGHTS):
        ref_matches = ref_matches + stages[:, i, 3] * weight * (1.0 - delta)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = test_matches / test_weighted_len
        recall = ref_matches / ref_weighted_len
        f_mean = 1.0 / (((1.0 - _METEOR_ALPHA) / precision) + (_METEOR_ALPHA / recall))
        perfect = (test_total == test_len) & (ref_total == ref_len) & (chunks == 1)
        frag = np.where(perfect, 0.0, chunks / ((test_words + ref_words) / 2))
        score = f_mean * (1.0 - _METEOR_GAMMA * np.power(frag, _METEOR_BETA))
    return np.where(np.isnan(score), 0.0, np.maximum(score, 0.0))


def mean_from_values(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The mean of per-image values (ROUGE-L, CIDEr, SPICE) over each resample."""
    return (w @ values) / w.sum(axis=1)
