"""The one JSON Lines reader: objects line by line, and a bad line named with its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.data.formats import jsonl
from evalkit.errors import DataError, EvalkitError
from evalkit.jsonl import read_objects
from evalkit.report.runs import Run


def test_objects_are_read_in_order_and_blank_lines_skipped(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": 1}\n\n   \n{"id": 2, "text": "b"}\n', encoding="utf-8")
    assert read_objects(path, DataError, "fix it") == [{"id": 1}, {"id": 2, "text": "b"}]


@pytest.mark.parametrize(("line", "message"), [
    ("{broken", "not valid JSON"),
    ("[1, 2]", "each line must be a JSON object, got list"),
])
def test_a_bad_line_is_named_with_its_number_and_the_fix(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": 1}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"rows\.jsonl:2: {message}.*; fix or remove that line"):
        jsonl([path], tmp_path, None)


def test_a_run_samples_file_with_a_non_object_line_says_to_rescore(tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "t.jsonl").write_text('{"id": "a", "error": null}\n"text"\n', encoding="utf-8")
    run = Run(path=tmp_path, root=tmp_path, model="m", source="evalkit", finished="", tasks={})
    with pytest.raises(EvalkitError, match=r"t\.jsonl:2: each line must be a JSON object, got str; rescore the run"):
        run.samples("t")
