"""Saving and resuming the training state, and exporting the model in the official Qwen-VL layout.

The training state is plain tensors in a safetensors file (weights and AdamW moments) plus a JSON
file (step and settings), so resuming never unpickles anything. The export is what ``evalkit``
loads: ``config.json``, ``generation_config.json``, ``qwen.tiktoken`` and ``model.safetensors``
with the official parameter names.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from evalkit.errors import ConfigError
from evalkit.models.qwen_vl.network import QwenVLNetwork
from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
from evalkit.tiny.architecture import TinyArchitecture, generation_config_json

STATE_TENSORS = "state.safetensors"
STATE_JSON = "state.json"
# how an export may store its weights; config.json keeps ``"fp32": true`` whichever is chosen, so that the
# loader reads them into float32 as it does the official bf16 checkpoints' (``torch_dtype`` records the storage)
STORED_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def save_state(folder: Path, network: QwenVLNetwork, optimizer: torch.optim.Optimizer, info: dict[str, Any]) -> None:
    """Write the state atomically (a crash while saving leaves the previous state intact)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [name for name, p in network.named_parameters() if p.requires_grad]
    tensors = {f"model/{k}": v.detach().contiguous() for k, v in network.state_dict().items()}
    adam_steps = {}
    for name, parameter in zip(names, _trainable(network)):
        state = optimizer.state.get(parameter, {})
        if state:
            tensors[f"exp_avg/{name}"] = state["exp_avg"].contiguous()
            tensors[f"exp_avg_sq/{name}"] = state["exp_avg_sq"].contiguous()
            adam_steps[name] = float(state["step"])
    tmp_tensors, tmp_json = folder / (STATE_TENSORS + ".tmp"), folder / (STATE_JSON + ".tmp")
    save_file(tensors, str(tmp_tensors))
    tmp_json.write_text(json.dumps({**info, "adam_steps": adam_steps}, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp_tensors, folder / STATE_TENSORS)
    os.replace(tmp_json, folder / STATE_JSON)


def load_state(folder: Path, network: QwenVLNetwork, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Restore weights and AdamW moments saved by ``save_state``; returns the saved info."""
    if not (folder / STATE_JSON).is_file():
        raise ConfigError(f"{folder} holds no training state ({STATE_JSON}); start without --resume")
    info: dict[str, Any] = json.loads((folder / STATE_JSON).read_text(encoding="utf-8"))
    tensors = load_file(str(folder / STATE_TENSORS))
    network.load_state_dict({k.removeprefix("model/"): v for k, v in tensors.items() if k.startswith("model/")})
    names = [name for name, p in network.named_parameters() if p.requires_grad]
    for name, parameter in zip(names, _trainable(network)):
        if name in info["adam_steps"]:
            optimizer.state[parameter] = {
                "step": torch.tensor(info["adam_steps"][name]),
                "exp_avg": tensors[f"exp_avg/{name}"].clone(),
                "exp_avg_sq": tensors[f"exp_avg_sq/{name}"].clone(),
            }
    return info


def _trainable(network: QwenVLNetwork) -> list[torch.nn.Parameter]:
    return [p for p in network.parameters() if p.requires_grad]


def export_checkpoint(
    folder: Path, network: QwenVLNetwork, architecture: TinyArchitecture, tokenizer: QwenTokenizer,
    vocabulary: Path, provenance: dict[str, Any], stored_dtype: str = "fp32",
) -> None:
    """Write the model in the official Qwen-VL layout, its weights stored as ``stored_dtype``
    (``STORED_DTYPES``; fp16 halves the file of float32 and rounds each weight to 11 significant bits)."""
    if stored_dtype not in STORED_DTYPES:
        raise ConfigError(f"stored dtype {stored_dtype!r} is not one of {', '.join(STORED_DTYPES)}")
    dtype = STORED_DTYPES[stored_dtype]
    folder.mkdir(parents=True, exist_ok=True)
    config = architecture.config_json(tokenizer)
    config["torch_dtype"] = str(dtype).removeprefix("torch.")
    config["evalkit_training"] = provenance
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    generation = generation_config_json(tokenizer)
    (folder / "generation_config.json").write_text(json.dumps(generation, indent=2, sort_keys=True) + "\n",
                                                   encoding="utf-8")
    if vocabulary.resolve() != (folder / "qwen.tiktoken").resolve():
        shutil.copyfile(vocabulary, folder / "qwen.tiktoken")
    weights = {k: v.detach().to(dtype).contiguous() for k, v in network.state_dict().items()}
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
