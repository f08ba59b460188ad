"""TouchStone judging, as OFA-Sys/TouchStone ``eval.py`` asks its judge.

The judge (GPT-4 in the paper; temperature 0, stopped at the first newline) reads the detailed
image description, the question and two answers, and scores both 1-10 on its first line. Every
question is judged twice, in both answer orders: round 1 shows the reference answer
(``gpt4_ha_answer``) as Assistant 1 and the model's answer as Assistant 2, round 2 swaps them. A
round is asked again while the reply does not parse, at most 5 times (``MAX_API_RETRY``); a failed
call counts as one of those tries. The scores are computed by ``evalkit.metrics.touchstone``.

What a judged sample must provide (the TouchStone rows, or ``synth_dialogue``'s, mapped by the
task): the question (``text.question``, else ``meta.question``), the description
(``meta.human_annotation``, else ``text.human_annotation``), the reference answer (``target``,
else ``meta.gpt4_ha_answer``) and its category (``meta.category``, for the per-category means).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evalkit.data.samples import Sample
from evalkit.errors import DataError
from evalkit.metrics.touchstone import MAX_TRIES, parse_judge_reply

SYSTEM_PROMPT = "You are a helpful and precise assistant for checking the quality of the answer."
# The judging instruction, word for word as the official script sends it: the numbers depend on it.
INSTRUCTION = (
    "We would like to request your feedback on the performance of two AI assistants in response to the user "
    "question and image description displayed above. AI assistants are provided with detailed image description "
    "and questions.\nPlease rate the helpfulness, relevance, accuracy, comprehensiveness of their responses. "
    "Each assistant receives an overall score on a scale of 1 to 10, where a higher score indicates better "
    "overall performance.\nPlease first output a single line containing only two values indicating the scores "
    "for Assistant 1 and 2, respectively. The two scores are separated by a space. In the subsequent line, "
    "please provide a comprehensive explanation of your evaluation, avoiding any potential bias and ensuring "
    "that the order in which the responses were presented does not affect your judgment."
)
QUERY_TEMPLATE = (
    "[Detailed Image Description]\n{description}\n\n[Question]\n{question}\n\n"
    "[The Start of Assistant 1's Answer]\n{answer_1}\n\n[The End of Assistant 1's Answer]\n\n"
    "[The Start of Assistant 2's Answer]\n{answer_2}\n\n[The End of Assistant 2's Answer]\n\n"
    "[System]\n{instruction}\n\n"
)


@dataclass(frozen=True)
class JudgeRound:
    """One question put to the judge: ``name`` is the key its replies are stored under."""

    name: str
    messages: list[dict[str, Any]]


def judge_query(description: str, question: str, answer_1: str, answer_2: str) -> str:
    return QUERY_TEMPLATE.format(description=description, question=question, answer_1=answer_1,
                                 answer_2=answer_2, instruction=INSTRUCTION)


def _messages(query: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": query}]


class TouchStoneJudging:
    """Both answer orders of one question, retried until the first line parses."""

    name = "touchstone"
    max_tries = MAX_TRIES
    temperature = 0.0
    stop = ("\n",)

    def rounds(self, sample: Sample, record: dict[str, Any]) -> tuple[JudgeRound, ...]:
        question = _first_text(sample, "question", text_first=True)
        description = _first_text(sample, "human_annotation", text_first=False)
        reference = _reference(sample)
        answer = record.get("output")
        if isinstance(answer, list):  # as the official script takes the first of a list of responses
            answer = answer[0] if answer else ""
        answer = "" if answer is None else str(answer)
        return (
            JudgeRound("round1", _messages(judge_query(description, question, reference, answer))),
            JudgeRound("round2", _messages(judge_query(description, question, answer, reference))),
        )

    def parses(self, reply: str | None) -> bool:
        return parse_judge_reply(reply) is not None


def _first_text(sample: Sample, name: str, *, text_first: bool) -> str:
    places = [("text", sample.text), ("meta", sample.meta)]
    for _, table in places if text_first else reversed(places):
        value = table.get(name)
        if value is not None:
            return str(value)
    raise DataError(
        f"sample {sample.id!r} has no {name!r} for the TouchStone judge; map it in the task's fields "
        f"(fields.text.{name} or fields.meta.{name})"
    )


def _reference(sample: Sample) -> str:
    target = sample.target
    if isinstance(target, list):
        target = target[0] if target else None
    if target is None:
        target = sample.meta.get("gpt4_ha_answer")
    if target is None:
        raise DataError(f"sample {sample.id!r} has no reference answer for the TouchStone judge; map "
                        f"gpt4_ha_answer as the task's fields.target")
    return str(target)
