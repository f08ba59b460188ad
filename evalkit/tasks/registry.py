"""Finds task specs: ``tasks/*.yaml`` of a source checkout or of the installed wheel, plus any
folders listed in ``EVALKIT_TASKS_PATH`` (``os.pathsep``-separated) for users' own tasks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError, did_you_mean
from evalkit.tasks.parse import parse_task
from evalkit.tasks.spec import TaskSpec

_FILE_KEYS = frozenset({"defaults", "tasks"})


def task_dirs() -> list[Path]:
    dirs: list[Path] = []
    for entry in os.environ.get("EVALKIT_TASKS_PATH", "").split(os.pathsep):
        if entry:
            dirs.append(Path(entry).expanduser())
    package = Path(__file__).resolve().parents[1]
    checkout = package.parent / "tasks"
    if (package.parent / "pyproject.toml").is_file() and checkout.is_dir():
        dirs.append(checkout)
    else:
        dirs.append(package / "_builtin" / "tasks")
    return dirs


def load_yaml(path: Path) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=loader)  # safe loader: no code is ever constructed from YAML
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(
            f"{where}: malformed YAML: {getattr(exc, 'problem', None) or exc}; fix the syntax there"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc


def _merge(defaults: Mapping[str, Any], task: Mapping[str, Any]) -> dict[str, Any]:
    """One level deep: a mapping key present in both is updated, anything else replaced."""
    merged: dict[str, Any] = dict(defaults)
    for key, value in task.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def parse_file(path: Path) -> list[TaskSpec]:
    data = load_yaml(path)
    where = str(path)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: a task file is a mapping with 'tasks' (and optional 'defaults')")
    for key in data:
        if key not in _FILE_KEYS:
            raise ConfigError(f"{where}: unknown top-level key '{key}'{did_you_mean(str(key), _FILE_KEYS)} "
                              f"(a task file has 'defaults' and 'tasks')")
    defaults = data.get("defaults") or {}
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise ConfigError(f"{where}: key 'tasks' must be a non-empty list of task mappings")
    if not isinstance(defaults, Mapping):
        raise ConfigError(f"{where}: key 'defaults' must be a mapping")
    specs = []
    for i, entry in enumerate(tasks):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}: tasks[{i}] must be a mapping")
        specs.append(parse_task(_merge(defaults, entry), where))
    return specs


@lru_cache(maxsize=1)
def all_tasks() -> dict[str, TaskSpec]:
    found: dict[str, TaskSpec] = {}
    for folder in task_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            for spec in parse_file(path):
                if spec.name in found:
                    raise ConfigError(
                        f"task {spec.name!r} is defined twice: in {found[spec.name].file} and {spec.file}"
                    )
                found[spec.name] = spec
    return found


def groups() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for spec in all_tasks().values():
        for group in spec.groups:
            out.setdefault(group, []).append(spec.name)
    return out


def get_task(name: str) -> TaskSpec:
    tasks = all_tasks()
    if name not in tasks:
        raise ConfigError(
            f"unknown task {name!r}{did_you_mean(name, list(tasks) + list(groups()))} (evalkit list tasks)"
        )
    return tasks[name]


def resolve_names(names: list[str]) -> list[str]:
    """Expand group names into their tasks, keep order, drop duplicates, reject unknown names."""
    tasks, by_group = all_tasks(), groups()
    out: list[str] = []
    for name in names:
        members = [name] if name in tasks else by_group.get(name)
        if members is None:
            raise ConfigError(
                f"unknown task {name!r}{did_you_mean(name, list(tasks) + list(by_group))} (evalkit list tasks)"
            )
        out.extend(m for m in members if m not in out)
    return out
