"""Packed training rows give exactly the losses of the sequences one by one; auxiliary questions are true."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import torch

from evalkit.errors import ConfigError
from evalkit.models.qwen_vl.config import QwenVLConfig
from evalkit.models.qwen_vl.network import QwenVLNetwork
from evalkit.models.qwen_vl.tokenizer import IMAGE_SPAN, QwenTokenizer
from evalkit.synth import Example, generate_examples
from evalkit.synth.phrases import NUMBER_WORDS
from evalkit.synth.scene import SHAPES, Scene, Shape, quadrants, relation
from evalkit.synth.seed import describe
from evalkit.tasks.registry import get_task
from evalkit.tiny.architecture import TinyArchitecture
from evalkit.tiny.auxiliary import OPTION_LOOKUPS, AuxiliaryQuestions, choice_facts, facts, with_auxiliary
from evalkit.tiny.batches import BatchStream, Curriculum, collate
from evalkit.tiny.initialization import initialize
from evalkit.tiny.packing import pack, shared_prefix
from evalkit.tiny.sequences import samples_of, training_sequences
from evalkit.tiny.settings import DEFAULT_MIX
from evalkit.tiny.train import answer_objective, packed_losses, sequence_losses
from evalkit.tiny.vocabulary import mergeable_ranks, train_bpe, write_tiktoken

SMALL = TinyArchitecture(hidden_size=128, layers=1, mlp_width=64, vision_width=64, vision_layers=1)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> QwenTokenizer:
    path = tmp_path_factory.mktemp("vocab") / "qwen.tiktoken"
    write_tiktoken(mergeable_ranks(train_bpe([" Answer: yes no red blue circle Is there the"], 60)), path)
    return QwenTokenizer.from_file(path)


def test_packed_losses_equal_the_losses_of_the_sequences_one_by_one(tokenizer: QwenTokenizer) -> None:
    network = QwenVLNetwork(QwenVLConfig.from_dict(SMALL.config_json(tokenizer)))
    initialize(network, 0)
    stream = BatchStream(DEFAULT_MIX, tokenizer, 0, 7, 100, Curriculum(), SMALL.image_size,
                         auxiliary=AuxiliaryQuestions(option_lookups=0))
    groups = stream.groups(5)
    sequences = [s for group in groups for s in group.sequences]
    assert len(sequences) > 2 * len(groups)  # the auxiliary questions are there
    packed = pack(groups, tokenizer.eod_id, SMALL.image_size, tokenizer.img_start_id)
    packed_tokens = 0
    for group in groups:
        prefix = shared_prefix(group.sequences, tokenizer.img_start_id)
        packed_tokens += prefix + sum(len(s.ids) - prefix for s in group.sequences)
    assert packed_tokens < sum(len(s.ids) for s in sequences) / 2
    assert packed.tasks == tuple(s.task for s in sequences)
    with torch.no_grad():
        together, dense, _ = packed_losses(network, packed, bf16=False)
        alone = torch.cat([sequence_losses(network, collate([s], tokenizer.eod_id, SMALL.image_size), bf16=False)
                           for s in sequences])
    torch.testing.assert_close(together, alone, rtol=1e-5, atol=1e-5)
    assert float(dense) == 0.0 and packed.dense_ids.numel() == 0  # the stream was not asked for dense targets


def test_balancing_by_images_gives_each_image_one_share_of_the_answer_loss(tokenizer: QwenTokenizer) -> None:
    network = QwenVLNetwork(QwenVLConfig.from_dict(SMALL.config_json(tokenizer)))
    initialize(network, 0)
    stream = BatchStream({"synth_vqa": 1.0, "synth_ocrvqa": 1.0}, tokenizer, 0, 6, 100, Curriculum(()),
                         SMALL.image_size, auxiliary=AuxiliaryQuestions(option_lookups=0))
    groups = stream.groups(3)
    sizes = [len(group.sequences) for group in groups]
    assert len(set(sizes)) > 1  # images asking different numbers of questions
    parts = [groups[:2], groups[2:]]  # two micro-batches of one step
    packed = [pack(part, tokenizer.eod_id, SMALL.image_size, tokenizer.img_start_id) for part in parts]
    assert packed[0].sequence_rows.tolist() == [row for row, n in enumerate(sizes[:2]) for _ in range(n)]
    with torch.no_grad():
        losses = [packed_losses(network, batch, bf16=False).answers for batch in packed]
    every = torch.cat(losses)
    n_sequences, n_images = len(every), len(groups)
    by_questions = sum(answer_objective(loss, batch, "questions", n_sequences, n_images)
                       for loss, batch in zip(losses, packed))
    by_images = sum(answer_objective(loss, batch, "images", n_sequences, n_images)
                    for loss, batch in zip(losses, packed))
    torch.testing.assert_close(by_questions, every.mean())
    image_means = torch.stack([chunk.mean() for chunk in every.split(sizes)])
    torch.testing.assert_close(by_images, image_means.mean())
    assert abs(float(by_images) - float(by_questions)) > 1e-4  # the two weigh the same losses differently
    with pytest.raises(ConfigError, match="questions, images"):
        answer_objective(losses[0], packed[0], "tasks", n_sequences, n_images)


def test_the_shared_prefix_holds_the_whole_image_span_and_no_answer(tokenizer: QwenTokenizer) -> None:
    spec = get_task("synth_vqa")
    protocol = spec.protocol("qwen-vl")
    group = training_sequences(spec, protocol, tokenizer, generate_examples("synth_vqa", "train", 1, seed=3))
    assert len(group) == 3
    prefix = shared_prefix(group, tokenizer.img_start_id)
    start = group[0].ids.index(tokenizer.img_start_id)
    assert prefix >= start + IMAGE_SPAN + 2  # <img>, the span and </img>
    assert prefix < min(s.answer_start for s in group)
    # A group whose questions share nothing after the image still shares the image, whole.
    assert shared_prefix(group[:1] * 2, tokenizer.img_start_id) == group[0].answer_start - 1


def _scene_colors(example) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(s.color, s.shape) for s in example.scene.shapes}


@pytest.mark.parametrize("seed", range(4))
def test_auxiliary_questions_are_answered_by_the_scene(seed: int) -> None:
    rng = random.Random(seed)
    mme = generate_examples("synth_mme", "train", 5, seed=seed)
    for example in mme:
        extra = with_auxiliary("synth_mme", example, rng).rows[len(example.rows):]
        present = _scene_colors(example)
        for row in extra:
            found = re.match(r"Is there an? (\w+) (\w+) in the image\?", row["question"])
            if found:
                assert (row["answer"] == "Yes") == ((found[1], found[2]) in present)
            found = re.match(r"Is the (\w+) in the image (\w+)\?", row["question"])
            if found:
                colors = {c for c, s in present if s == found[1]}
                assert (row["answer"] == "Yes") == (colors == {found[2]})
    seed_examples = generate_examples("synth_seed", "train", 7, seed=seed)
    for example in seed_examples:
        for row in with_auxiliary("synth_seed", example, rng).rows[1:]:
            options = [row[f"choice_{k}"] for k in "abcd"]
            assert len(set(options)) == 4
            answer = options["ABCD".index(row["answer"])]
            found = re.match(r"How many (\w+)s are there in the image\?", row["question"])
            if found:
                assert answer == str(sum(s.shape == found[1] for s in example.scene.shapes))
            found = re.match(r'Which option says "(.+)"\?', row["question"])
            if found:
                assert answer == found[1]
    for example in generate_examples("synth_refcoco", "train", 5, seed=seed):
        rows = with_auxiliary("synth_refcoco", example, rng).rows
        assert sorted(tuple(r["bbox"]) for r in rows[1:]) == sorted(tuple(s.coco_box()) for s in example.scene.shapes)
        samples = samples_of(get_task("synth_refcoco"), get_task("synth_refcoco").protocol("qwen-vl"),
                             [with_auxiliary("synth_refcoco", example, rng)])
        assert len({s.id for s in samples}) == len(samples)


def test_choice_questions_include_option_lookups_whose_letter_is_the_named_option() -> None:
    rng = random.Random(0)
    for example in generate_examples("synth_seed", "train", 5, seed=4):
        rows = with_auxiliary("synth_seed", example, rng).rows[1:]
        lookups = [r for r in rows if r["question"].startswith("Which option says")]
        assert len(lookups) == min(OPTION_LOOKUPS, len(rows) - len(lookups)) >= 1
        for row in lookups:
            named = re.fullmatch(r'Which option says "(.+)"\?', row["question"])[1]
            assert row[f"choice_{row['answer'].lower()}"] == named
            assert [row[f"choice_{k}"] for k in "abcd"].count(named) == 1


def test_option_lookups_can_be_left_out() -> None:
    examples = generate_examples("synth_seed", "train", 5, seed=4)
    without = AuxiliaryQuestions(option_lookups=0)
    rows = [r for e in examples for r in with_auxiliary("synth_seed", e, random.Random(0), without).rows]
    assert len(rows) > 2 * len(examples)
    assert not [r for r in rows if r["question"].startswith("Which option says")]


def test_choice_facts_name_the_quadrant_a_shape_lies_in_and_the_scene() -> None:
    inside = Shape("square", "red", (255, 0, 0), (40, 4, 52, 16))  # within the top right quadrant
    across = Shape("circle", "blue", (0, 0, 255), (26, 40, 38, 52))  # over the vertical centre line
    scene = Scene(64, 64, "white", (inside, across))
    found = choice_facts(scene, random.Random(0))
    locations = [f for f in found if f.kind == "location"]
    assert [(f.subject, f.answer) for f in locations] == [(("red", "square"), "top right")]
    assert set(locations[0].wrong) == set(quadrants(64, 64)) - {"top right"}
    [whole] = [f for f in found if f.kind == "scene"]
    assert whole.answer == describe(scene) == "a blue circle and a red square on a white background"  # left to right
    assert len(set(whole.wrong)) == 3 and whole.answer not in whole.wrong
    twin = Scene(64, 64, "white", (inside, Shape("square", "red", (255, 0, 0), (4, 44, 16, 56))))
    assert not [f for f in choice_facts(twin, random.Random(0)) if f.kind == "location"]  # which red square?


def test_choice_images_ask_locations_and_scenes_only_when_asked() -> None:
    examples = generate_examples("synth_seed", "train", 14, seed=4)
    default = [r for e in examples for r in with_auxiliary("synth_seed", e, random.Random(0)).rows[1:]]
    locations = AuxiliaryQuestions(locations_and_scenes=True)
    asked = [(e, with_auxiliary("synth_seed", e, random.Random(0), locations).rows[1:]) for e in examples]
    # SEED's own location and scene rows are the only ones of these dimensions by default
    assert not [r for r in default if r["question_type_id"] in (1, 4)]
    dimensions = {r["question_type_id"] for _, rows in asked for r in rows}
    assert {1, 4} <= dimensions
    for example, rows in asked:
        for row in rows:
            answer = row[f"choice_{row['answer'].lower()}"]
            found = re.fullmatch(r"Where is the (\w+) (\w+) in the image\?", row["question"])
            if found:
                [shape] = [s for s in example.scene.shapes if (s.color, s.shape) == (found[1], found[2])]
                assert row["question_type_id"] == 4 and quadrants(64, 64)[answer][0] <= shape.box[0]
            if row["question"] == "Which description fits the image best?":
                assert row["question_type_id"] == 1 and answer == describe(example.scene)


def test_vqa_places_ask_quadrants_and_relations_in_seeds_words_only_when_asked() -> None:
    examples = generate_examples("synth_vqa", "train", 40, seed=5)
    default = [r for e in examples for r in with_auxiliary("synth_vqa", e, random.Random(0)).rows]
    assert not [r for r in default if r["question"].startswith("Where is")]
    places = AuxiliaryQuestions(vqa_places=True)
    quadrant_rows = relation_rows = 0
    for example in examples:
        rows = with_auxiliary("synth_vqa", example, random.Random(0), places).rows
        assert len({r["question_id"] for r in rows}) == len(rows)
        shapes = {(s.color, s.shape): s for s in example.scene.shapes}
        named = quadrants(example.scene.width, example.scene.height)
        for row in rows[len(example.rows):]:
            answer = row["multiple_choice_answer"]
            assert [a["answer"] for a in row["answers"]] == [answer] * 10
            found = re.fullmatch(r"Where is the (\w+) (\w+) in the image\?", row["question"])
            if found:
                quadrant_rows += 1
                box = shapes[(found[1], found[2])].box
                region = named[answer]
                assert region[0] <= box[0] and region[1] <= box[1] and box[2] <= region[2] and box[3] <= region[3]
                assert row["question_type"] == "where is the"
            found = re.fullmatch(r"Where is the (\w+) (\w+) relative to the (\w+) (\w+)\?", row["question"])
            if found:
                relation_rows += 1
                a, b = shapes[(found[1], found[2])], shapes[(found[3], found[4])]
                phrase = {"left": "to the left", "right": "to the right", "above": "above", "below": "below"}
                assert answer == phrase[relation(a, b, min_offset=14)]
    assert quadrant_rows >= 20 and relation_rows >= 20


def test_balanced_counts_spread_the_count_answers_and_keep_them_true() -> None:
    examples = generate_examples("synth_mme", "train", 300, seed=5)

    def count_rows(balanced: bool) -> list[tuple[Example, dict]]:
        rng = random.Random(0)
        return [(e, r) for e in examples
                for r in with_auxiliary("synth_mme", e, rng, AuxiliaryQuestions(balanced_counts=balanced)).rows
                if r["category"] == "count"]

    def yes_share(rows: list[tuple[Example, dict]], claim: str) -> float:
        asked = [r["answer"] == "Yes" for _, r in rows if r["question"].split()[2] == claim]
        return sum(asked) / len(asked)

    plain, balanced = count_rows(False), count_rows(True)
    # As the facts come, "only one" is nearly always Yes and "three" nearly always No.
    assert yes_share(plain, "only") > 0.8 and yes_share(plain, "three") < 0.3
    assert 0.3 < yes_share(balanced, "only") < 0.7 and 0.3 < yes_share(balanced, "three") < 0.7
    for example, row in balanced:  # thinned, not changed: every answer is still the scene's
        found = re.fullmatch(r"(?:Is there only one|Are there (\w+)) (\w+?)s? in the image\? .*", row["question"])
        assert found is not None, row["question"]
        claimed = 1 if found[1] is None else {w: k for k, w in NUMBER_WORDS.items()}[found[1]]
        n = sum(s.shape == found[2] for s in example.scene.shapes)
        assert row["answer"] == ("Yes" if claimed == n else "No")


def test_facts_cover_every_shape_kind() -> None:
    example = generate_examples("synth_vqa", "train", 1, seed=11)[0]
    found = facts(example.scene, random.Random(0))
    kinds = {(f.subject, f.answer) for f in found if f.kind == "exists" and f.answer == "yes"}
    assert kinds == {((s.color, s.shape), "yes") for s in example.scene.shapes}
    assert all(f.answer not in f.wrong for f in found)
    assert {f.subject[0] for f in found if f.kind == "count"} <= set(SHAPES)


def test_training_on_packed_rows_is_what_train_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from evalkit.tiny import train as training

    monkeypatch.setattr(training, "LOG_EVERY", 1)
    work = tmp_path / "w"
    training.train(training.TrainSettings(work_dir=work, steps=1, batch_size=4, micro_batch=2, warmup=1,
                                          vocab_examples=2, vocab_merges=50, save_minutes=1000.0,
                                          mix={"synth_mme": 2.0, "synth_caption": 1.0}, architecture=SMALL))
    records = [json.loads(line) for line in (work / "train.log").read_text().splitlines()]
    start, step, done = [r for r in records if r.get("event") != "warning"]
    assert (step["step"], done["event"]) == (1, "done")
    assert start["settings"]["auxiliary"] is True
    # the loss is reported per task, and per subtask for a task that has them (MME's categories)
    assert set(step["by_task"]) - {"dense"} == {"synth_mme", "synth_caption"}
    assert step["by_subtask"]
    categories = {"existence", "count", "position", "color", "OCR"}
    assert all(key.split("/")[0] == "synth_mme" and key.split("/")[1] in categories for key in step["by_subtask"])
    assert all(value > 0 for value in step["by_subtask"].values())


def test_dense_targets_name_what_lies_under_each_cell(tokenizer: QwenTokenizer) -> None:
    from evalkit.synth.scene import Scene, Shape, Word
    from evalkit.tiny.dense import DenseWords, cell_targets, cell_words

    scene = Scene(64, 64, "gray", (Shape("square", "red", (220, 40, 40), (0, 0, 16, 16)),),
                  (Word("cat", "black", 2, (20, 40, 54, 54)),))
    words = cell_words(scene)
    assert words[0] == words[16 * 3 + 3] == ("red", "square")  # 4x4 pixel cells: the square covers 4x4 of them
    assert words[4] == words[16 * 15 + 15] == ("gray",)
    assert words[16 * 10 + 5] == ("C",)  # the first glyph spans x 20-29, y 40-53
    assert words[16 * 10 + 8] == ("A",)  # the second starts at x 32
    targets = cell_targets(scene, tokenizer)
    assert len(targets) == 256
    assert targets[0] == (tokenizer.encode(" red")[0], tokenizer.encode(" square")[0])
    assert targets[16 * 10 + 5] == (tokenizer.encode("C")[0],)
    # the words DenseWords() leaves out: the square lies in the top left third, the glyph is cat's
    more = DenseWords(places=True, glyph_words=True)
    assert cell_words(scene, more)[16 * 3 + 3] == ("red", "square", "top", "left")
    assert cell_words(scene, more)[16 * 10 + 8] == ("A", "cat")
    assert cell_words(scene, more)[4] == ("gray",)
    assert cell_targets(scene, tokenizer, more)[0] == tuple(
        tokenizer.encode(" " + w)[0] for w in ("red", "square", "top", "left"))
    # the word as an answer or a quoted word in a question is written: no space before it
    assert cell_targets(scene, tokenizer, more)[16 * 10 + 8] == (tokenizer.encode("A")[0], tokenizer.encode("cat")[0])
    assert tokenizer.encode("cat")[0] != tokenizer.encode(" cat")[0]


def test_dense_place_words_follow_the_cell_not_the_shape() -> None:
    from evalkit.synth.scene import Scene, Shape
    from evalkit.tiny.dense import DenseWords, cell_words

    # a wide bar across the middle of the image: each cell names its own third of the 3x3 grid
    scene = Scene(64, 64, "gray", (Shape("square", "blue", (40, 40, 220), (0, 24, 64, 40)),))
    words = cell_words(scene, DenseWords(places=True))
    middle_row = [words[16 * 7 + col] for col in range(16)]
    assert {w[:2] for w in middle_row} == {("blue", "square")}
    places = [w[2:] for w in middle_row]
    assert places[:5] == [("left",)] * 5 and places[5:11] == [("center",)] * 6 and places[11:] == [("right",)] * 5
    assert words[0] == ("gray",)  # background cells name no place


def test_dense_words_of_two_rendered_words_stay_apart() -> None:
    from evalkit.synth.scene import Scene, Word
    from evalkit.tiny.dense import DenseWords, cell_words

    scene = Scene(64, 64, "white", (),
                  (Word("sun", "black", 2, (4, 4, 38, 18)), Word("dog", "black", 2, (4, 40, 38, 54))))
    words = cell_words(scene, DenseWords(glyph_words=True))
    assert words[16 * 2 + 2] == ("S", "sun") and words[16 * 11 + 2] == ("D", "dog")


def test_dense_targets_enter_the_loss_at_the_image_tokens(tokenizer: QwenTokenizer) -> None:
    network = QwenVLNetwork(QwenVLConfig.from_dict(SMALL.config_json(tokenizer)))
    initialize(network, 0)
    stream = BatchStream({"synth_seed": 1.0}, tokenizer, 0, 2, 100, Curriculum(), SMALL.image_size, dense=True)
    packed = stream.packed(0, 2)[0]
    assert packed.dense_ids.numel() >= 2 * 256
    spans = packed.ids[packed.dense_rows, packed.dense_cols - 1]
    assert ((packed.ids[packed.dense_rows, packed.dense_cols] != tokenizer.img_start_id + 1).all())
    assert (packed.ids[packed.dense_rows, packed.dense_cols.min() - 1] == tokenizer.img_start_id).all()
    assert spans.numel() == packed.dense_ids.numel()
    with torch.no_grad():
        dense = packed_losses(network, packed, bf16=False).dense
    assert float(dense) / packed.dense_ids.numel() > 1.0  # an untrained model does not know the cells


def test_option_checks_are_packed_at_the_tokens_of_their_sequences(tokenizer: QwenTokenizer) -> None:
    stream = BatchStream({"synth_seed": 1.0, "synth_mme": 1.0}, tokenizer, 0, 4, 100, Curriculum(),
                         SMALL.image_size, auxiliary=AuxiliaryQuestions(option_lookups=1))
    groups = stream.groups(3)
    packed = pack(groups, tokenizer.eod_id, SMALL.image_size, tokenizer.img_start_id)
    expected = [(row, sequence.ids[index], token) for row, group in enumerate(groups)
                for sequence in group.sequences for index, token in sequence.checks]
    assert len(expected) == packed.check_ids.numel() > 0
    found = list(zip(packed.check_rows.tolist(), packed.ids[packed.check_rows, packed.check_cols].tolist(),
                     packed.check_ids.tolist()))
    assert found == expected  # the same option tokens, in the rows of their images, asking the same
    network = QwenVLNetwork(QwenVLConfig.from_dict(SMALL.config_json(tokenizer)))
    initialize(network, 0)
    with torch.no_grad():
        checks = packed_losses(network, packed, bf16=False).checks
    assert float(checks) / packed.check_ids.numel() > 1.0  # an untrained model does not know the answers


def test_training_logs_the_option_checks_when_asked_for_them(tmp_path: Path) -> None:
    import json

    from evalkit.tiny import train as training

    work = tmp_path / "w"
    training.train(training.TrainSettings(work_dir=work, steps=20, batch_size=2, micro_batch=2, warmup=1,
                                          vocab_examples=2, vocab_merges=50, save_minutes=1000.0,
                                          option_check_weight=1.0, mix={"synth_seed": 1.0}, architecture=SMALL))
    records = [json.loads(line) for line in (work / "train.log").read_text().splitlines()]
    (step,) = [r for r in records if "by_task" in r]
    assert step["by_task"]["option_checks"] > 0 and "synth_seed" in step["by_task"]


def test_auxiliary_questions_do_not_depend_on_the_process_hash_seed() -> None:
    import os
    import subprocess
    import sys

    code = ("import random; from evalkit.synth import generate_examples; "
            "from evalkit.tiny.auxiliary import with_auxiliary;"
            "ex = generate_examples('synth_mme', 'train', 6, seed=2);"
            "print([r['question'] for e in ex for r in with_auxiliary('synth_mme', e, random.Random(0)).rows])")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(h)}).stdout for h in (1, 2, 3)}
    assert len(outputs) == 1


MME_ASKS = [(r"Is there an? \w+ \w+ in the image\?", "existence"), (r"Is the word in the image \"\w+\"\?", "OCR"),
            (r"Is the \w+ \w+ (to the left of|to the right of|above|below) the \w+ \w+\?", "position"),
            (r"Is the \w+ in the image \w+\?", "color"),
            (r"(Is there only one|Are there \w+) \w+ in the image\?", "count")]
SEED_ASKS = [(r"What (color|shape) is the \w+( object)?\?", "Instance Attributes"),
             (r"How many \w+ are there in the image\?", "Instances Counting"),
             (r"Where is the \w+ \w+ relative to the \w+ \w+\?", "Spatial Relation"),
             (r"What word is written in the image\?", "Text Understanding")]
VQA_ASKS = [(r"How many \w+ are there\?", "number"), (r"Is there an? \w+ \w+\?", "yes/no"),
            (r"What (color|shape|word) .*\?", "other")]


def _asks(question: str, kinds: list[tuple[str, str]]) -> str:
    found = [kind for pattern, kind in kinds if re.fullmatch(pattern, question)]
    assert len(found) == 1, f"{question!r} matches {found}"
    return found[0]


@pytest.mark.parametrize("seed", range(3))
def test_auxiliary_samples_carry_the_subtask_of_what_they_ask(seed: int) -> None:
    """An extra question's subtask is that of the question itself, not of the benchmark row it was
    made from (a colour question about a position image counts as colour)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    for task, kinds in (("synth_mme", MME_ASKS), ("synth_seed", SEED_ASKS), ("synth_vqa", VQA_ASKS)):
        spec = get_task(task)
        for example in generate_examples(task, "train", 60, seed=seed):
            full = with_auxiliary(task, example, rng)
            samples = samples_of(spec, spec.protocol("qwen-vl"), [full])[len(example.rows):]
            asked = {}
            for row, sample in zip(full.rows[len(example.rows):], samples):
                question = row["question"].removesuffix(" Please answer yes or no.")
                looked_up = re.fullmatch(r'Which option says "(.+)"\?', question)
                if looked_up:  # a lookup counts in the dimension of the question whose answer it names
                    assert sample.meta["subtask"] in asked[looked_up[1]]
                    continue
                kind = _asks(question, kinds)
                assert sample.meta["subtask"] == kind
                correct = row.get(f"choice_{str(row.get('answer')).lower()}")
                asked.setdefault(correct, set()).add(kind)
                seen.add(f"{task}/{kind}")
    expected = {f"synth_mme/{k}" for _, k in MME_ASKS} | {f"synth_vqa/{k}" for _, k in VQA_ASKS} | \
        {"synth_seed/Instance Attributes", "synth_seed/Instances Counting", "synth_seed/Spatial Relation"}
    assert expected <= seen


def test_packed_rows_keep_each_sequences_subtask(tokenizer: QwenTokenizer) -> None:
    stream = BatchStream({"synth_mme": 1.0, "synth_refcoco": 1.0}, tokenizer, 0, 4, 100, Curriculum(),
                         SMALL.image_size, auxiliary=AuxiliaryQuestions(option_lookups=0))
    groups = stream.groups(0)
    packed = pack(groups, tokenizer.eod_id, SMALL.image_size, tokenizer.img_start_id)
    flat = [s for g in groups for s in g.sequences]
    assert packed.subtasks == tuple(s.subtask for s in flat)
    assert packed.tasks == tuple(s.task for s in flat)
    assert {s.subtask for s in flat if s.task == "synth_refcoco"} == {None}
    assert {s.subtask for s in flat if s.task == "synth_mme"} <= {"existence", "count", "position", "color", "OCR"}



def test_questions_per_image_keeps_a_random_few_of_each_images_sequences_in_their_order(
    tokenizer: QwenTokenizer,
) -> None:
    mix = {"synth_vqa": 1.0, "synth_refcoco": 1.0, "synth_ocrvqa": 1.0}
    asked = AuxiliaryQuestions(vqa_places=True)

    def stream(cap: int) -> BatchStream:
        return BatchStream(mix, tokenizer, seed=3, batch_size=12, total_steps=10, curriculum=Curriculum(()),
                           image_size=SMALL.image_size, auxiliary=asked, questions_per_image=cap)

    kept_firsts, capped_images = set(), 0
    for step in range(3):
        # the cap draws apart from the stream's own draws: the images and questions are those without it
        for full, capped in zip(stream(0).groups(step), stream(3).groups(step), strict=True):
            everything = [(s.ids, s.answer_start) for s in full.sequences]
            kept = [everything.index((s.ids, s.answer_start)) for s in capped.sequences]
            assert len(kept) == min(3, len(everything)) and kept == sorted(kept)
            assert capped.cell_targets == full.cell_targets
            if len(everything) > 3:
                capped_images += 1
                kept_firsts.add(kept[0])
    assert capped_images >= 10 and len(kept_firsts) > 1  # a random few, not always the first
    with pytest.raises(ValueError, match="questions_per_image"):
        stream(-1)
