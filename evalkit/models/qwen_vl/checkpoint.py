"""Find a Qwen-VL checkpoint (local folder or hub id) and load its weights into ``QwenVLNetwork``.

A checkpoint in the official layout holds ``config.json``, ``generation_config.json``,
``qwen.tiktoken`` and the weights: ``model.safetensors.index.json`` with its shards, a single
``model.safetensors``, or the same as ``pytorch_model*.bin``. Keys are the official names; tensors
are cast to the requested dtype as they are read. ``.bin`` files are read with
``torch.load(weights_only=True)``, which refuses anything but tensors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from evalkit.errors import ModelLoadError
from evalkit.models.qwen_vl.config import QwenVLConfig, read_json
from evalkit.models.qwen_vl.network import QwenVLNetwork

WEIGHT_LAYOUTS = (
    ("model.safetensors.index.json", "model.safetensors"),
    ("pytorch_model.bin.index.json", "pytorch_model.bin"),
)
# Buffers that older exports of the official model saved and that are recomputed, not loaded.
IGNORED_KEY_SUFFIXES = ("attn.masked_bias", "attn.bias", "rotary_emb.inv_freq")
HUB_PATTERNS = ["*.json", "*.tiktoken"]


@dataclass(frozen=True)
class CheckpointFolder:
    """A resolved checkpoint: its folder, where it came from, and its hub commit when known."""

    folder: Path
    source: str
    revision: str | None
    hub_id: str | None = None


def resolve(source: str) -> CheckpointFolder:
    """A local folder as it is; for a hub id (``Qwen/Qwen-VL-Chat``) its configs and vocabulary only.

    Weights of a hub checkpoint come with ``fetch_weights``, once its config has been accepted (a
    quantized checkpoint is refused before gigabytes are downloaded).
    """
    path = Path(source).expanduser()
    if path.is_dir():
        return CheckpointFolder(path.resolve(), source, None)
    if path.exists():
        raise ModelLoadError(f"{source} is a file; pass the checkpoint folder that holds config.json")
    if source.count("/") != 1 or source.startswith((".", "/", "~")):
        raise ModelLoadError(
            f"model folder {source} does not exist; pass a checkpoint folder or a hub id such as Qwen/Qwen-VL-Chat"
        )
    folder = _download(source, HUB_PATTERNS)
    revision = folder.name if folder.parent.name == "snapshots" else None
    return CheckpointFolder(folder, source, revision, hub_id=source)


def fetch_weights(checkpoint: CheckpointFolder) -> Path:
    """The folder with the weight files present (downloaded into the hub cache for a hub id)."""
    if checkpoint.hub_id is None:
        return checkpoint.folder
    return _download(checkpoint.hub_id, HUB_PATTERNS + _weight_patterns(checkpoint.folder))


def _download(hub_id: str, patterns: list[str]) -> Path:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(hub_id, allow_patterns=patterns))
    except Exception as exc:  # the hub client raises many types for "offline", "gated", "missing"
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelLoadError(
            f"cannot get {hub_id} from the Hugging Face hub or its local cache ({type(exc).__name__}: {reason}); "
            f"download it where there is network (huggingface-cli download {hub_id}) and pass "
            f"--model /path/to/that/folder, or set HF_HOME to a cache that holds it"
        ) from None


def _weight_patterns(folder: Path) -> list[str]:
    for index_name, single in WEIGHT_LAYOUTS:
        if (folder / index_name).is_file():
            return sorted(set(read_json(folder / index_name).get("weight_map", {}).values()))
    return [single for _, single in WEIGHT_LAYOUTS]


def weight_files(folder: Path) -> list[Path]:
    """The weight files of ``folder``, safetensors first, as its index lists them."""
    for index_name, single in WEIGHT_LAYOUTS:
        index_path = folder / index_name
        if index_path.is_file():
            weight_map = read_json(index_path).get("weight_map")
            if not isinstance(weight_map, dict) or not weight_map:
                raise ModelLoadError(f"{index_path} has no weight_map")
            files = [folder / name for name in sorted(set(weight_map.values()))]
            missing = [f.name for f in files if not f.is_file()]
            if missing:
                raise ModelLoadError(
                    f"{folder} lacks {', '.join(missing)} listed in {index_name}; the download is incomplete"
                )
            return files
        if (folder / single).is_file():
            return [folder / single]
    expected = ", ".join(name for layout in WEIGHT_LAYOUTS for name in layout)
    raise ModelLoadError(f"{folder} holds no weights: expected one of {expected}")


def _read_tensors(path: Path) -> Iterator[tuple[str, torch.Tensor]]:
    if path.suffix == ".safetensors":
        from safetensors import safe_open

        with safe_open(str(path), framework="pt", device="cpu") as handle:
            for key in handle.keys():
                yield key, handle.get_tensor(key)
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ModelLoadError(f"{path} is not a readable torch weights file: {exc}") from exc
        yield from state.items()


def load_network(folder: Path, config: QwenVLConfig, dtype: torch.dtype, device: torch.device) -> QwenVLNetwork:
    """Build the network without allocating it, then fill it from the checkpoint's tensors."""
    with torch.device("meta"):
        network = QwenVLNetwork(config)
    expected = {key: tensor.shape for key, tensor in network.state_dict().items()}
    state: dict[str, torch.Tensor] = {}
    for path in weight_files(folder):
        for key, tensor in _read_tensors(path):
            if key not in expected:
                if key.endswith(IGNORED_KEY_SUFFIXES):
                    continue
                raise ModelLoadError(
                    f"{path.name} holds {key!r}, which Qwen-VL does not have: "
                    f"the checkpoint is not in the official Qwen-VL layout (or it is quantized)"
                )
            if tensor.shape != expected[key]:
                raise ModelLoadError(
                    f"{key} in {path.name} has shape {tuple(tensor.shape)} "
                    f"but config.json implies {tuple(expected[key])}"
                )
            state[key] = tensor.to(device=device, dtype=dtype)
    missing = [key for key in expected if key not in state]
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise ModelLoadError(f"{folder} lacks weights for {shown}; the checkpoint is incomplete or not Qwen-VL")
    network.load_state_dict(state, assign=True)
    network.requires_grad_(False)
    return network.train(False)


def weights_fingerprint(folder: Path) -> str:
    """A cheap identity of the weights: configs, index and a sample of every weight file's bytes.

    Reading 16 chunks of 64 KiB spread over each file tells fine-tunes of the same shape apart
    without hashing gigabytes.
    """
    digest = hashlib.sha256()
    for name in ("config.json", "generation_config.json", *(index for index, _ in WEIGHT_LAYOUTS)):
        path = folder / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    for path in weight_files(folder):
        size = path.stat().st_size
        digest.update(f"{path.name}:{size}".encode())
        with path.open("rb") as handle:
            for i in range(16):
                handle.seek(size * i // 16)
                digest.update(handle.read(1 << 16))
    return digest.hexdigest()[:16]

