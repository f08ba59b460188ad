"""Caption metrics (COCO, NoCaps, Flickr30k): BLEU-1..4, METEOR, ROUGE-L, CIDEr and SPICE.

The numbers come from pycocoevalcap's own scorers, fed as ``COCOEvalCap.evaluate`` feeds them
(Qwen-VL ``eval_mm/evaluate_caption.py``); the difference is that captions are PTB-tokenised once
per corpus, and that the per-image statistics are kept so each corpus metric gets a bootstrap CI.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from evalkit.metrics import caption_resample as resample
from evalkit.metrics.caption_java import MeteorJar, ptb_tokenize, spice_unavailable_reason

ImageId = TypeVar("ImageId", bound=Hashable)
CAPTION_METRICS = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr")
SCALE = 100.0


@dataclass(frozen=True)
class CaptionCorpus:
    """A scored caption corpus: the official corpus values (×100) and, per image, what each
    metric needs to be recomputed on a bootstrap resample of the images.

    ``scores`` holds every metric that ran; ``unavailable`` names each one that could not run,
    with the reason (SPICE without its CoreNLP models).
    """

    image_ids: tuple[Hashable, ...]
    scores: dict[str, float]
    per_image: dict[str, np.ndarray]
    unavailable: dict[str, str]
    bleu_stats: np.ndarray = field(repr=False)
    meteor_stats: np.ndarray = field(repr=False)

    def resampled(self, metric: str, w: np.ndarray) -> np.ndarray:
        """``metric`` (×100) for each row of image weights ``w`` (shape ``(resamples, images)``).

        BLEU and METEOR are recomputed from summed statistics, as their corpus values are;
        ROUGE-L, CIDEr and SPICE are means of per-image values. CIDEr keeps the document
        frequencies of the whole corpus: recomputing them on a resample would count an image
        drawn twice as two documents and pull every resample below the corpus value.
        """
        if metric.startswith("Bleu_"):
            return resample.bleu_from_statistics(self.bleu_stats, w)[:, int(metric[-1]) - 1] * SCALE
        if metric == "METEOR":
            return resample.meteor_from_statistics(self.meteor_stats, w) * SCALE
        if metric in self.per_image:
            return resample.mean_from_values(self.per_image[metric], w) * SCALE
        raise ValueError(f"no caption metric {metric!r}; scored here: {', '.join(self.scores)}")


def score_caption_corpus(
    predictions: Mapping[ImageId, str], references: Mapping[ImageId, Sequence[str]]
) -> CaptionCorpus:
    """Tokenise and score a corpus; see ``caption_scores``."""
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    image_ids = _check_corpus(predictions, references)
    # METEOR's JVM takes seconds to load its tables: start it first, and let it score while the
    # Python scorers run (the jar is a separate process, so the two overlap).
    with MeteorJar() as jar, ThreadPoolExecutor(max_workers=1) as pool:
        gts, res = _tokenize(image_ids, predictions, references)
        meteor_job = pool.submit(_meteor, jar, gts, res)
        bleu, bleu_stats = _bleu(gts, res)
        scores = {f"Bleu_{k + 1}": value * SCALE for k, value in enumerate(bleu)}
        per_image: dict[str, np.ndarray] = {}
        for name, scorer in (("ROUGE_L", Rouge()), ("CIDEr", Cider())):
            corpus_value, values = scorer.compute_score(gts, res)
            scores[name] = float(corpus_value) * SCALE
            per_image[name] = np.asarray(values, dtype=np.float64)
        meteor, meteor_stats = meteor_job.result()
    scores["METEOR"] = meteor * SCALE

    spice, unavailable = score_spice(gts, res)
    if spice is not None:
        scores["SPICE"] = float(np.mean(spice)) * SCALE
        per_image["SPICE"] = spice
    return CaptionCorpus(image_ids, scores, per_image, unavailable, bleu_stats, meteor_stats)


def caption_scores(
    predictions: Mapping[ImageId, str], references: Mapping[ImageId, Sequence[str]]
) -> dict[str, Any]:
    """Corpus caption metrics ×100 under the keys ``Bleu_1``..``Bleu_4``, ``METEOR``, ``ROUGE_L``,
    ``CIDEr`` (and ``SPICE`` when it can run), plus ``unavailable``: ``{metric: reason}``.

    Reproduces pycocoevalcap 1.2 ``COCOEvalCap.evaluate`` as Qwen-VL's
    ``eval_mm/evaluate_caption.py`` calls it: Stanford PTB tokenisation (lower-cased, punctuation
    tokens dropped), then ``Bleu(4)`` (corpus BLEU, "closest" reference length), ``Meteor``
    (meteor-1.5, the jar's corpus score), ``Rouge`` (ROUGE-L, β = 1.2, mean over images) and
    ``Cider`` (CIDEr-D, σ = 6, document frequencies from this corpus's references, mean over
    images). Quirk kept: CIDEr per image depends on the whole corpus, so score a corpus at once.
    SPICE runs only when its Stanford CoreNLP models are installed; otherwise ``unavailable``
    says why. Needs Java. Every image must have a prediction and at least one reference.
    """
    corpus = score_caption_corpus(predictions, references)
    return {**corpus.scores, "unavailable": dict(corpus.unavailable)}


def _check_corpus(
    predictions: Mapping[ImageId, str], references: Mapping[ImageId, Sequence[str]]
) -> tuple[ImageId, ...]:
    missing = [i for i in references if i not in predictions]
    extra = [i for i in predictions if i not in references]
    if missing or extra:
        raise ValueError(
            f"caption predictions and references must cover the same images: {len(missing)} image(s) have no "
            f"prediction (e.g. {missing[:3]!r}) and {len(extra)} prediction(s) have no references (e.g. {extra[:3]!r})"
        )
    if not references:
        raise ValueError("caption_scores needs at least one image")
    empty = [i for i, refs in references.items() if isinstance(refs, str) or len(refs) == 0]
    if empty:
        raise ValueError(
            f"each image needs a list of one or more reference captions; {len(empty)} do not (e.g. {empty[:3]!r})"
        )
    return tuple(references)


def _tokenize(
    image_ids: tuple[ImageId, ...], predictions: Mapping[ImageId, str], references: Mapping[ImageId, Sequence[str]]
) -> tuple[dict[ImageId, list[str]], dict[ImageId, list[str]]]:
    """References and predictions PTB-tokenised in one run, as ``{image: [captions]}``."""
    ref_lists = [list(references[i]) for i in image_ids]
    flat_refs = [ref for refs in ref_lists for ref in refs]
    tokens = ptb_tokenize(flat_refs + [str(predictions[i]) for i in image_ids])
    gts: dict[ImageId, list[str]] = {}
    position = 0
    for image_id, refs in zip(image_ids, ref_lists):
        gts[image_id] = tokens[position : position + len(refs)]
        position += len(refs)
    res = {image_id: [tokens[position + k]] for k, image_id in enumerate(image_ids)}
    return gts, res


def _bleu(gts: Mapping[Any, list[str]], res: Mapping[Any, list[str]]) -> tuple[list[float], np.ndarray]:
    from pycocoevalcap.bleu.bleu_scorer import BleuScorer

    # What Bleu(4).compute_score does, without its verbose printing, keeping the scorer's per-image
    # statistics for the bootstrap.
    scorer = BleuScorer(n=4)
    for image_id in gts:
        scorer += (res[image_id][0], gts[image_id])
    corpus, _per_image = scorer.compute_score(option="closest", verbose=0)
    stats = resample.bleu_statistics(
        [c["testlen"] for c in scorer.ctest],
        [c["reflen"] for c in scorer.ctest],
        [c["guess"] for c in scorer.ctest],
        [c["correct"] for c in scorer.ctest],
    )
    return [float(v) for v in corpus], stats


def _meteor(jar: MeteorJar, gts: Mapping[Any, list[str]], res: Mapping[Any, list[str]]) -> tuple[float, np.ndarray]:
    lines = [jar.stats(res[image_id][0], gts[image_id]) for image_id in gts]
    _per_image, corpus = jar.evaluate(lines)
    return corpus, resample.meteor_statistics(lines)


def score_spice(
    gts: Mapping[Any, list[str]], res: Mapping[Any, list[str]]
) -> tuple[np.ndarray | None, dict[str, str]]:
    """Per-image SPICE F-scores in ``gts`` order, or ``None`` and ``{"SPICE": why not}``.

    SPICE runs only when its Stanford CoreNLP models are installed, and a failure of its JVM is
    reported the same way rather than losing the other metrics.
    """
    reason = spice_unavailable_reason()
    if reason is not None:
        return None, {"SPICE": reason}
    try:
        values = _spice(gts, res)
    except Exception as exc:  # e.g. SPICE's JVM asks for 8 GB; the reason is reported, not hidden
        return None, {"SPICE": f"SPICE failed: {type(exc).__name__}: {exc}"}
    return values, {}


def _spice(gts: Mapping[Any, list[str]], res: Mapping[Any, list[str]]) -> np.ndarray:
    from pycocoevalcap.spice.spice import Spice

    _corpus, per_image = Spice().compute_score(gts, res)
    # Spice scores the images in sorted id order; its corpus value is the mean of these.
    by_id = {image_id: item["All"]["f"] for image_id, item in zip(sorted(gts), per_image)}
    return np.asarray([by_id[image_id] for image_id in gts], dtype=np.float64)
