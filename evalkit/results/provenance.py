"""What produced a run: versions, commit, command line, times (kept out of the per-sample files)."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from evalkit import __version__

PACKAGES = ("torch", "torchvision", "transformers", "datasets", "pandas", "pycocoevalcap", "tiktoken", "pillow",
            "numpy", "open_clip_torch", "safetensors", "httpx")


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


INSTALL_ROOT = Path(__file__).resolve().parents[2]  # the checkout, or site-packages for an installed wheel


def portable_path(path: str) -> str:
    """An absolute ``path`` inside evalkit's own install (the bundled model, data and task files) written
    relative to it, e.g. ``evalkit/_models/qwen-vl-tiny``, so that a run's record reads the same on every
    machine; any other path or name (a hub id, the user's own data) as given."""
    if not Path(path).is_absolute():
        return path
    try:
        return Path(path).resolve().relative_to(INSTALL_ROOT).as_posix()
    except (ValueError, OSError):
        return path


def command_line(argv: list[str]) -> list[str]:
    """The command that started the run, named by its program rather than the program's location."""
    if not argv:
        return []
    program = Path(argv[0])
    head = f"python -m {program.parent.name}" if program.name == "__main__.py" else program.name
    return [head, *argv[1:]]


def git_commit() -> str | None:
    """The commit of the evalkit checkout, when it runs from one."""
    root = INSTALL_ROOT
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=5)
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def environment() -> dict[str, Any]:
    return {
        "evalkit_version": __version__,
        "git_commit": git_commit(),
        "command": command_line(sys.argv),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
    }
