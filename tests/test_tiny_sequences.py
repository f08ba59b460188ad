"""Training sequences are the evaluation prompts plus the answer the scorer wants."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.metrics.grounding import grounding_score
from evalkit.models.qwen_vl.prompt import render_prompt
from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
from evalkit.prompts.build import build_prompt
from evalkit.synth import generate_examples
from evalkit.tasks.registry import get_task
from evalkit.tiny.sequences import answer_text, check_tokens, qwen_box, samples_of, training_sequences
from evalkit.tiny.vocabulary import mergeable_ranks, train_bpe, write_tiktoken


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> QwenTokenizer:
    path = tmp_path_factory.mktemp("vocab") / "qwen.tiktoken"
    write_tiktoken(mergeable_ranks(train_bpe([" Answer: yes no red blue circle"], 40)), path)
    return QwenTokenizer.from_file(path)


@pytest.mark.parametrize("task", ["synth_vqa", "synth_mme", "synth_seed", "synth_refcoco", "synth_caption"])
def test_sequence_is_the_evaluation_prompt_followed_by_the_answer(task: str, tokenizer: QwenTokenizer) -> None:
    spec = get_task(task)
    protocol = spec.protocol("qwen-vl")
    examples = generate_examples(task, "train", 2, seed=5)
    samples = samples_of(spec, protocol, examples)
    sequences = training_sequences(spec, protocol, tokenizer, examples)
    assert len(sequences) == len(samples) > 0
    for sample, sequence in zip(samples, sequences):
        rendered = render_prompt(build_prompt(sample, protocol, "qwen-vl"), tokenizer)
        assert sequence.ids[: sequence.answer_start] == rendered.ids
        answer = tokenizer.decode(sequence.ids[sequence.answer_start :])
        expected = answer_text(sample, protocol)
        if protocol.output == "choice":
            assert answer == expected == f" {sample.target}"
        elif protocol.prompt_for("qwen-vl").style == "chat":
            assert answer == expected + "<|im_end|>"
        else:
            assert answer.strip() == expected + "<|endoftext|>"
        assert len(sequence.images) == rendered.ids.count(tokenizer.img_start_id) == 1


def test_vqa_answer_is_the_most_frequent_annotator_answer() -> None:
    spec = get_task("synth_vqa")
    protocol = spec.protocol("qwen-vl")
    (sample, *_) = samples_of(spec, protocol, generate_examples("synth_vqa", "train", 1, seed=3))
    answers = list(sample.target)
    assert answer_text(sample, protocol) == max(answers, key=answers.count)


def test_box_target_scores_as_a_hit_under_both_grounding_protocols() -> None:
    text = qwen_box([10, 20, 40, 60], width=80, height=64)
    assert text == "(125,312),(500,938)</box>"
    for protocol in ("qwen-vl", "standard"):
        _, iou, hit = grounding_score(text.removesuffix("</box>"), [10, 20, 40, 60], 80, 64,
                                      protocol=protocol, parser="qwen-vl")
        assert hit and iou > 0.97


def test_choice_target_must_be_an_option_letter(tmp_path: Path) -> None:
    spec = get_task("synth_seed")
    protocol = spec.protocol("qwen-vl")
    (sample, *_) = samples_of(spec, protocol, generate_examples("synth_seed", "train", 1, seed=1))
    broken = type(sample)(sample.id, sample.index, sample.images, sample.text, sample.options, "E", sample.meta)
    with pytest.raises(Exception, match="not one of its option letters"):
        answer_text(broken, protocol)


def test_option_checks_sit_at_each_options_last_token_and_say_which_is_right(tokenizer: QwenTokenizer) -> None:
    spec = get_task("synth_seed")
    protocol = spec.protocol("qwen-vl")
    examples = generate_examples("synth_seed", "train", 4, seed=2)
    yes, no = check_tokens(tokenizer)
    assert (yes, no) == (tokenizer.encode(" yes")[1], tokenizer.encode(" no")[1])  # " " is their shared first token
    for sample, sequence in zip(samples_of(spec, protocol, examples), training_sequences(spec, protocol, tokenizer,
                                                                                        examples)):
        assert len(sequence.checks) == len(sample.options) == 4
        after_image = sequence.ids.index(tokenizer.img_end_id) + 1
        for letter, option, (index, token) in zip("ABCD", sample.options, sequence.checks):
            assert after_image < index < sequence.answer_start
            through = tokenizer.decode(sequence.ids[after_image : index + 1])
            assert f"{letter}. {option}" in through  # the option has been read by its check's token ...
            assert not tokenizer.decode(sequence.ids[after_image:index]).endswith(option)  # ... and not before
            assert token == (yes if letter == sample.target else no)


def test_check_tokens_are_the_words_when_the_vocabulary_has_them_whole(tmp_path: Path) -> None:
    path = tmp_path / "qwen.tiktoken"
    write_tiktoken(mergeable_ranks(train_bpe([" yes no yes no yes no"] * 5, 40)), path)
    words = QwenTokenizer.from_file(path)
    assert [words.encode(" yes"), words.encode(" no")] == [[check_tokens(words)[0]], [check_tokens(words)[1]]]


def test_other_tasks_carry_no_option_checks(tokenizer: QwenTokenizer) -> None:
    spec = get_task("synth_mme")
    protocol = spec.protocol("qwen-vl")
    sequences = training_sequences(spec, protocol, tokenizer, generate_examples("synth_mme", "train", 2, seed=2))
    assert sequences and all(s.checks == () for s in sequences)
