"""The per-sample journal: append + fsync, keyed resume, torn last line dropped, atomic files."""

from __future__ import annotations

import json
from pathlib import Path

from evalkit.results.files import atomic_write_json
from evalkit.runner.journal import Journal


def rec(i: int, key: str = "k", error: str | None = None) -> dict[str, object]:
    return {"id": f"s{i}", "key": key, "output": f"o{i}", "error": error}


def test_records_round_trip_and_keys_gate_reuse(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as j:
        j.append([rec(0), rec(1)])
        j.append([rec(2, error="model failed: boom")])
    again = Journal(path)
    assert again.get("s0", "k") == rec(0)
    assert again.get("s0", "other-key") is None  # anything that changes the answer changes the key
    assert again.get("s2", "k") is None  # failed samples are retried
    assert again.get("s9", "k") is None


def test_torn_last_line_is_dropped_and_cut(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as j:
        j.append([rec(0), rec(1)])
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"id": "s2", "key": "k", "outp')  # a crash mid-write
    j = Journal(path)
    assert j.dropped_lines == 1
    assert j.get("s2", "k") is None and j.get("s1", "k") == rec(1)
    assert path.read_bytes() == whole  # the tail is cut so the next append starts a fresh line
    j.append([rec(2)])
    j.close()
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == ["s0", "s1", "s2"]


def test_garbage_line_stops_reading_without_parsing_further(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text(json.dumps(rec(0)) + "\n" + "not json\n")
    j = Journal(path)
    assert j.dropped_lines == 1 and j.get("s0", "k") is not None


def test_atomic_write_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "scores.json"
    atomic_write_json(target, {"a": 1})
    try:
        atomic_write_json(target, {"bad": float("nan")})  # strict JSON: refused before replacing
    except ValueError:
        pass
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["scores.json"]
