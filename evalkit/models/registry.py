"""Named models and the resolution of ``--model NAME|PATH|HUB_ID`` to a loaded ``Model``.

Each entry names the module and function that loads it, so nothing heavy is imported until a
model is actually loaded (``evalkit list models`` stays instant).
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import ModelLoadError, did_you_mean
from evalkit.models.base import Model


@dataclass(frozen=True)
class ModelEntry:
    name: str
    loader: str  # "package.module:function", called as function(source, **model_args)
    source: str  # hub id, local path or served model name handed to the loader
    description: str
    default_args: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(entry: ModelEntry) -> None:
    if entry.name in _REGISTRY:
        raise ValueError(f"model {entry.name!r} is registered twice")
    _REGISTRY[entry.name] = entry


def registered_models() -> dict[str, ModelEntry]:
    _ensure_builtins()
    return dict(_REGISTRY)


def load_model(name_or_path: str, **model_args: Any) -> Model:
    """Resolve a registered name, a local checkpoint folder, ``openai:NAME`` or a hub id."""
    _ensure_builtins()
    if name_or_path in _REGISTRY:
        entry = _REGISTRY[name_or_path]
        return _call(entry.loader, entry.source, {**entry.default_args, **model_args})
    for prefix, loader in _PREFIX_LOADERS.items():
        if name_or_path.startswith(prefix):
            return _call(loader, name_or_path[len(prefix):], model_args)
    path = Path(name_or_path).expanduser()
    if path.exists():
        return _call(_loader_for_folder(path), str(path), model_args)
    if _looks_like_path(name_or_path):
        raise ModelLoadError(
            f"model folder {name_or_path} does not exist; pass an existing checkpoint folder, "
            f"a hub id such as Qwen/Qwen-VL-Chat, or a registered name (evalkit list models)"
        )
    if "/" in name_or_path:
        return _call(_loader_for_hub_id(name_or_path), name_or_path, model_args)
    raise ModelLoadError(
        f"unknown model {name_or_path!r}{did_you_mean(name_or_path, _REGISTRY)} "
        f"(evalkit list models; or pass a checkpoint folder or a hub id)"
    )


_PREFIX_LOADERS: dict[str, str] = {"openai:": "evalkit.models.openai_chat:load"}
_QWEN_VL_LOADER = "evalkit.models.qwen_vl:load"
_HF_LOADER = "evalkit.models.hf:load"


def _loader_for_folder(path: Path) -> str:
    config = path / "config.json"
    if not config.is_file():
        raise ModelLoadError(f"{path} has no config.json; point --model at a checkpoint folder")
    try:
        model_type = json.loads(config.read_text(encoding="utf-8")).get("model_type")
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{config} is not valid JSON: {exc}") from exc
    return _QWEN_VL_LOADER if model_type == "qwen" else _HF_LOADER


def _loader_for_hub_id(hub_id: str) -> str:
    # The original Qwen-VL family (model_type "qwen") goes to our own implementation.
    name = hub_id.split("/")[-1].lower()
    if name.startswith("qwen-vl"):
        return _QWEN_VL_LOADER
    return _HF_LOADER


def _looks_like_path(text: str) -> bool:
    return text.startswith((".", "/", "~")) or text.endswith("/")


def _call(loader: str, source: str, model_args: dict[str, Any]) -> Model:
    module_name, _, func_name = loader.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ModelLoadError(f"the backend {module_name} is not available in this version of evalkit") from exc
        raise ModelLoadError(f"a library the backend {module_name} needs is missing: {exc}") from exc
    return getattr(module, func_name)(source, **model_args)


_BUILTINS_LOADED = False


def _ensure_builtins() -> None:
    global _BUILTINS_LOADED
    if _BUILTINS_LOADED:
        return
    _BUILTINS_LOADED = True
    from evalkit.models import catalog  # noqa: F401  (registers the built-in names)
