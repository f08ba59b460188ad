"""The synthetic benchmark generator: deterministic, in the real schemas, train and test kept apart,
answers that are true of the drawn image, and bundled files equal to a fresh generation."""

from __future__ import annotations

import io
import json
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from evalkit.errors import ConfigError
from evalkit.synth import (
    BENCHMARKS,
    TEST_SEED,
    generate,
    generate_examples,
    reserved_signatures,
)
from evalkit.synth.__main__ import main as synth_main
from evalkit.synth.files import bundled_path, bundled_rows, comparable, read_rows
from evalkit.synth.generate import _draw
from evalkit.synth.scene import COLORS, PAINTS, Scene, Shape

TASKS = sorted(BENCHMARKS)

# The columns and types of each real benchmark on the hub (reference/datasets.md), written out
# here independently of the generator. "image" is an HF Image feature, "[image]" a list of them.
IMAGE = "image"
REAL_SCHEMAS = {
    "synth_mme": {"question_id": "string", "image": IMAGE, "question": "string", "answer": "string",
                  "category": "string"},
    "synth_seed": {"answer": "string", "choice_a": "string", "choice_b": "string", "choice_c": "string",
                   "choice_d": "string", "data_id": "string", "data_type": "string", "image": "[image]",
                   "question": "string", "question_id": "string", "question_type_id": "int64"},
    "synth_vqa": {"question_type": "string", "multiple_choice_answer": "string",
                  "answers": "list<struct<answer: string, answer_confidence: string, answer_id: int64>>",
                  "image_id": "int64", "answer_type": "string", "question_id": "int64", "question": "string",
                  "image": IMAGE},
    "synth_ocrvqa": {"image": IMAGE, "image_id": "string", "questions": "list<string>", "answers": "list<string>",
                     "ocr_tokens": "list<string>",
                     "ocr_info": "list<struct<word: string, bounding_box: struct<width: double, height: double, "
                                 "top_left_x: double, top_left_y: double>>>",
                     "title": "string", "authorName": "string", "genre": "string", "image_width": "int64",
                     "image_height": "int64", "image_url": "string", "set_name": "string"},
    "synth_refcoco": {"question_id": "string", "image": IMAGE, "question": "string", "answer": "list<string>",
                      "segmentation": "list<float>", "bbox": "list<float>", "iscrowd": "int8",
                      "file_name": "string"},
    "synth_caption": {"question_id": "string", "image": IMAGE, "question": "string", "answer": "list<string>",
                      "id": "int64", "license": "int8", "file_name": "string", "coco_url": "string",
                      "height": "int32", "width": "int32", "date_captured": "string"},
    "synth_dialogue": {"index": "int64", "image": IMAGE, "question": "string", "human_annotation": "string",
                       "gpt4_ha_answer": "string", "category": "string", "task_name": "string"},
}


def _type_name(field_type: object, feature: dict[str, object]) -> str:
    if feature.get("_type") == "Image":
        return IMAGE
    if feature.get("_type") == "List" and isinstance(feature.get("feature"), dict) \
            and feature["feature"].get("_type") == "Image":  # type: ignore[union-attr]
        return "[image]"
    return re.sub(r"<item: ", "<", str(field_type)).replace("element: ", "")


@pytest.mark.parametrize("task", TASKS)
def test_bundled_files_have_the_real_benchmark_columns_and_types(task: str) -> None:
    schema = pq.read_schema(bundled_path(task, "test"))
    features = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    found = {f.name: _type_name(f.type, features[f.name]) for f in schema}
    assert found == REAL_SCHEMAS[task]


@pytest.mark.parametrize("task", TASKS)
def test_bundled_files_equal_a_fresh_generation(task: str) -> None:
    # Images compare by their pixels: PNG bytes depend on the zlib Pillow was built with.
    for split in ("test", "train"):
        assert comparable(read_rows(bundled_path(task, split))) == comparable(bundled_rows(task, split)), (
            f"{bundled_path(task, split)} is stale: run python -m evalkit.synth write"
        )


def test_comparable_rows_see_a_changed_pixel_but_not_a_changed_encoding() -> None:
    (row,) = generate("synth_caption", "test", 1, TEST_SEED)
    image = Image.open(io.BytesIO(row["image"]["bytes"])).convert("RGB")
    reencoded = io.BytesIO()
    image.save(reencoded, format="PNG", compress_level=1)
    assert reencoded.getvalue() != row["image"]["bytes"]
    assert comparable([{**row, "image": {"bytes": reencoded.getvalue(), "path": None}}]) == comparable([row])
    image.putpixel((0, 0), (1, 2, 3))
    changed = io.BytesIO()
    image.save(changed, format="PNG")
    assert comparable([{**row, "image": {"bytes": changed.getvalue(), "path": None}}]) != comparable([row])


def test_check_command_detects_a_stale_file(tmp_path: Path) -> None:
    root = tmp_path / "synth"
    assert synth_main(["write", "--tasks", "synth_mme", "--root", str(root)]) == 0
    assert synth_main(["check", "--tasks", "synth_mme", "--root", str(root)]) == 0
    rows = read_rows(root / "synth_mme" / "test.parquet")
    rows[0]["answer"] = "No"
    from evalkit.synth.files import write_split
    write_split(root / "synth_mme" / "test.parquet", rows, BENCHMARKS["synth_mme"])
    assert synth_main(["check", "--tasks", "synth_mme", "--root", str(root)]) == 1


@pytest.mark.parametrize("task", TASKS)
def test_same_seed_gives_identical_rows_and_bytes(task: str) -> None:
    first = generate(task, "train", 6, seed=7)
    assert first == generate(task, "train", 6, seed=7)
    assert first != generate(task, "train", 6, seed=8)
    # Each example has its own random stream: a slice generated alone is the same slice.
    assert generate_examples(task, "train", 3, seed=7, start=3) == generate_examples(task, "train", 6, seed=7)[3:]


def test_generation_does_not_depend_on_global_random_state() -> None:
    random.seed(1)
    a = generate("synth_seed", "train", 4, seed=3)
    random.seed(2)
    assert generate("synth_seed", "train", 4, seed=3) == a


def test_training_images_are_never_test_images() -> None:
    test_images = {row["image"]["bytes"] if isinstance(row["image"], dict) else row["image"][0]["bytes"]
                   for task in TASKS for row in read_rows(bundled_path(task, "test"))}
    for task in TASKS:
        train = generate(task, "train", 150, seed=TEST_SEED)  # the same seed as the test split
        train_images = {r["image"]["bytes"] if isinstance(r["image"], dict) else r["image"][0]["bytes"] for r in train}
        assert not train_images & test_images, task
        pool = {r["image"]["bytes"] if isinstance(r["image"], dict) else r["image"][0]["bytes"]
                for r in read_rows(bundled_path(task, "train"))}
        assert not pool & test_images, task


def test_a_training_draw_that_would_repeat_a_test_scene_is_drawn_again() -> None:
    bench = BENCHMARKS["synth_vqa"]
    free = _draw(bench, "train", 0, 5, None, frozenset())
    redrawn = _draw(bench, "train", 0, 5, None, frozenset({free.scene.signature()}))
    assert redrawn.scene != free.scene
    assert len(reserved_signatures()) == sum(b.test_size for b in BENCHMARKS.values())


def test_unknown_names_get_a_suggestion() -> None:
    with pytest.raises(ConfigError, match="did you mean 'synth_mme'"):
        generate("synth_mmee", "test", 1, 0)
    with pytest.raises(ConfigError, match="train and test"):
        generate("synth_mme", "validation", 1, 0)


def test_curriculum_cap_limits_shapes_but_not_below_what_a_question_needs() -> None:
    for task in ("synth_caption", "synth_vqa", "synth_refcoco"):
        assert all(len(ex.scene.shapes) == 1 for ex in generate_examples(task, "train", 20, 1, max_shapes=1))
    position = [ex for ex in generate_examples("synth_mme", "train", 25, 1, max_shapes=1)
                if ex.rows[0]["category"] == "position"]
    assert position and all(len(ex.scene.shapes) == 2 for ex in position)


# -- the answers are true of the image -----------------------------------------------------------------


def _pixels(scene: Scene) -> np.ndarray:
    return np.asarray(scene.render()).astype(int)


def test_every_shape_box_is_tight_and_drawn_in_its_colour() -> None:
    for task in ("synth_refcoco", "synth_caption", "synth_mme"):
        for ex in generate_examples(task, "test", 40, TEST_SEED):
            for shape in ex.scene.shapes:
                alone = Scene(ex.scene.width, ex.scene.height, ex.scene.background, (shape,))
                painted = np.abs(_pixels(alone) - np.array(PAINTS[alone.background])).sum(-1) > 0
                ys, xs = np.nonzero(painted)
                assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == shape.box
                cx, cy = shape.center
                probe = (int(cy), int(cx)) if shape.shape != "triangle" else (shape.box[3] - 2, int(cx))
                assert tuple(_pixels(alone)[probe]) == shape.rgb
                assert max(abs(a - b) for a, b in zip(shape.rgb, COLORS[shape.color])) <= 12


def test_png_bytes_decode_to_the_rendered_scene() -> None:
    (ex,) = generate_examples("synth_ocrvqa", "test", 1, TEST_SEED)
    (row,) = ex.with_image()
    decoded = Image.open(io.BytesIO(row["image"]["bytes"]))
    assert decoded.size == (64, 64) and np.array_equal(np.asarray(decoded.convert("RGB")), _pixels(ex.scene))


def _referred(expression: str, shapes: tuple[Shape, ...]) -> list[Shape]:
    """The shapes an expression picks out, read independently of the generator's wording code."""
    words = expression.removeprefix("the ").split()
    if words in (["leftmost", "shape"], ["rightmost", "shape"]):
        pick = min if words[0] == "leftmost" else max
        return [pick(shapes, key=lambda s: s.center[0])]
    if len(words) == 4 and words[1:3] == ["on", "the"]:
        same = [s for s in shapes if s.shape == words[0]]
        return [(min if words[3] == "left" else max)(same, key=lambda s: s.center[0])]
    if len(words) == 2 and words[1] == "one":
        return [s for s in shapes if s.color == words[0]]
    if len(words) == 1:
        return [s for s in shapes if s.shape == words[0]]
    return [s for s in shapes if (s.color, s.shape) == (words[0], words[1])]


def test_refcoco_box_is_the_one_shape_each_expression_refers_to() -> None:
    sizes = set()
    for ex in generate_examples("synth_refcoco", "test", 150, TEST_SEED):
        (row,) = ex.rows
        target = ex.scene.shapes[ex.info["referred"]]
        x, y, w, h = row["bbox"]
        assert (x, y, x + w, y + h) == target.box
        assert len(row["answer"]) == 2
        for expression in row["answer"]:
            assert _referred(expression, ex.scene.shapes) == [target], expression
        sizes.add((ex.scene.width, ex.scene.height))
    assert len(sizes) == 3  # not all square: width and height must not be mixed up


def test_mme_rows_are_yes_no_pairs_whose_answers_hold_in_the_scene() -> None:
    examples = generate_examples("synth_mme", "test", 150, TEST_SEED)
    rows = [row for ex in examples for row in ex.rows]
    assert Counter(r["category"] for r in rows) == {c: 60 for c in ("existence", "count", "position", "color", "OCR")}
    for ex in examples:
        yes, no = ex.rows
        assert yes["question_id"] == no["question_id"] and (yes["answer"], no["answer"]) == ("Yes", "No")
        assert all(r["question"].endswith("? Please answer yes or no.") for r in ex.rows)
        if yes["category"] == "count":
            counted = re.search(r"(circle|square|triangle|diamond)", yes["question"]).group(1)  # type: ignore[union-attr]
            n = sum(s.shape == counted for s in ex.scene.shapes)
            words = {"one": 1, "two": 2, "three": 3, "four": 4}
            asked = [words[w] for w in re.findall(r"\b(one|two|three|four)\b", yes["question"] + " " + no["question"])]
            assert asked[0] == n and asked[1] != n
        if yes["category"] == "OCR":
            assert (
                f'"{ex.scene.words[0].text}"' in yes["question"] and f'"{ex.scene.words[0].text}"' not in no["question"]
            )


def test_seed_correct_option_holds_in_the_scene_and_letters_are_balanced() -> None:
    examples = generate_examples("synth_seed", "test", 301, TEST_SEED)
    letters = Counter(ex.rows[0]["answer"] for ex in examples)
    assert set(letters) == set("ABCD") and min(letters.values()) > 50
    assert Counter(ex.rows[0]["question_type_id"] for ex in examples) == {t: 43 for t in (1, 2, 3, 4, 5, 6, 9)}
    for ex in examples:
        row = ex.rows[0]
        options = [row[f"choice_{c}"] for c in "abcd"]
        correct = options["ABCD".index(row["answer"])]
        assert len(set(options)) == 4 and row["data_type"] == "image" and len(row["image"]) == 1
        if row["question_type_id"] == 5:
            shape = re.search(r"many (\w+)s are", row["question"]).group(1)  # type: ignore[union-attr]
            assert correct == str(sum(s.shape == shape for s in ex.scene.shapes))
        if row["question_type_id"] == 9:
            assert correct == ex.scene.words[0].text


def test_vqa_answers_vary_like_annotators_and_the_majority_is_right() -> None:
    examples = generate_examples("synth_vqa", "test", 100, TEST_SEED)
    rows = [row for ex in examples for row in ex.rows]
    assert len(rows) == 300 and len({r["question_id"] for r in rows}) == 300
    assert all(len(r["answers"]) == 10 and [a["answer_id"] for a in r["answers"]] == list(range(1, 11)) for r in rows)
    assert sum(len({a["answer"] for a in r["answers"]}) > 1 for r in rows) > 60  # some annotators disagree
    assert {r["answer_type"] for r in rows} == {"yes/no", "number", "other"}
    for ex in examples:
        for row in ex.rows:
            if row["question_type"] == "how many":
                shape = re.search(r"many (\w+)s are", row["question"]).group(1)  # type: ignore[union-attr]
                assert row["multiple_choice_answer"] == str(sum(s.shape == shape for s in ex.scene.shapes))
            if row["question"] == "What color is the background?":
                assert row["multiple_choice_answer"] == ex.scene.background


def test_ocrvqa_answers_are_the_rendered_words() -> None:
    for ex in generate_examples("synth_ocrvqa", "test", 20, TEST_SEED):
        (row,) = ex.rows
        assert len(row["questions"]) == len(row["answers"]) == 2
        assert row["answers"] == [w.text for w in ex.scene.words] == [row["title"], row["authorName"]]
        assert row["questions"][0] == "What is the title of this book?"
        assert row["ocr_tokens"] == [row["title"].upper(), row["authorName"].upper()]
        glyph_height = 14  # 7 rows at scale 2: large enough to read at 64 pixels
        assert all(w.box[3] - w.box[1] == glyph_height for w in ex.scene.words)


def test_captions_have_five_references_of_at_least_eight_words() -> None:
    for ex in generate_examples("synth_caption", "test", 50, TEST_SEED):
        (row,) = ex.rows
        assert len(row["answer"]) == 5 and len(set(row["answer"])) == 5
        assert all(len(c.split()) >= 8 for c in row["answer"])
        assert ex.scene.background in row["answer"][0]
