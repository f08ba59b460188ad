"""A run's record names evalkit's own files relative to its install, so it reads the same on every machine."""

from __future__ import annotations

from pathlib import Path

from evalkit.results.provenance import INSTALL_ROOT, command_line, portable_path


def test_paths_inside_the_install_are_written_relative_to_it() -> None:
    bundled = INSTALL_ROOT / "evalkit" / "_models" / "qwen-vl-tiny"
    assert portable_path(str(bundled)) == "evalkit/_models/qwen-vl-tiny"
    assert portable_path(str(INSTALL_ROOT / "evalkit" / ".." / "evalkit" / "cli.py")) == "evalkit/cli.py"


def test_other_paths_and_names_are_kept_as_given(tmp_path: Path) -> None:
    own = tmp_path / "data" / "mme.parquet"
    assert portable_path(str(own)) == str(own)  # the user's own data: where it was
    assert portable_path("Qwen/Qwen-VL-Chat") == "Qwen/Qwen-VL-Chat"  # a hub id is not a path here
    assert portable_path("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"


def test_the_command_is_named_by_its_program() -> None:
    assert command_line(["/opt/venv/bin/evalkit", "run", "--tasks", "mme"]) == ["evalkit", "run", "--tasks", "mme"]
    assert command_line([str(INSTALL_ROOT / "evalkit" / "__main__.py"), "run"]) == ["python -m evalkit", "run"]
    assert command_line([]) == []
