"""Result files of other harnesses (lmms-eval, VLMEvalKit) as evalkit run folders, marked with their source."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evalkit.errors import ConfigError

SOURCES = ("lmms-eval", "vlmevalkit")


def import_results(
    source: str, files: Sequence[Path], out: Path, *, model: str | None = None
) -> tuple[list[Path], list[str]]:
    """Import ``files`` written by ``source``; returns the run folders written and any warnings.

    lmms-eval: each results file becomes one run. VLMEvalKit: the score files (one per benchmark) of
    one model become one run.
    """
    if source == "lmms-eval":
        from evalkit.report.importers import lmms_eval

        roots, warnings = [], []
        for path in files:
            root, found = lmms_eval.import_file(path, out, model=model)
            roots.append(root)
            warnings += found
        return roots, warnings
    if source == "vlmevalkit":
        from evalkit.report.importers import vlmevalkit

        root, warnings = vlmevalkit.import_files(files, out, model=model)
        return [root], warnings
    raise ConfigError(f"unknown source {source!r}; evalkit imports {' or '.join(SOURCES)}")
