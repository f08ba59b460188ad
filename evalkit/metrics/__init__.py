"""Scorers that reproduce each benchmark's official implementation (public API).

Every function names, in its docstring, the official code it reproduces and the quirks it keeps.
The modules group them by benchmark family: ``vqa``, ``anls``, ``relaxed``, ``exact``,
``grounding`` (with ``boxes``), ``mme``, ``choice``, ``caption``, ``clip`` and ``touchstone``.
"""

from evalkit.metrics.anls import anls, levenshtein
from evalkit.metrics.boxes import BOX_PARSERS, ParsedBox, get_box_parser, parse_point_pair_box, parse_qwen_vl_box
from evalkit.metrics.caption import CAPTION_METRICS, CaptionCorpus, caption_scores, score_caption_corpus
from evalkit.metrics.choice import choice_from_losses, choice_from_text, mean_target_loss, option_letter
from evalkit.metrics.clip import ClipScorer, clip_score
from evalkit.metrics.exact import exact_match, gqa_accuracy, gqa_clean_answer
from evalkit.metrics.grounding import grounding_score
from evalkit.metrics.mme import mme_parse, mme_scores
from evalkit.metrics.relaxed import relaxed_accuracy, relaxed_correctness
from evalkit.metrics.touchstone import parse_judge_reply, touchstone_score
from evalkit.metrics.vqa import vqa_accuracy, vqa_normalize_answers, vqa_normalize_prediction

__all__ = [
    "BOX_PARSERS",
    "CAPTION_METRICS",
    "CaptionCorpus",
    "ClipScorer",
    "ParsedBox",
    "anls",
    "caption_scores",
    "choice_from_losses",
    "choice_from_text",
    "clip_score",
    "exact_match",
    "get_box_parser",
    "gqa_accuracy",
    "gqa_clean_answer",
    "grounding_score",
    "levenshtein",
    "mean_target_loss",
    "mme_parse",
    "mme_scores",
    "option_letter",
    "parse_judge_reply",
    "parse_point_pair_box",
    "parse_qwen_vl_box",
    "relaxed_accuracy",
    "relaxed_correctness",
    "score_caption_corpus",
    "touchstone_score",
    "vqa_accuracy",
    "vqa_normalize_answers",
    "vqa_normalize_prediction",
]
