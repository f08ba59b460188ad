"""Loading Qwen-VL checkpoints: layouts, dtypes, model args, identity and the errors users see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import evalkit
from evalkit.errors import ConfigError, EvalkitError, ModelLoadError
from evalkit.models.base import Model
from evalkit.models.qwen_vl import QwenVL, load
from evalkit.models.qwen_vl.checkpoint import load_network, weight_files, weights_fingerprint
from evalkit.models.qwen_vl.config import QwenVLConfig, load_config
from evalkit.models.qwen_vl.options import parse_options
from tests.qwen_vl.tiny_checkpoint import recipe_state_dict, tiny_checkpoint, tiny_config, tiny_model, write_checkpoint

SMALL_VOCAB = {"vocab_size": 512}  # enough for network-only tests; a real tokenizer needs 151860


def _small_checkpoint(folder: Path, **overrides: object) -> tuple[Path, dict]:  # type: ignore[type-arg]
    config = {**tiny_config(), **SMALL_VOCAB, **overrides}
    write_checkpoint(folder, recipe_state_dict(config), config, None, shards=2)
    return folder, config


def _prefill_logits(network, ids: list[int]) -> torch.Tensor:  # type: ignore[no-untyped-def]
    batch = torch.tensor([ids])
    with torch.inference_mode():
        cache = network.new_cache(torch.ones_like(batch, dtype=torch.bool), batch.size(1), "per-sample")
        return network.logits(network(batch, cache)[0]).float()


def test_folder_loads_through_evalkit_load_model_as_a_model() -> None:
    model = tiny_model("chatml")
    assert isinstance(model, QwenVL) and isinstance(model, Model)
    assert model.family == "qwen-vl"
    identity = model.identity()
    assert identity.backend == "qwen-vl" and identity.dtype == "float32"
    assert identity.extra["chat_format"] == "chatml" and identity.extra["rope_positions"] == "per-sample"
    assert len(identity.extra["weights_fingerprint"]) == 16
    via_registry = evalkit.load_model(str(tiny_checkpoint("chatml")), device="cpu")
    assert isinstance(via_registry, QwenVL)
    assert via_registry.identity().extra["weights_fingerprint"] == identity.extra["weights_fingerprint"]


def test_bin_shards_load_the_same_weights(tmp_path: Path) -> None:
    folder, config = _small_checkpoint(tmp_path / "st")
    bin_folder = write_checkpoint(tmp_path / "bin", recipe_state_dict(config), config, None, weight_format="bin")
    parsed = QwenVLConfig.from_dict(config)
    a = load_network(folder, parsed, torch.float32, torch.device("cpu"))
    b = load_network(bin_folder, parsed, torch.float32, torch.device("cpu"))
    assert torch.equal(_prefill_logits(a, [1, 2, 3]), _prefill_logits(b, [1, 2, 3]))
    assert [p.name for p in weight_files(bin_folder)] == [
        "pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"
    ]


def test_weight_file_resolution_order(tmp_path: Path) -> None:
    (tmp_path / "pytorch_model.bin").write_bytes(b"")
    assert weight_files(tmp_path) == [tmp_path / "pytorch_model.bin"]
    (tmp_path / "model.safetensors").write_bytes(b"")
    assert weight_files(tmp_path) == [tmp_path / "model.safetensors"]
    (tmp_path / "model.safetensors.index.json").write_text(
        json.dumps({"weight_map": {"a": "model-00001-of-00001.safetensors"}})
    )
    with pytest.raises(ModelLoadError, match="incomplete"):
        weight_files(tmp_path)


def test_bf16_runs_close_to_fp32(tmp_path: Path) -> None:
    folder, config = _small_checkpoint(tmp_path / "ck")
    parsed = QwenVLConfig.from_dict(config)
    fp32 = load_network(folder, parsed, torch.float32, torch.device("cpu"))
    bf16 = load_network(folder, parsed, torch.bfloat16, torch.device("cpu"))
    assert bf16.lm_head.weight.dtype == torch.bfloat16
    assert bf16.transformer.visual.proj.dtype == torch.bfloat16
    ids = list(range(5, 40))
    assert torch.allclose(_prefill_logits(bf16, ids), _prefill_logits(fp32, ids), atol=0.05)


def test_weight_problems_are_named(tmp_path: Path) -> None:
    folder, config = _small_checkpoint(tmp_path / "ck")
    parsed = QwenVLConfig.from_dict(config)
    wider = QwenVLConfig.from_dict({**config, "vocab_size": 600})
    with pytest.raises(ModelLoadError, match=r"lm_head.weight.*shape \(512, 128\).*\(600, 128\)"):
        load_network(folder, wider, torch.float32, torch.device("cpu"))
    state = recipe_state_dict(config)
    del state["transformer.ln_f.weight"]
    write_checkpoint(tmp_path / "missing", state, config, None)
    with pytest.raises(ModelLoadError, match="lacks weights for transformer.ln_f.weight"):
        load_network(tmp_path / "missing", parsed, torch.float32, torch.device("cpu"))
    state = {**recipe_state_dict(config), "transformer.extra.weight": torch.zeros(2)}
    write_checkpoint(tmp_path / "extra", state, config, None)
    with pytest.raises(ModelLoadError, match="transformer.extra.weight"):
        load_network(tmp_path / "extra", parsed, torch.float32, torch.device("cpu"))


def test_fingerprint_tells_fine_tunes_apart(tmp_path: Path) -> None:
    folder, config = _small_checkpoint(tmp_path / "a")
    # A fine-tune moves every weight a little; the fingerprint samples each file, it does not hash it all.
    state = {key: tensor * 1.001 for key, tensor in recipe_state_dict(config).items()}
    tuned = write_checkpoint(tmp_path / "b", state, config, None)
    assert weights_fingerprint(folder) != weights_fingerprint(tuned)
    assert weights_fingerprint(folder) == weights_fingerprint(folder)


def _config_folder(tmp_path: Path, **changes: object) -> Path:
    config = {**tiny_config(), **changes}
    (tmp_path / "config.json").write_text(json.dumps(config))
    return tmp_path


def test_gptq_checkpoint_is_refused(tmp_path: Path) -> None:
    folder = _config_folder(tmp_path, quantization_config={"bits": 4, "quant_method": "gptq"})
    with pytest.raises(ModelLoadError, match="GPTQ-quantized.*not supported.*Qwen/Qwen-VL-Chat"):
        load(str(folder), device="cpu")


def test_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="model_type 'llama'"):
        load_config(_config_folder(tmp_path, model_type="llama"))
    raw = tiny_config()
    del raw["visual"]
    with pytest.raises(ModelLoadError, match="no 'visual' section"):
        QwenVLConfig.from_dict(raw)
    with pytest.raises(ModelLoadError, match="no config.json"):
        load_config(tmp_path / "nothing")
    assert QwenVLConfig.from_dict(tiny_config()).visual.n_queries == 256  # the official checkpoints
    def with_queries(n: int) -> dict[str, object]:
        return {**tiny_config(), "visual": {**tiny_config()["visual"], "n_queries": n}}

    assert QwenVLConfig.from_dict(with_queries(64)).visual.n_queries == 64
    for bad in (0, 15, -4):
        with pytest.raises(ModelLoadError, match=r"n_queries \(.*\) must be a positive square"):
            QwenVLConfig.from_dict(with_queries(bad))


def test_missing_vocabulary_and_weights(tmp_path: Path) -> None:
    folder = _config_folder(tmp_path)
    with pytest.raises(ModelLoadError, match="no qwen.tiktoken"):
        load(str(folder), device="cpu")
    (folder / "qwen.tiktoken").write_bytes((tiny_checkpoint() / "qwen.tiktoken").read_bytes())
    with pytest.raises(ModelLoadError, match="holds no weights"):
        load(str(folder), device="cpu")


def test_model_args_are_checked() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown Qwen-VL model argument 'dtpye'; did you mean 'dtype'\?.*device.*rope_positions"
    ):
        parse_options({"dtpye": "bf16"})
    with pytest.raises(ConfigError, match="dtype='int8'"):
        parse_options({"dtype": "int8"})
    with pytest.raises(ConfigError, match="device='tpu'"):
        parse_options({"device": "tpu"})
    with pytest.raises(ConfigError, match="rope_positions"):
        parse_options({"rope_positions": "absolute"})
    options = parse_options({"dtype": torch.bfloat16, "device": "cpu", "rope_positions": "padded"})
    assert options.dtype == "bf16" and options.rope_positions == "padded"
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no GPU"):
            parse_options({"device": "cuda"})


def test_auto_dtype_follows_the_official_precision_flags() -> None:
    cpu = parse_options({"device": "cpu"})
    assert cpu.torch_dtype(QwenVLConfig.from_dict({**tiny_config(), "fp32": False})) == torch.float32
    assert cpu.torch_dtype(QwenVLConfig.from_dict({**tiny_config(), "fp32": False, "bf16": True})) == torch.bfloat16
    assert (
        parse_options({"device": "cpu", "dtype": "fp16"}).torch_dtype(QwenVLConfig.from_dict(tiny_config()))
        == torch.float16
    )


def test_offline_hub_id_gives_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    def offline(*args: object, **kwargs: object) -> str:
        raise LocalEntryNotFoundError("Cannot find the requested files in the disk cache\nand outgoing traffic is off.")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(ModelLoadError) as caught:
        evalkit.load_model("qwen-vl-chat", device="cpu")
    message = str(caught.value)
    assert "\n" not in message
    assert "Qwen/Qwen-VL-Chat" in message and "--model /path/to/" in message
    assert isinstance(caught.value, EvalkitError)


def test_hub_gptq_checkpoint_is_refused_before_its_weights_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub

    snapshot = _config_folder(tmp_path, quantization_config={"bits": 4, "quant_method": "gptq"})
    asked: list[list[str]] = []

    def cached(repo_id: str, allow_patterns: list[str]) -> str:
        asked.append(allow_patterns)
        return str(snapshot)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", cached)
    with pytest.raises(ModelLoadError, match="not supported"):
        evalkit.load_model("Qwen/Qwen-VL-Chat-Int4", device="cpu")
    assert asked == [["*.json", "*.tiktoken"]]


def test_hub_id_loads_from_the_hub_cache_with_its_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    snapshot = tmp_path / "models--Qwen--Qwen-VL-Chat" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    for item in tiny_checkpoint().iterdir():
        (snapshot / item.name).symlink_to(item)
    asked: list[list[str]] = []

    def cached(repo_id: str, allow_patterns: list[str]) -> str:
        assert repo_id == "Qwen/Qwen-VL-Chat"
        asked.append(allow_patterns)
        return str(snapshot)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", cached)
    model = evalkit.load_model("qwen-vl-chat", device="cpu")
    identity = model.identity()
    assert (identity.name, identity.source, identity.revision) == ("Qwen/Qwen-VL-Chat", "Qwen/Qwen-VL-Chat", "0123abcd")
    assert asked[1] == ["*.json", "*.tiktoken", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
