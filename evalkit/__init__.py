"""evalkit: evaluate vision-language models on the standard benchmarks, reproducibly.

The public entry points are imported lazily so that ``import evalkit`` (and the CLI's
``--help``) stays fast: torch, transformers and datasets load only when a run needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.models.base import Model
    from evalkit.runner.run import RunResult


def run(**settings: Any) -> "RunResult":
    """Run an evaluation; the keyword arguments are those of ``evalkit run`` (see ``RunConfig``)."""
    from evalkit.runner.run import run as _run

    return _run(**settings)


def load_model(name_or_path: str, **model_args: Any) -> "Model":
    """Load a registered model name, a local checkpoint folder or a hub id as an evalkit ``Model``."""
    from evalkit.models.registry import load_model as _load_model

    return _load_model(name_or_path, **model_args)


__all__ = ["__version__", "load_model", "run"]
