"""Training sequences from the synthetic train splits, built through the tasks' own prompts.

A training example goes the way an evaluation sample goes: the generator's rows are turned into
samples by the task's field mapping, the prompt is built from the task's protocol template for the
``qwen-vl`` family and rendered by the Qwen-VL prompt code; only the answer is appended. So the
model is trained on exactly the text it is evaluated on. The answer is:

* a choice task: the protocol's continuation of the right letter (``" A"``), scored by likelihood;
* a list of reference answers (VQA's ten, a caption's five): the most frequent, ties to the first;
* a grounding target: Qwen-VL's ``(x1,y1),(x2,y2)</box>`` on the 0-1000 grid;
* otherwise the target text.

A choice sequence also carries option checks (``TrainingSequence.checks``): at the last token of each
option's text, whether that option is the right one, as a token of `` yes`` or `` no``
(``check_tokens``). Training may ask the LM head for them there (``--option-check-weight``), so that
the model learns to judge each option as it reads it, the way it answers an MME question about a
claim, rather than only to find the option that says what it already knows. Nothing is read at a
prompt token at evaluation.

A generated answer ends with the stop token the prompt style expects: ``<|endoftext|>`` after a raw
prompt, ``<|im_end|>`` after a ChatML turn.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evalkit.data.rowset import RowSet
from evalkit.data.samples import Sample, build_samples
from evalkit.errors import DataError
from evalkit.models.qwen_vl.prompt import render_prompt
from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
from evalkit.prompts.build import build_prompt, format_options
from evalkit.tasks.spec import LETTERS, PromptSpec, ProtocolSpec, TaskSpec

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

    from evalkit.models.qwen_vl.prompt import RenderedPrompt
    from evalkit.synth import Example

FAMILY = "qwen-vl"


@dataclass(frozen=True)
class TrainingSequence:
    """Prompt ids followed by answer ids; the loss covers ``ids[answer_start:]``. ``subtask`` is the
    sample's subtask (MME category, SEED dimension, VQA answer type), if its task has them."""

    task: str
    ids: tuple[int, ...]
    answer_start: int
    images: tuple["Image", ...]
    subtask: str | None = None
    checks: tuple[tuple[int, int], ...] = ()  # (index into ids, token id): see option_checks


CHECK_WORDS = (" yes", " no")
"""What an option check asks for at an option's last token: right, wrong."""


def _image_bytes(cell: Any) -> Any:
    if isinstance(cell, dict) and cell.get("bytes"):
        return cell["bytes"]
    raise DataError(f"a synthetic row's image cell must hold PNG bytes, got {type(cell).__name__}")


def samples_of(spec: TaskSpec, protocol: ProtocolSpec, examples: Iterable["Example"]) -> list[Sample]:
    """The task's samples for generated examples, by its own field mapping (as the loader builds them)."""
    rows = [row for example in examples for row in example.with_image()]
    rowset = RowSet(rows, _image_bytes, f"{spec.name} (train split)")
    return build_samples(rowset, protocol.fields or spec.fields, task=spec.name, explode=spec.explode)


def answer_text(sample: Sample, protocol: ProtocolSpec) -> str:
    """The text the model should produce (or, for a choice task, the continuation to make likely)."""
    target = sample.target
    if protocol.output == "choice":
        letter = str(target).strip()
        if letter not in LETTERS[: len(sample.options)]:
            raise DataError(f"sample {sample.id!r}: choice target {target!r} is not one of its option letters")
        return protocol.continuation.replace("{letter}", letter)
    if isinstance(target, dict) and "bbox" in target:
        return qwen_box(target["bbox"], float(target["width"]), float(target["height"]))
    if isinstance(target, (list, tuple)):
        if not target:
            raise DataError(f"sample {sample.id!r} has an empty list of answers")
        return str(Counter(str(t) for t in target).most_common(1)[0][0])
    if target is None:
        raise DataError(f"sample {sample.id!r} has no target to train on")
    return str(target)


def appended_answer(sample: Sample, protocol: ProtocolSpec, prompt_text: str) -> str:
    """The answer text exactly as a training sequence appends it to ``prompt_text`` (the rendered
    prompt): a raw prompt ending in a word gets a space before a generated answer, as it would be
    written; a choice continuation carries its own spacing. The vocabulary is learned from these."""
    answer = answer_text(sample, protocol)
    if protocol.output == "choice":
        return answer
    if protocol.prompt_for(FAMILY).style == "raw" and prompt_text and not prompt_text[-1].isspace() \
            and not prompt_text.endswith(">"):
        return " " + answer
    return answer


def qwen_box(bbox: Any, width: float, height: float) -> str:
    """``(x1,y1),(x2,y2)</box>``: pixel corners on Qwen-VL's 0-1000 grid, as its training data writes them."""
    x1, y1, x2, y2 = (float(v) for v in bbox)
    grid = [round(x1 / width * 1000), round(y1 / height * 1000), round(x2 / width * 1000), round(y2 / height * 1000)]
    g = [min(1000, max(0, v)) for v in grid]
    return f"({g[0]},{g[1]}),({g[2]},{g[3]})</box>"


def option_ends(rendered: "RenderedPrompt", options: Sequence[str], prompt_spec: PromptSpec,
                tokenizer: QwenTokenizer) -> list[int]:
    """The index in ``rendered.ids`` of the token that ends each option's text, found where the
    prompt's formatted option list (``format_options``) lies after its last image."""
    ids = list(rendered.ids)
    start = len(ids) - ids[::-1].index(tokenizer.img_end_id) if tokenizer.img_end_id in ids else 0
    pieces = [tokenizer.decode([i]) for i in ids[start:]]
    text = "".join(pieces)
    if not rendered.text.endswith(text):
        raise DataError(f"the prompt's tokens after its image do not decode to its text ({text[:60]!r}...)")
    listed = format_options(options, prompt_spec)
    at = text.rfind(listed)
    if at < 0:
        raise DataError(f"the prompt does not hold its formatted options {listed[:60]!r}")
    ends: list[int] = []  # one past each option's last character
    for i, option in enumerate(options):
        entry = prompt_spec.option_format.replace("{letter}", LETTERS[i]).replace("{text}", option)
        ends.append(at + entry.rindex(option) + len(option))
        at += len(entry) + len(prompt_spec.option_separator)  # as format_options joins them
    out, consumed, token = [], 0, 0
    for end in ends:
        while consumed + len(pieces[token]) < end:
            consumed += len(pieces[token])
            token += 1
        out.append(start + token)
    return out


def check_tokens(tokenizer: QwenTokenizer) -> tuple[int, int]:
    """The tokens an option check asks for (right, wrong): those of ``CHECK_WORDS`` at the first place
    their encodings differ (the words themselves with a vocabulary that has them whole)."""
    yes, no = (tokenizer.encode(word) for word in CHECK_WORDS)
    for a, b in zip(yes, no):
        if a != b:
            return a, b
    raise DataError(f"the vocabulary encodes {CHECK_WORDS[0]!r} and {CHECK_WORDS[1]!r} alike; option checks need "
                    "them apart")


def option_checks(rendered: "RenderedPrompt", sample: Sample, protocol: ProtocolSpec,
                  tokenizer: QwenTokenizer) -> tuple[tuple[int, int], ...]:
    """Each option's check: at its last token, the right token of ``check_tokens`` if it is the answer,
    else the wrong one."""
    yes, no = check_tokens(tokenizer)
    right = LETTERS.index(str(sample.target).strip())
    ends = option_ends(rendered, sample.options, protocol.prompt_for(FAMILY), tokenizer)
    return tuple((end, yes if i == right else no) for i, end in enumerate(ends))


def training_sequences(
    spec: TaskSpec, protocol: ProtocolSpec, tokenizer: QwenTokenizer, examples: Iterable["Example"]
) -> list[TrainingSequence]:
    """One sequence per sample of the generated examples."""
    out = []
    prompt_spec = protocol.prompt_for(FAMILY)
    for sample in samples_of(spec, protocol, examples):
        prompt = build_prompt(sample, protocol, FAMILY)
        rendered = render_prompt(prompt, tokenizer)
        answer_ids = tokenizer.encode(appended_answer(sample, protocol, rendered.text))
        if protocol.output != "choice":
            answer_ids.append(tokenizer.eod_id if prompt_spec.style == "raw" else tokenizer.im_end_id)
        images = tuple(image.load() for image in rendered.images)
        checks = option_checks(rendered, sample, protocol, tokenizer) if protocol.output == "choice" else ()
        out.append(TrainingSequence(spec.name, rendered.ids + tuple(answer_ids), len(rendered.ids), images,
                                    sample.meta.get("subtask"), checks))
    return out
