"""Caption metrics against pycocoevalcap's COCOEvalCap on a 50-image corpus (one Java run)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from evalkit import metrics
from evalkit.metrics import caption as caption_module
from evalkit.metrics.caption_java import ptb_tokenize
from evalkit.scoring.aggregations import aggregate_caption
from evalkit.scoring.types import ScoredSample

GOLDEN = json.loads((Path(__file__).parent / "golden" / "caption_metrics.json").read_text())
PREDICTIONS = {c["image_id"]: c["prediction"] for c in GOLDEN["cases"]}
REFERENCES = {c["image_id"]: c["references"] for c in GOLDEN["cases"]}
NAMES = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr")

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="caption metrics need Java")


@pytest.fixture(scope="module")
def corpus() -> metrics.CaptionCorpus:
    return metrics.score_caption_corpus(PREDICTIONS, REFERENCES)


@pytest.fixture
def reuse_corpus(monkeypatch: pytest.MonkeyPatch, corpus: metrics.CaptionCorpus) -> None:
    # caption_scores and the aggregation are thin layers over score_caption_corpus: reuse the one
    # Java run instead of starting METEOR again.
    monkeypatch.setattr(caption_module, "score_caption_corpus", lambda p, r: corpus)
    monkeypatch.setattr(metrics, "score_caption_corpus", lambda p, r: corpus)


def test_corpus_values_match_cocoevalcap(corpus: metrics.CaptionCorpus) -> None:
    for name in NAMES:
        tolerance = 1e-6 if name == "METEOR" else 1e-9
        assert corpus.scores[name] / 100 == pytest.approx(GOLDEN["aggregate"][name], abs=tolerance), name


def test_per_image_values_match(corpus: metrics.CaptionCorpus) -> None:
    for name in ("CIDEr", "ROUGE_L"):
        expected = [c["expected_per_image"][name] for c in GOLDEN["cases"]]
        assert corpus.per_image[name] == pytest.approx(expected, abs=1e-9)
    assert corpus.image_ids == tuple(PREDICTIONS)


def test_resampling_at_unit_weights_reproduces_the_corpus_values(corpus: metrics.CaptionCorpus) -> None:
    ones = np.ones((1, len(PREDICTIONS)))
    for name in NAMES:
        tolerance = 1e-6 if name == "METEOR" else 1e-9
        assert corpus.resampled(name, ones)[0] == pytest.approx(corpus.scores[name], abs=100 * tolerance), name
    # doubling every image leaves ratio-of-sums metrics unchanged
    for name in ("Bleu_4", "METEOR", "CIDEr"):
        assert corpus.resampled(name, 2 * ones)[0] == pytest.approx(corpus.scores[name], abs=1e-7)


def test_caption_scores_keys_and_spice(reuse_corpus: None) -> None:
    scores = metrics.caption_scores(PREDICTIONS, REFERENCES)
    assert set(NAMES) <= set(scores)
    if "SPICE" not in scores:  # its CoreNLP models need a download: reported, never silently dropped
        assert "CoreNLP" in scores["unavailable"]["SPICE"]


def test_aggregation_has_bootstrap_cis(reuse_corpus: None) -> None:
    samples = [
        ScoredSample(id=str(i), output=p, answer=p, target=REFERENCES[i], scores={}, meta={})
        for i, p in PREDICTIONS.items()
    ]
    result = aggregate_caption(samples, seed=3, n_resamples=300)
    assert next(iter(result.metrics)) == "CIDEr"
    for name in NAMES:
        value = result.metrics[name]
        assert value.value == pytest.approx(GOLDEN["aggregate"][name] * 100, abs=1e-4)
        assert value.ci95 is not None and value.ci95[0] < value.value < value.ci95[1]
    assert aggregate_caption(samples, seed=3, n_resamples=300) == result


def test_tokenizer_quirks_and_line_breaks() -> None:
    tokens = ptb_tokenize(["Wow!!! A dog...", "...", "two\rlines", "A cat.\u2028Sleeping", "last"])
    assert tokens == ["wow !!! a dog", "", "two lines", "a cat sleeping", "last"]


def test_every_image_needs_a_prediction_and_references() -> None:
    with pytest.raises(ValueError, match="same images"):
        metrics.caption_scores({1: "a"}, {1: ["a"], 2: ["b"]})
    with pytest.raises(ValueError, match="one or more reference"):
        metrics.caption_scores({1: "a"}, {1: []})


def test_spice_runs_only_when_installed_and_reports_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    gts = {"b": ["a dog"], "a": ["a cat"]}
    res = {"b": ["a dog"], "a": ["a cow"]}
    monkeypatch.setattr(caption_module, "spice_unavailable_reason", lambda: "models missing")
    assert caption_module.score_spice(gts, res) == (None, {"SPICE": "models missing"})

    monkeypatch.setattr(caption_module, "spice_unavailable_reason", lambda: None)

    class FakeSpice:  # pycocoevalcap's Spice answers in sorted image-id order
        def compute_score(self, g: dict, r: dict) -> tuple[float, list[dict]]:
            assert list(g) == ["b", "a"]
            return 0.5, [{"All": {"f": 0.2}}, {"All": {"f": 0.8}}]

    import pycocoevalcap.spice.spice as spice_module

    monkeypatch.setattr(spice_module, "Spice", FakeSpice)
    values, unavailable = caption_module.score_spice(gts, res)
    assert values is not None and values.tolist() == [0.8, 0.2] and unavailable == {}

    def broken() -> None:
        raise OSError("java: cannot reserve 8 GB")

    monkeypatch.setattr(spice_module, "Spice", broken)
    values, unavailable = caption_module.score_spice(gts, res)
    assert values is None and "cannot reserve 8 GB" in unavailable["SPICE"]
