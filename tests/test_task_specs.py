"""Task spec validation: errors name the file, the key and the fix; unknown names get a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.tasks.registry import parse_file

GOOD = """
defaults:
  source: {local: {format: parquet, path: demo/test.parquet}}
  fields: {id: qid, image: image, text: {question: question}, target: answer}
tasks:
  - name: demo_vqa
    groups: [demo]
    protocols:
      qwen-vl:
        prompt: {template: "<image>{question} Answer:"}
        generation: {max_new_tokens: 10}
        scorer: exact_match
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "family.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_parses_into_typed_spec(tmp_path: Path) -> None:
    (spec,) = parse_file(write(tmp_path, GOOD))
    assert spec.name == "demo_vqa"
    assert spec.groups == ("demo",)
    proto = spec.protocol(None)
    assert proto.name == "qwen-vl" and proto.max_new_tokens == 10 and proto.scorer == "exact_match"
    assert proto.extractor == "strip"  # the documented default for generate tasks
    assert spec.source.local is not None and spec.source.local.format == "parquet"
    assert spec.fields.text["question"].column == "question"


def test_spec_hash_changes_with_content(tmp_path: Path) -> None:
    (a,) = parse_file(write(tmp_path, GOOD))
    (b,) = parse_file(write(tmp_path, GOOD.replace("max_new_tokens: 10", "max_new_tokens: 11")))
    assert a.spec_hash != b.spec_hash


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("scorer: exact_match", "scorer: exact_mach"), "unknown scorer 'exact_mach'; did you mean 'exact_match'?"),
        (("generation: {max_new_tokens: 10}", "generaton: {max_new_tokens: 10}"), "did you mean 'generation'?"),
        (("max_new_tokens: 10", "max_new_tokens: ten"), "must be int"),
        (("format: parquet", "format: parket"), "did you mean 'parquet'?"),
        (("  - name: demo_vqa\n", "  - nam: demo_vqa\n"), "did you mean 'name'?"),
        (("fields: {id: qid, ", "fields: {"), "fields.id"),
        (("qwen-vl:\n", "qwen_vl:\n"), "unknown protocol"),
    ],
)
def test_bad_specs_name_file_key_and_fix(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        parse_file(path)
    message = str(err.value)
    assert str(path) in message
    assert expected in message


def test_malformed_yaml_points_at_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("tasks:\n", "tasks:\n  - [unclosed\n"))
    with pytest.raises(ConfigError, match=r"family\.yaml:\d+:\d+: malformed YAML"):
        parse_file(path)


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("name: demo_vqa", "name: !!python/object/apply:os.system ['echo hi']"))
    with pytest.raises(ConfigError, match="malformed YAML"):
        parse_file(path)


def test_unknown_task_and_group_suggestions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from evalkit.tasks import registry

    write(tmp_path, GOOD)
    monkeypatch.setenv("EVALKIT_TASKS_PATH", str(tmp_path))
    registry.all_tasks.cache_clear()
    try:
        assert registry.resolve_names(["demo"]) == ["demo_vqa"]  # a group expands to its tasks
        with pytest.raises(ConfigError, match="unknown task 'demo_vq'; did you mean 'demo_vqa'"):
            registry.resolve_names(["demo_vq"])
    finally:
        registry.all_tasks.cache_clear()
