"""Local loaders: parquet, JSONL + images, VLMEvalKit TSV, image folders; paths confined to the data root."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from evalkit.data.images import ImageDecodeError
from evalkit.data.samples import build_samples
from evalkit.data.sources import load_local, parse_cell
from evalkit.errors import DataError
from evalkit.tasks.spec import FieldMap, FieldSpec, LocalSource


def png(color: str, size: int = 8) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buf, "PNG")
    return buf.getvalue()


FIELDS = FieldMap(id=FieldSpec("qid"), target=FieldSpec("answer"), image=FieldSpec("image"),
                  text={"question": FieldSpec("question")})


def test_parquet_hf_layout_decodes_lazily(tmp_path: Path) -> None:
    rows = [{"qid": f"q{i}", "image": {"bytes": png(c), "path": None}, "question": "colour?", "answer": c}
            for i, c in enumerate(["red", "blue"])]
    (tmp_path / "d").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "d" / "test.parquet")
    rowset = load_local(LocalSource("parquet", "d/*.parquet"), tmp_path, task="t")
    samples = build_samples(rowset, FIELDS, task="t")
    assert [s.id for s in samples] == ["q0", "q1"]
    assert not samples[0].images[0].is_loaded
    assert samples[1].images[0].load().getpixel((0, 0)) == (0, 0, 255)
    assert samples[0].target == "red" and samples[0].text == {"question": "colour?"}


def test_jsonl_with_relative_image_paths(tmp_path: Path) -> None:
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.png").write_bytes(png("green"))
    (tmp_path / "q.jsonl").write_text(
        json.dumps({"qid": 1, "image": "imgs/a.png", "question": "q", "answer": "x"}) + "\n"
    )
    samples = build_samples(load_local(LocalSource("jsonl", "q.jsonl"), tmp_path, task="t"), FIELDS, task="t")
    assert samples[0].id == "1"
    assert samples[0].images[0].load().getpixel((0, 0)) == (0, 128, 0)


@pytest.mark.parametrize("bad", ["../outside.png", "/etc/hostname", "imgs/../../outside.png"])
def test_paths_escaping_the_data_root_are_refused(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.png").write_bytes(png("red"))
    (root / "q.jsonl").write_text(json.dumps({"qid": 1, "image": bad, "question": "q", "answer": "x"}) + "\n")
    with pytest.raises(DataError, match="escapes the data root"):
        build_samples(load_local(LocalSource("jsonl", "q.jsonl"), root, task="t"), FIELDS, task="t")


def test_local_path_escaping_the_data_root_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="escapes the data root"):
        load_local(LocalSource("jsonl", "../x.jsonl"), tmp_path, task="t")


def test_missing_local_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"local data .*MME/test\.parquet not found .*--data-dir"):
        load_local(LocalSource("parquet", "MME/test.parquet"), tmp_path, task="mme")


def test_tsv_base64_pointer_and_literal_cells(tmp_path: Path) -> None:
    b64 = base64.b64encode(png("blue")).decode()
    lines = ["index\timage\tquestion\tanswer",
             f"10\t{b64}\tq1\t['a', 'b']",
             "11\t10\tq2\tplain"]
    (tmp_path / "b.tsv").write_text("\n".join(lines) + "\n")
    fields = FieldMap(id=FieldSpec("index"), target=FieldSpec("answer"), image=FieldSpec("image"),
                      text={"question": FieldSpec("question")})
    samples = build_samples(load_local(LocalSource("tsv", "b.tsv"), tmp_path, task="t"), fields, task="t")
    assert samples[0].target == ["a", "b"]
    assert samples[1].target == "plain"
    # the second row points at the first row's image by its index
    assert samples[1].images[0].load().getpixel((0, 0)) == (0, 0, 255)


def test_tsv_cell_holding_code_is_never_evaluated(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    code = f"[__import__('os').system('touch {marker}')]"
    assert parse_cell(code) == code  # not a literal: stays text
    (tmp_path / "c.tsv").write_text(
        f"index\timage\tquestion\tanswer\n1\t{base64.b64encode(png('red')).decode()}\tq\t{code}\n"
    )
    fields = FieldMap(id=FieldSpec("index"), target=FieldSpec("answer"), image=FieldSpec("image"))
    samples = build_samples(load_local(LocalSource("tsv", "c.tsv"), tmp_path, task="t"), fields, task="t")
    assert samples[0].target == code
    assert not marker.exists()


def test_imagefolder_with_metadata(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    (folder / "cat").mkdir(parents=True)
    (folder / "cat" / "1.png").write_bytes(png("red"))
    (folder / "metadata.jsonl").write_text(json.dumps({"file_name": "cat/1.png", "caption": "a red square"}) + "\n")
    fields = FieldMap(id=FieldSpec("file_name"), target=FieldSpec("caption"), image=FieldSpec("image"))
    samples = build_samples(load_local(LocalSource("imagefolder", "imgs"), tmp_path, task="t"), fields, task="t")
    assert samples[0].id == "cat/1.png" and samples[0].target == "a red square"


def test_truncated_image_fails_at_decode_with_clear_error(tmp_path: Path) -> None:
    rows = [{"qid": "q0", "image": {"bytes": png("red", 64)[:40], "path": None}, "question": "q", "answer": "a"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "t.parquet")
    (sample,) = build_samples(load_local(LocalSource("parquet", "t.parquet"), tmp_path, task="t"), FIELDS, task="t")
    with pytest.raises(ImageDecodeError, match="cannot be decoded"):
        sample.images[0].load()


def test_duplicate_ids_are_rejected_with_fix(tmp_path: Path) -> None:
    rows = [{"qid": "same", "image": {"bytes": png("red"), "path": None}, "question": "q", "answer": "a"}] * 2
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "t.parquet")
    with pytest.raises(DataError, match="appears twice.*fields.id"):
        build_samples(load_local(LocalSource("parquet", "t.parquet"), tmp_path, task="t"), FIELDS, task="t")


def test_missing_column_lists_the_columns_present(tmp_path: Path) -> None:
    rows = [{"qid": "q", "image": {"bytes": png("red"), "path": None}, "question": "q"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "t.parquet")
    with pytest.raises(
        DataError, match=r"column 'answer' \(for target\) is missing; columns present: image, qid, question"
    ):
        build_samples(load_local(LocalSource("parquet", "t.parquet"), tmp_path, task="t"), FIELDS, task="t")


def test_limit_keeps_pairs_together() -> None:
    from evalkit.data.samples import Sample
    from evalkit.runner.prepare import apply_limit

    samples = [Sample(f"{i // 2}|{i % 2}", i, (), {}, (), None, {"cluster": str(i // 2)}) for i in range(10)]
    chosen = apply_limit(samples, 3)
    assert [s.id for s in chosen] == ["0|0", "0|1", "1|0", "1|1"]
    assert apply_limit(samples, 4) == samples[:4]


def test_uncached_hub_dataset_offline_names_id_and_local_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from evalkit.data import hub
    from evalkit.data.sources import load_rows
    from evalkit.tasks.spec import HubSource, Source

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))
    hub.hub_reachable.cache_clear()
    source = Source(hub=HubSource("lmms-lab-encoder/MME", "test", alt_ids=("lmms-lab/MME",)),
                    local=LocalSource("parquet", "MME/data/test-*.parquet"))
    start = time.monotonic()
    with pytest.raises(DataError) as err:
        load_rows(source, None, task="mme")
    assert time.monotonic() - start < 30
    message = str(err.value)
    assert "lmms-lab-encoder/MME is not cached and the machine is offline" in message
    assert "--data-dir" in message and "MME/data/test-*.parquet" in message
    hub.hub_reachable.cache_clear()
