"""VQA accuracy (VQAv2, OK-VQA, TextVQA, VizWiz), as the official VQA evaluation computes it.

Reproduces ``VQAEval.evaluate`` of the VQA evaluation code (GT-Vision-Lab/VQA
``PythonEvaluationTools/vqaEvaluation/vqaEval.py``; the Python 3 copy Qwen-VL scores with is
``eval_mm/vqa_eval.py``), quirks included; each quirk is named where it is kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

# The contraction table of the official code, written as "key value" pairs. Its capitalised keys
# ("Im", "Ive", "Id've") can never match, because the text is lower-cased first; kept as is.
_CONTRACTION_PAIRS = """
aint ain't  arent aren't  cant can't  couldve could've  couldnt couldn't
couldn'tve couldn't've  couldnt've couldn't've  didnt didn't  doesnt doesn't  dont don't
hadnt hadn't  hadnt've hadn't've  hadn'tve hadn't've  hasnt hasn't  havent haven't  hed he'd
hed've he'd've  he'dve he'd've  hes he's  howd how'd  howll how'll  hows how's  Id've I'd've
I'dve I'd've  Im I'm  Ive I've  isnt isn't  itd it'd  itd've it'd've  it'dve it'd've
itll it'll  let's let's  maam ma'am  mightnt mightn't  mightnt've mightn't've
mightn'tve mightn't've  mightve might've  mustnt mustn't  mustve must've  neednt needn't
notve not've  oclock o'clock  oughtnt oughtn't  ow's'at 'ow's'at  'ows'at 'ow's'at
'ow'sat 'ow's'at  shant shan't  shed've she'd've  she'dve she'd've  she's she's
shouldve should've  shouldnt shouldn't  shouldnt've shouldn't've  shouldn'tve shouldn't've
somebody'd somebodyd  somebodyd've somebody'd've  somebody'dve somebody'd've
somebodyll somebody'll  somebodys somebody's  someoned someone'd  someoned've someone'd've
someone'dve someone'd've  someonell someone'll  someones someone's  somethingd something'd
somethingd've something'd've  something'dve something'd've  somethingll something'll
thats that's  thered there'd  thered've there'd've  there'dve there'd've  therere there're
theres there's  theyd they'd  theyd've they'd've  they'dve they'd've  theyll they'll
theyre they're  theyve they've  twas 'twas  wasnt wasn't  wed've we'd've  we'dve we'd've
weve we've  werent weren't  whatll what'll  whatre what're  whats what's  whatve what've
whens when's  whered where'd  wheres where's  whereve where've  whod who'd  whod've who'd've
who'dve who'd've  wholl who'll  whos who's  whove who've  whyll why'll  whyre why're
whys why's  wont won't  wouldve would've  wouldnt wouldn't  wouldnt've wouldn't've
wouldn'tve wouldn't've  yall y'all  yall'll y'all'll  y'allll y'all'll  yall'd've y'all'd've
y'alld've y'all'd've  y'all'dve y'all'd've  youd you'd  youd've you'd've  you'dve you'd've
youll you'll  youre you're  youve you've
"""
_TOKENS = _CONTRACTION_PAIRS.split()
CONTRACTIONS: dict[str, str] = dict(zip(_TOKENS[0::2], _TOKENS[1::2]))

NUMBER_WORDS: dict[str, str] = {
    "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
}  # fmt: skip
ARTICLES = frozenset({"a", "an", "the"})

# The punctuation the official code handles; ' : % $ # & * ~ | are never touched.
PUNCTUATION = ";/[]\"{}()=+\\_-><@`,?!"
_ANY_PUNCTUATION = re.compile("[" + re.escape(PUNCTUATION) + "]")
_DIGIT_COMMA_DIGIT = re.compile(r"(\d)(,)(\d)")
# The official pattern is ``(?!<=\d)(\.)(?!\d)``: ``(?!<=`` is a typo for a lookbehind and, in front
# of a '.', always succeeds, so the rule is "a '.' not followed by a digit".
_PERIOD_NOT_BEFORE_DIGIT = re.compile(r"\.(?!\d)")
# ``periodStrip.sub('', text, re.UNICODE)`` passes re.UNICODE (32) as the *count*.
_PERIOD_COUNT = 32


@lru_cache(maxsize=1 << 16)
def vqa_process_punctuation(text: str) -> str:
    """The official ``processPunctuation``.

    Each punctuation character is deleted when the *original* text has it next to a space or has
    a digit-comma-digit anywhere, otherwise replaced by a space; then the first 32 periods not
    followed by a digit are removed.
    """
    if _ANY_PUNCTUATION.search(text) is not None:
        delete_all = _DIGIT_COMMA_DIGIT.search(text) is not None
        table = {
            ord(p): "" if delete_all or p + " " in text or " " + p in text else " "
            for p in PUNCTUATION
            if p in text
        }
        text = text.translate(table)
    return _PERIOD_NOT_BEFORE_DIGIT.sub("", text, count=_PERIOD_COUNT)


def vqa_process_digit_article(text: str) -> str:
    """The official ``processDigitArticle``: lower-case, number words to digits, articles dropped,
    contractions repaired, words joined by single spaces."""
    words = []
    for word in text.lower().split():
        word = NUMBER_WORDS.get(word, word)
        if word not in ARTICLES:
            words.append(CONTRACTIONS.get(word, word))
    return " ".join(words)


@lru_cache(maxsize=1 << 16)
def vqa_normalize_prediction(prediction: str) -> str:
    """The model answer as the official code compares it: newlines and tabs to spaces, strip,
    punctuation, then digits and articles."""
    text = prediction.replace("\n", " ").replace("\t", " ").strip()
    return vqa_process_digit_article(vqa_process_punctuation(text))


def vqa_normalize_answers(answers: Sequence[str]) -> list[str]:
    """The ground-truth answers as the official code compares them.

    Quirk kept: they are never lower-cased, stripped or digit-mapped, and get the punctuation step
    only when the answers are not all identical, so a lone ``"yes."`` can never match.
    """
    if len(set(answers)) > 1:
        return [vqa_process_punctuation(a) for a in answers]
    return list(answers)


def vqa_accuracy(prediction: str, answers: Sequence[str]) -> float:
    """VQA accuracy of one answer against the (usually 10) human answers, in [0, 1].

    For each human answer, ``min(1, matches among the others / 3)``; the mean over all of them,
    summed in answer order as ``VQAEval.evaluate`` does (official VQA evaluation code, see the
    module docstring). Raises ``ValueError`` when there is no reference answer.
    """
    if len(answers) == 0:
        raise ValueError("vqa_accuracy needs at least one reference answer; the sample has none")
    pred = vqa_normalize_prediction(prediction)
    matches = tuple(gt == pred for gt in vqa_normalize_answers(answers))
    return _leave_one_out_mean(matches)


@lru_cache(maxsize=4096)
def _leave_one_out_mean(matches: tuple[bool, ...]) -> float:
    n_match = sum(matches)
    total = 0.0
    for is_match in matches:
        total += min(1.0, (n_match - is_match) / 3)
    return total / len(matches)
