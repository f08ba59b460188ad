"""Published numbers (``leaderboard/published.yaml``) that reproduced rows are shown beside.

The file is a list of entries (or a mapping whose ``entries`` key holds that list)::

    - model: Qwen-VL-Chat          # matched to runs by name, ignoring case and punctuation
      task: mme                    # evalkit's task name
      protocol: qwen-vl            # the protocol whose runs reproduce this number
      metric: perception           # metric name as in scores.json
      value: 1487.58
      source: Qwen-VL paper (arXiv:2308.12966), Table 4
      num_fewshot: 0               # optional, default 0
      subtask: existence           # optional: a per-subtask number (MME subtasks, SEED dimensions)
      note: test-dev, not val      # optional: shown under any table that shows the number

Other keys are ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError

_REQUIRED = ("model", "task", "protocol", "metric", "value", "source")


@dataclass(frozen=True)
class PublishedEntry:
    model: str
    task: str
    protocol: str
    metric: str
    value: float
    source: str
    num_fewshot: int = 0
    subtask: str | None = None
    note: str | None = None


def model_key(name: str) -> str:
    """How published and reproduced model names are matched: ``Qwen/Qwen-VL-Chat`` ≡ ``qwen-vl-chat``."""
    last = name.rstrip("/").split("/")[-1]
    return re.sub(r"[^0-9a-z]", "", last.lower())


def parse_published(data: Any, where: str) -> list[PublishedEntry]:
    entries = data.get("entries") if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: expected a list of entries (or a mapping with 'entries'), each with "
                          f"{', '.join(_REQUIRED)}")
    out = []
    seen: dict[tuple[str, str, str, int, str, str | None], int] = {}
    for i, entry in enumerate(entries):
        here = f"{where}: entry {i + 1}"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{here}: must be a mapping with {', '.join(_REQUIRED)}")
        missing = [key for key in _REQUIRED if entry.get(key) in (None, "")]
        if missing:
            raise ConfigError(f"{here}: missing {', '.join(missing)}")
        value = entry["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{here}: value must be a number, got {value!r}")
        shots = entry.get("num_fewshot", 0)
        if isinstance(shots, bool) or not isinstance(shots, int) or shots < 0:
            raise ConfigError(f"{here}: num_fewshot must be a whole number >= 0, got {shots!r}")
        subtask, note = entry.get("subtask"), entry.get("note")
        key = (model_key(str(entry["model"])), str(entry["task"]), str(entry["protocol"]), shots, str(entry["metric"]),
               None if subtask is None else str(subtask))
        if key in seen:
            raise ConfigError(f"{here}: the same number as entry {seen[key] + 1} (model, task, protocol, num_fewshot, "
                              f"metric, subtask); keep one of them")
        seen[key] = i
        out.append(PublishedEntry(
            model=str(entry["model"]), task=str(entry["task"]), protocol=str(entry["protocol"]),
            metric=str(entry["metric"]), value=float(value), source=str(entry["source"]), num_fewshot=shots,
            subtask=str(subtask) if subtask is not None else None, note=str(note) if note else None,
        ))
    return out


def load_published(path: Path) -> list[PublishedEntry]:
    from evalkit.tasks.registry import load_yaml

    if not path.is_file():
        raise ConfigError(f"published numbers file {path} does not exist; pass --published PATH or --no-published")
    return parse_published(load_yaml(path), str(path))
