"""The data-layer features the benchmark catalogue needs: row filters, joins, per-protocol
overrides, multi-column transforms, content ids, frame sampling and image-size fields."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from evalkit.data.samples import build_samples
from evalkit.data.sources import load_rows
from evalkit.data.transforms import apply_transform, uniform_frame_indices
from evalkit.errors import ConfigError, DataError
from evalkit.runner.prepare import build_prompts, load_task
from evalkit.tasks.registry import parse_file


def png(size: tuple[int, int], color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def write_parquet(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def spec_from(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "family.yaml"
    path.write_text(text, encoding="utf-8")
    return parse_file(path)


# -- transforms ----------------------------------------------------------------------------------------


def _official_get_index(num_frames: int, num_segments: int) -> list[int]:
    # The rule of Qwen-VL eval_mm/seed_bench/trans.py, restated with numpy for comparison.
    if num_segments > num_frames:
        return list(range(num_frames))
    seg_size = float(num_frames - 1) / num_segments
    start = int(seg_size / 2)
    return [start + int(np.round(seg_size * idx)) for idx in range(num_segments)]


@pytest.mark.parametrize("n", [1, 3, 4, 5, 8, 9, 16, 31, 100, 301])
def test_uniform_frames_follow_the_official_rule(n: int) -> None:
    for k in (4, 8):
        assert uniform_frame_indices(n, k) == _official_get_index(n, k)
    assert uniform_frame_indices(8, 4) == [0, 2, 4, 5]  # numpy rounds 3.5 to 4 (half to even)
    frames = [f"f{i}" for i in range(8)]
    assert apply_transform("uniform_frames_4", frames) == ["f0", "f2", "f4", "f5"]
    # the official rule on 8 frames repeats frame 4 and never reaches frame 7; kept as it is
    assert apply_transform("uniform_frames_8", frames) == ["f0", "f1", "f2", "f3", "f4", "f4", "f5", "f6"]
    assert apply_transform("uniform_frames_4", ["only"]) == ["only"]  # an image question keeps its image


def test_small_value_transforms() -> None:
    assert apply_transform("or_na", "") == "N/A" and apply_transform("or_na", None) == "N/A"
    assert apply_transform("or_na", "A map.") == "A map."
    assert apply_transform("pick_option", [["cat", "dog", "cow"], "1"]) == "dog"
    assert apply_transform("seed_dimension", 4) == "Instance Location"  # the corrected 3/4 order
    assert apply_transform("seed_dimension", "3") == "Instance Attributes"
    with pytest.raises(DataError, match="1 to 12"):
        apply_transform("seed_dimension", 13)


def test_image_size_is_read_from_embedded_bytes_only() -> None:
    cell = {"bytes": png((37, 21)), "path": "x.png"}
    assert apply_transform("image_width", cell) == 37 and apply_transform("image_height", cell) == 21
    with pytest.raises(DataError, match="not embedded"):
        apply_transform("image_width", {"bytes": None, "path": "x.png"})


def test_content_id_is_stable_and_content_sensitive() -> None:
    a = apply_transform("content_id", ["What?", {"bytes": b"\x89PNGabc", "path": "a.png"}])
    same_bytes_other_path = apply_transform("content_id", ["What?", {"bytes": b"\x89PNGabc", "path": "b.png"}])
    other = apply_transform("content_id", ["What?", {"bytes": b"\x89PNGabd", "path": "a.png"}])
    assert a == same_bytes_other_path and a != other and len(a) == 16


# -- sources: where and join ---------------------------------------------------------------------------


JOIN_TASK = """
tasks:
  - name: joined
    source:
      local: {format: parquet, path: "q/testdev-*.parquet"}
      where: {kind: [keep, also]}
      join:
        local: {format: parquet, path: "img/testdev-*.parquet"}
        on_column: imageId
        key: id
        columns: [image]
    fields: {id: id, image: image, text: {question: question}, target: answer, cluster: imageId}
    protocols:
      qwen-vl:
        prompt: {template: "<image>{question} Answer:"}
        scorer: exact_match
"""


def test_where_filters_and_join_adds_images(tmp_path: Path) -> None:
    write_parquet(tmp_path / "data/q/testdev-00000-of-00001.parquet", [
        {"id": "q1", "imageId": "n1", "question": "A?", "answer": "a", "kind": "keep"},
        {"id": "q2", "imageId": "n2", "question": "B?", "answer": "b", "kind": "drop"},
        {"id": "q3", "imageId": "n1", "question": "C?", "answer": "c", "kind": "also"},
    ])
    write_parquet(tmp_path / "data/img/testdev-00000-of-00001.parquet", [
        {"id": "n1", "image": {"bytes": png((5, 7), "blue"), "path": "n1.png"}},
        {"id": "n2", "image": {"bytes": png((9, 9), "green"), "path": "n2.png"}},
        {"id": "n3", "image": {"bytes": png((3, 3)), "path": "n3.png"}},
    ])
    (spec,) = spec_from(tmp_path, JOIN_TASK)
    rows = load_rows(spec.source, tmp_path / "data", task=spec.name)
    samples = build_samples(rows, spec.fields, task=spec.name)
    assert [s.id for s in samples] == ["q1", "q3"]
    image = samples[0].images[0].load()
    assert image.size == (5, 7) and image.getpixel((0, 0)) == (0, 0, 255)
    assert samples[1].cluster == "n1"


def test_join_with_a_missing_key_fails_loudly(tmp_path: Path) -> None:
    write_parquet(tmp_path / "data/q/testdev-00000-of-00001.parquet",
                  [{"id": "q1", "imageId": "nX", "question": "A?", "answer": "a", "kind": "keep"}])
    write_parquet(tmp_path / "data/img/testdev-00000-of-00001.parquet",
                  [{"id": "n1", "image": {"bytes": png((5, 7)), "path": "n1.png"}}])
    (spec,) = spec_from(tmp_path, JOIN_TASK)
    with pytest.raises(DataError, match="imageId"):
        load_rows(spec.source, tmp_path / "data", task=spec.name)


def test_where_on_a_missing_column_names_the_columns(tmp_path: Path) -> None:
    write_parquet(tmp_path / "data/q/testdev-00000-of-00001.parquet",
                  [{"id": "q1", "imageId": "n1", "question": "A?", "answer": "a"}])
    (spec,) = spec_from(tmp_path, JOIN_TASK)
    with pytest.raises(DataError, match="'where' names column 'kind'"):
        load_rows(spec.source, tmp_path / "data", task=spec.name)


# -- fields: repeated ids, protocol overrides ----------------------------------------------------------


OVERRIDE_TASK = """
tasks:
  - name: mc
    output: choice
    source: {local: {format: parquet, path: "mc/test.parquet"}}
    fields:
      id: {column: [question, image], transform: content_id}
      repeated_ids: number
      image: image
      text: {question: question}
      options: options
      target: {column: answer, transform: index_to_letter}
    fewshot:
      source: {local: {format: jsonl, path: "mc/train.jsonl"}}
      fields: {id: qid, image: null, target: answer_text, options: null}
      max_k: 2
    protocols:
      qwen-vl:
        prompt: {template: "<image>{question}\\n{options}\\nAnswer:"}
        extractor: choice_from_losses
        scorer: choice_accuracy
      standard:
        output: generate
        prompt: {template: "<image>{question}{options} Answer:", option_format: "{text}", option_separator: "/"}
        fields:
          target: {column: [options, answer], transform: pick_option}
        scorer: exact_match
"""


def test_protocol_overrides_target_and_output(tmp_path: Path) -> None:
    image = {"bytes": png((8, 8)), "path": "a.png"}
    rows = [
        {"question": "Which?", "options": ["cat", "dog"], "answer": "1", "image": image},
        {"question": "Which?", "options": ["cat", "dog"], "answer": "1", "image": image},  # a verbatim repeat
        {"question": "Other?", "options": ["sun", "moon"], "answer": "0", "image": image},
    ]
    write_parquet(tmp_path / "data/mc/test.parquet", rows)
    (tmp_path / "data/mc/train.jsonl").write_text('{"qid": "t1", "question": "Q?", "answer_text": "yes"}\n'
                                                  '{"qid": "t2", "question": "R?", "answer_text": "no"}\n')
    (spec,) = spec_from(tmp_path, OVERRIDE_TASK)
    assert spec.protocols["qwen-vl"].output == "choice" and spec.protocols["standard"].output == "generate"

    official = load_task(spec, protocol="qwen-vl", num_fewshot=0, limit=None, data_dir=tmp_path / "data")
    ids = [s.id for s in official.samples]
    assert ids[1] == ids[0] + "~2" and len(set(ids)) == 3
    assert [s.target for s in official.samples] == ["B", "B", "A"]

    standard = load_task(spec, protocol="standard", num_fewshot=0, limit=None, data_dir=tmp_path / "data")
    assert [s.target for s in standard.samples] == ["dog", "dog", "sun"]
    prepared = build_prompts(standard, family="qwen-vl", seed=0)
    assert prepared.prompts[ids[0]].render_text() == "<image>Which?cat/dog Answer:"
    assert prepared.sample_key(standard.samples[0], {"name": "m"}, 0) != build_prompts(
        official, family="qwen-vl", seed=0).sample_key(official.samples[0], {"name": "m"}, 0)

    # the few-shot pool has its own schema (fields override) and gives its own answers
    shots = load_task(spec, protocol="standard", num_fewshot=2, limit=1, data_dir=tmp_path / "data")
    assert sorted(s.fewshot_answer for s in shots.pool) == ["no", "yes"]


def test_unknown_join_key_and_bad_where_are_config_errors(tmp_path: Path) -> None:
    bad_join = JOIN_TASK.replace("on_column: imageId", "on: imageId")
    with pytest.raises(ConfigError, match="unknown key"):
        spec_from(tmp_path, bad_join)
    bad_where = JOIN_TASK.replace("where: {kind: [keep, also]}", "where: {kind: []}")
    with pytest.raises(ConfigError, match="non-empty list"):
        spec_from(tmp_path, bad_where)
