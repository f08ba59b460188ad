"""Run settings: one validated ``RunConfig`` whether they come from flags, a suite YAML or Python."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError, did_you_mean

DEFAULT_SUITE = "quickstart"  # `evalkit run` with no tasks: configs/quickstart.yaml (offline)
DEFAULT_MODEL = "qwen-vl-chat"  # `evalkit run --tasks ...` without --model


@dataclass(frozen=True)
class TaskRequest:
    """A task of a run, with optional per-task overrides (a suite may give each task its own shots)."""

    name: str
    protocol: str | None = None
    num_fewshot: int | None = None
    limit: int | None = None


@dataclass(frozen=True)
class RunConfig:
    tasks: tuple[TaskRequest, ...] = ()
    model: str | None = None
    model_args: dict[str, Any] = field(default_factory=dict)
    protocol: str | None = None  # None: each task's default protocol
    num_fewshot: int = 0
    limit: int | None = None
    batch_size: int = 8
    seed: int = 1234
    output_dir: str = "results"
    device: str | None = None
    data_dir: str | None = None
    run_id: str | None = None
    resume: str | None = None
    judge: str | None = None
    judge_args: dict[str, Any] = field(default_factory=dict)
    config_file: str | None = None

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.num_fewshot < 0:
            raise ConfigError(f"--num-fewshot must be 0 or more, got {self.num_fewshot}")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"--limit must be at least 1, got {self.limit}")
        if self.device not in (None, "cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise ConfigError(f"--device must be cpu or cuda, got {self.device!r}")

    def settings_hash(self) -> str:
        """Identifies what a run computes (not where it writes): the default run id."""
        keep = {k: v for k, v in asdict(self).items() if k not in ("output_dir", "run_id", "resume", "config_file")}
        return hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()[:10]


def parse_kv(text: str | Mapping[str, Any] | None, flag: str) -> dict[str, Any]:
    """``k=v,k2=v2`` → dict (values stay strings; backends convert what they read)."""
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return dict(text)
    out: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} takes k=v pairs separated by commas, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _task_requests(value: Any, where: str) -> tuple[TaskRequest, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(TaskRequest(name=n.strip()) for n in value.split(",") if n.strip())
    if not isinstance(value, list):
        raise ConfigError(f"{where}: 'tasks' must be a comma-separated string or a list")
    out = []
    allowed = {f.name for f in fields(TaskRequest)}
    for i, entry in enumerate(value):
        if isinstance(entry, str):
            out.append(TaskRequest(name=entry))
        elif isinstance(entry, Mapping):
            for key in entry:
                if key not in allowed:
                    raise ConfigError(f"{where}: tasks[{i}]: unknown key {key!r}{did_you_mean(str(key), allowed)}")
            if "name" not in entry:
                raise ConfigError(f"{where}: tasks[{i}] needs a 'name'")
            out.append(TaskRequest(**{k: entry[k] for k in entry}))
        else:
            raise ConfigError(f"{where}: tasks[{i}] must be a task name or a mapping with 'name'")
    return tuple(out)


_FIELD_TYPES = {f.name: f.type for f in fields(RunConfig)}


def build_config(settings: Mapping[str, Any], config_file: str | Path | None = None) -> RunConfig:
    """Merge a suite YAML (if any) with explicit settings; explicit ones win. Unknown keys are errors."""
    merged: dict[str, Any] = {}
    if config_file is not None:
        merged.update(_read_suite(Path(config_file)))
        merged["config_file"] = str(config_file)
    merged.update({k: v for k, v in settings.items() if v is not None})
    allowed = set(_FIELD_TYPES)
    for key in merged:
        if key not in allowed:
            raise ConfigError(f"unknown run setting {key!r}{did_you_mean(key, allowed)}")
    where = str(config_file or "settings")
    merged["tasks"] = _task_requests(merged.get("tasks"), where)
    merged["model_args"] = parse_kv(merged.get("model_args"), "--model-args")
    merged["judge_args"] = parse_kv(merged.get("judge_args"), "--judge-args")
    for key in ("num_fewshot", "batch_size", "seed", "limit"):
        if key in merged and merged[key] is not None and not isinstance(merged[key], int):
            try:
                merged[key] = int(merged[key])
            except (TypeError, ValueError):
                raise ConfigError(f"{where}: {key} must be a whole number, got {merged[key]!r}") from None
    return RunConfig(**merged)


def _read_suite(path: Path) -> dict[str, Any]:
    from evalkit.tasks.registry import load_yaml

    if not path.is_file():
        from evalkit.tasks.registry import task_dirs

        builtin = task_dirs()[-1].parent / "configs" / path.name
        candidates = [builtin, builtin.with_suffix(".yaml")]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise ConfigError(f"config file {path} not found (ready-made suites live in configs/)")
        path = found
    data = load_yaml(path)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: a suite config is a mapping of run settings (tasks, model, protocol, …)")
    data = dict(data)
    data.pop("description", None)
    return data


def with_overrides(config: RunConfig, **changes: Any) -> RunConfig:
    return replace(config, **changes)
