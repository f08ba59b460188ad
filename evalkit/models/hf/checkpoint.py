"""Finding a Hugging Face checkpoint on disk and fingerprinting it.

A hub id is resolved to a folder of the local hub cache first (downloading it unless the machine
is offline); everything after that loads from the folder alone. Resolving it ourselves gives the
exact commit that was loaded and one clear error when a model is not available, instead of a
traceback from deep inside ``from_pretrained``.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from evalkit.errors import ModelLoadError

# What a checkpoint needs: configs, tokenizer and chat-template files, and the weights. Only
# safetensors weights are fetched and loaded: ``.bin`` files are pickles, which evalkit never opens.
_CHECKPOINT_PATTERNS = ["*.json", "*.safetensors", "*.jinja", "*.txt", "*.model", "*.tiktoken"]
_REMOTE_CODE_PATTERNS = ["*.py"]

# Files whose contents decide a model's answers besides its weights (hashed whole; all are small
# except tokenizer.json, a few MB at most).
_METADATA_SUFFIXES = (".json", ".jinja", ".txt", ".model", ".tiktoken")
# From each weight file the fingerprint reads this much at the start (the safetensors header and
# the first tensors) and at the end: cheap, yet different for any two independently trained models.
_WEIGHT_SAMPLE_BYTES = 1 << 20

_TRUE_ENV = {"1", "ON", "YES", "TRUE"}


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint folder and where it came from."""

    folder: Path
    source: str
    from_hub: bool
    commit: str | None = None


def hub_is_offline() -> bool:
    """Whether hub access is switched off, read from the environment at call time.

    ``huggingface_hub`` reads ``HF_HUB_OFFLINE`` once, at import; reading it again here lets a
    setting made later in the process (a notebook, a test) still take effect.
    """
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return env.strip().upper() in _TRUE_ENV or bool(constants.HF_HUB_OFFLINE)


def resolve_checkpoint(source: str, revision: str | None, trust_remote_code: bool) -> Checkpoint:
    """Return the local folder of ``source``: an existing folder, or a hub id fetched into the cache."""
    path = Path(source).expanduser()
    if path.is_dir():
        if revision is not None:
            raise ModelLoadError(
                f"revision={revision} was given but {source} is a local folder, which has no revisions; "
                f"drop the revision or pass a hub id"
            )
        _require_safetensors(path, source)
        folder = path.resolve()
        return Checkpoint(folder=folder, source=source, from_hub=False, commit=_commit_of_snapshot(folder))
    return _resolve_hub_id(source, revision, trust_remote_code)


def _resolve_hub_id(hub_id: str, revision: str | None, trust_remote_code: bool) -> Checkpoint:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import EntryNotFoundError, HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(hub_id)
    except HFValidationError:
        raise ModelLoadError(
            f"{hub_id!r} is neither an existing folder nor a valid hub id (owner/name); "
            f"pass a checkpoint folder or a hub id such as Qwen/Qwen2-VL-2B-Instruct"
        ) from None
    offline = hub_is_offline()
    patterns = _CHECKPOINT_PATTERNS + (_REMOTE_CODE_PATTERNS if trust_remote_code else [])
    at_revision = f" at revision {revision}" if revision else ""
    try:
        folder = Path(snapshot_download(hub_id, revision=revision, allow_patterns=patterns, local_files_only=offline))
    except (OSError, ValueError, EntryNotFoundError) as exc:
        if offline:
            raise ModelLoadError(
                f"model {hub_id}{at_revision} is not in the local hub cache and hub access is off (HF_HUB_OFFLINE); "
                f"download it on a connected machine (hf download {hub_id}) and set HF_HOME to that "
                f"cache, or pass the checkpoint folder itself as --model /path/to/folder"
            ) from None
        raise ModelLoadError(
            f"model {hub_id}{at_revision} could not be fetched from the Hugging Face hub "
            f"({type(exc).__name__}: {_first_line(exc)}); check the id and your connection, or pass a local "
            f"checkpoint folder as --model /path/to/folder"
        ) from None
    _require_safetensors(folder, hub_id)
    return Checkpoint(folder=folder, source=hub_id, from_hub=True, commit=_commit_of_snapshot(folder))


def _require_safetensors(folder: Path, source: str) -> None:
    if not (folder / "config.json").is_file():
        raise ModelLoadError(f"{source} has no config.json; point --model at a Hugging Face checkpoint folder")
    if not any(folder.glob("*.safetensors")):
        raise ModelLoadError(
            f"{source} has no .safetensors weights; evalkit does not load pickled .bin weights. "
            f"Convert the checkpoint with save_pretrained(..., safe_serialization=True) and pass that folder"
        )


def _commit_of_snapshot(folder: Path) -> str | None:
    # The hub cache lays snapshots out as .../snapshots/<40-hex commit>/.
    name = folder.name
    if folder.parent.name == "snapshots" and len(name) == 40 and all(c in "0123456789abcdef" for c in name):
        return name
    return None


def weights_fingerprint(folder: Path) -> str:
    """A cheap sha256 identifying a checkpoint folder's contents, wherever it lies.

    Hashes the small metadata files whole (configs, tokenizer, chat template) and, for every
    safetensors file, its name, size and its first and last MiB. It is not a full hash of the
    weights: it tells checkpoints apart, it does not prove a file intact.
    """
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        if path.suffix == ".safetensors":
            size = path.stat().st_size
            digest.update(f"{path.name}\0{size}\0".encode())
            with path.open("rb") as handle:
                digest.update(handle.read(_WEIGHT_SAMPLE_BYTES))
                handle.seek(max(0, size - _WEIGHT_SAMPLE_BYTES))
                digest.update(handle.read(_WEIGHT_SAMPLE_BYTES))
        elif path.suffix in _METADATA_SUFFIXES:
            digest.update(f"{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no details"
