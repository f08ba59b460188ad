"""The committed ``qwen-vl-tiny`` checkpoint: official layout, small, loaded by the Qwen-VL code itself."""

from __future__ import annotations

import json

import evalkit
from evalkit.models.qwen_vl import QwenVL
from evalkit.models.qwen_vl import load as load_qwen_vl
from evalkit.models.registry import registered_models
from evalkit.tiny.bundled import BUNDLED_SOURCE, bundled_folder


def test_bundled_checkpoint_is_in_the_official_layout_and_small() -> None:
    folder = bundled_folder()
    names = {p.name for p in folder.iterdir()}
    assert names == {"config.json", "generation_config.json", "qwen.tiktoken", "model.safetensors"}
    assert sum(p.stat().st_size for p in folder.iterdir()) < 20 * 2**20
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "qwen" and "visual" in config


def test_catalog_name_loads_through_the_qwen_vl_loader() -> None:
    entry = registered_models()["qwen-vl-tiny"]
    assert entry.source == BUNDLED_SOURCE
    model = evalkit.load_model("qwen-vl-tiny", device="cpu")
    assert isinstance(model, QwenVL)
    direct = load_qwen_vl(str(bundled_folder()), device="cpu")
    assert model.identity() == direct.identity()
    assert model.identity().name == "qwen-vl-tiny" and model.identity().backend == "qwen-vl"
    tokenizer = model.tokenizer
    # Special ids follow this vocabulary's own ranks, and the config points at its <img>.
    assert tokenizer.eod_id < 2000 and model.network.config.image_start_id == tokenizer.img_start_id
    assert model.defaults.eos_token_id == tokenizer.eod_id
