"""Property tests: no string makes a parser or scorer raise, and results stay in range."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import metrics
from evalkit.metrics.boxes import BOX_PARSERS
from evalkit.metrics.touchstone import parse_judge_reply

SETTINGS = settings(max_examples=150, deadline=None)
# Free text plus text that looks like what the parsers look for.
PIECES = st.sampled_from(["(", ")", ",", ".", "[", "]", " ", "\n", "-", "e", "1", "999", "nan", "inf", "yes", "no",
                          "A", "B", "answer is", "%", "ß", "\u2028", "\t", "<box>", "1e400", "0"])  # fmt: skip
TEXT = st.one_of(st.text(max_size=60), st.lists(PIECES, max_size=25).map("".join))
ANSWERS = st.lists(TEXT, min_size=1, max_size=10)


@SETTINGS
@given(TEXT)
def test_box_parsers_never_raise(text: str) -> None:
    for parser in BOX_PARSERS.values():
        parsed = parser(text)
        assert parsed is None or len(parsed.coords) == 4


@SETTINGS
@given(TEXT, st.sampled_from(["qwen-vl", "standard"]), st.sampled_from(sorted(BOX_PARSERS)))
def test_grounding_never_raises(text: str, protocol: str, parser: str) -> None:
    box, iou, correct = metrics.grounding_score(text, [10.0, 20.0, 300.0, 400.0], 640, 480, protocol, parser)
    assert len(box) == 4 and isinstance(correct, bool)
    if protocol == "standard":
        assert 0.0 <= iou <= 1.0
    assert correct == (not math.isnan(iou) and iou >= 0.5)


@SETTINGS
@given(TEXT)
def test_yes_no_and_judge_parsers_never_raise(text: str) -> None:
    assert metrics.mme_parse(text) in ("yes", "no", "other")
    parsed = parse_judge_reply(text)
    assert parsed is None or len(parsed) == 2


@SETTINGS
@given(TEXT, st.lists(TEXT, max_size=6))
def test_letter_parser_never_raises(text: str, options: list[str]) -> None:
    index = metrics.choice_from_text(text, options)
    assert index is None or 0 <= index < len(options)


@SETTINGS
@given(TEXT, ANSWERS)
def test_answer_scorers_never_raise_and_stay_in_range(text: str, answers: list[str]) -> None:
    assert 0.0 <= metrics.vqa_accuracy(text, answers) <= 1.0
    score = metrics.anls(text, answers)
    assert score == 0.0 or 0.5 <= score <= 1.0
    for protocol in ("standard", "qwen-vl"):
        assert metrics.relaxed_accuracy(text, answers, protocol) in (0.0, 1.0)
    assert metrics.exact_match(text, answers) in (0.0, 1.0)
    assert metrics.gqa_accuracy(text, answers) in (0.0, 1.0)


@SETTINGS
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=8))
def test_loss_choice_never_raises(losses: list[float]) -> None:
    assert 0 <= metrics.choice_from_losses(losses) < len(losses)


@SETTINGS
@given(TEXT)
def test_an_answer_always_matches_itself(text: str) -> None:
    # a sanity property of each normalisation: a prediction equal to all ten answers scores 1
    # whenever the normalised prediction equals the raw answer (answers are not normalised)
    if metrics.vqa_normalize_prediction(text) == text:
        assert metrics.vqa_accuracy(text, [text] * 10) == 1.0
    assert metrics.exact_match(text, [text]) == 1.0
    assert metrics.anls(text, [text]) == 1.0
