"""The committed ``qwen-vl-tiny`` checkpoint and its loader (the catalog's ``qwen-vl-tiny``).

The folder is in the official Qwen-VL layout and is loaded by the same code as the real Qwen-VL
(``evalkit.models.qwen_vl.load``); this module only finds it inside the installed package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalkit.errors import ModelLoadError

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_SOURCE = "_models/qwen-vl-tiny"  # relative to the installed ``evalkit`` package


def bundled_folder(source: str = BUNDLED_SOURCE) -> Path:
    """The checkpoint folder that ``source`` (relative to the ``evalkit`` package) names."""
    folder = PACKAGE_ROOT / source
    if not (folder / "config.json").is_file():
        raise ModelLoadError(
            f"the bundled checkpoint {folder} is missing or incomplete; reinstall evalkit, or rebuild it with "
            f"python -m evalkit.tiny.train --work-dir <dir> --export {folder}"
        )
    return folder


def load(source: str = BUNDLED_SOURCE, **model_args: Any) -> Any:
    """``qwen-vl-tiny`` through the Qwen-VL loader; ``model_args`` as for any Qwen-VL checkpoint."""
    from evalkit.models.qwen_vl import load as load_qwen_vl

    return load_qwen_vl(str(bundled_folder(source)), **model_args)
