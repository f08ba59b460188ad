"""The Hugging Face backend on a tiny random Qwen2-VL checkpoint in the official layout.

Every expectation is computed independently, with transformers used directly: the chat-template
text, greedy decoding by repeated forward passes, and continuation losses from one unpadded
forward pass over prompt plus continuation.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

import evalkit
from evalkit.data.images import LazyImage
from evalkit.errors import ConfigError, EvalkitError, ModelLoadError
from evalkit.models.base import (
    GenerateRequest,
    GenerationSettings,
    LoglikelihoodRequest,
    Model,
)
from evalkit.models.hf.checkpoint import weights_fingerprint
from evalkit.models.hf.model import HFModel, _continuation_length
from evalkit.models.hf.options import parse_model_args
from evalkit.models.hf.render import render_prompt
from evalkit.prompts.types import ImagePart, Prompt, TextPart, Turn
from tests.tiny_qwen2vl import build_tiny_qwen2_vl

# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_qwen2_vl(tmp_path_factory.mktemp("models") / "tiny-qwen2-vl", seed=0)


@pytest.fixture(scope="module")
def model(tiny_folder: Path) -> HFModel:
    loaded = evalkit.load_model(str(tiny_folder), device="cpu")
    assert isinstance(loaded, HFModel)
    return loaded


@pytest.fixture(scope="module")
def reference(tiny_folder: Path) -> tuple[Any, Any]:
    """The same checkpoint loaded with transformers alone, for hand computations."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny_folder)
    hf_model = AutoModelForImageTextToText.from_pretrained(tiny_folder, dtype=torch.float32).eval()
    return hf_model, processor


@pytest.fixture(scope="module")
def eager_to_end_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny checkpoint that answers <|im_end|> at once unless ``min_new_tokens`` holds it back.

    The final hidden states of the random model share a direction on which the <|im_end|> row of
    the output layer is negative; that row flipped and scaled up wins every step.
    """
    from safetensors.torch import load_file, save_file

    folder = build_tiny_qwen2_vl(tmp_path_factory.mktemp("models") / "eager-to-end", seed=0)
    weights = load_file(folder / "model.safetensors")
    im_end = json.loads((folder / "config.json").read_text())["text_config"]["eos_token_id"]
    weights["lm_head.weight"][im_end] *= -60.0
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    return folder


def _image(key: str, size: tuple[int, int], color: tuple[int, int, int]) -> LazyImage:
    from PIL import Image

    image = Image.new("RGB", size, color)
    for x in range(0, size[0], 8):  # a stripe pattern, so that the patches differ
        for y in range(size[1]):
            image.putpixel((x, y), (255 - color[0], 255 - color[1], 255 - color[2]))
    return LazyImage(key, image)


RED = _image("red", (64, 64), (200, 30, 30))
GREEN = _image("green", (80, 48), (20, 160, 40))


def _prompts() -> list[Prompt]:
    return [
        Prompt.raw(ImagePart(RED), TextPart("What is in the image?")),
        Prompt(
            turns=(Turn("user", (TextPart("Describe"), ImagePart(GREEN), TextPart(" the image in English:"))),),
            style="chat",
            system="You are a careful assistant.",
        ),
        Prompt(
            turns=(
                Turn("user", (TextPart("How many dogs are there?"),)),
                Turn("assistant", (TextPart("Two."),)),
                Turn("user", (TextPart("And cats? Please answer with one long sentence about the mat."),)),
            ),
            style="chat",
        ),
    ]


def _messages(prompt_index: int) -> list[dict[str, object]]:
    """The messages of ``_prompts()[prompt_index]``, written out by hand."""
    image = {"type": "image"}
    if prompt_index == 0:
        return [{"role": "user", "content": [image, {"type": "text", "text": "What is in the image?"}]}]
    if prompt_index == 1:
        return [
            {"role": "system", "content": [{"type": "text", "text": "You are a careful assistant."}]},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Describe"},
                    image,
                    {"type": "text", "text": " the image in English:"},
                ],
            },
        ]
    raise ValueError(prompt_index)


# ---------------------------------------------------------------- loading and identity


def test_folder_loads_through_the_registry_as_an_hf_chat_model(model: HFModel, tiny_folder: Path) -> None:
    assert isinstance(model, Model)
    assert model.family == "chat"
    identity = model.identity()
    assert (identity.name, identity.backend, identity.source) == ("tiny-qwen2-vl", "hf", str(tiny_folder))
    assert identity.revision is None
    assert identity.dtype == "float32"
    assert identity.extra["model_type"] == "qwen2_vl"
    assert identity.extra["weights_sha256"] == weights_fingerprint(tiny_folder)


def test_weights_fingerprint_tells_seeds_apart_but_not_folders(tiny_folder: Path, tmp_path: Path) -> None:
    same = build_tiny_qwen2_vl(tmp_path / "same", seed=0)
    other = build_tiny_qwen2_vl(tmp_path / "other", seed=1)
    assert weights_fingerprint(same) == weights_fingerprint(tiny_folder)
    assert weights_fingerprint(other) != weights_fingerprint(tiny_folder)
    assert len(weights_fingerprint(other)) == 64


def test_unknown_model_arg_names_the_known_ones(tiny_folder: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        evalkit.load_model(str(tiny_folder), devcie="cpu")
    message = str(caught.value)
    assert "'devcie'" in message and "did you mean 'device'" in message
    for known in ("dtype", "revision", "attn_implementation", "trust_remote_code", "max_pixels"):
        assert known in message


def test_model_args_from_the_command_line_are_typed() -> None:
    args = parse_model_args(
        {"dtype": "bfloat16", "device": "CUDA:1", "trust_remote_code": "true", "max_pixels": "12544"}
    )
    assert (args.dtype, args.device, args.trust_remote_code, args.max_pixels) == ("bf16", "cuda:1", True, 12544)
    assert parse_model_args({}).resolved(cuda_available=False).dtype == "fp32"
    assert parse_model_args({}).resolved(cuda_available=True).device == "cuda"
    for bad in ({"dtype": "fp8"}, {"trust_remote_code": "maybe"}, {"max_pixels": "-3"}, {"device": "tpu"}):
        with pytest.raises(ConfigError):
            parse_model_args(bad)
    with pytest.raises(ConfigError, match="device=cpu"):
        parse_model_args({"device": "cuda"}).resolved(cuda_available=False)


def test_uncached_hub_id_offline_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(ModelLoadError) as caught:
        evalkit.load_model("evalkit-tests/no-such-vl-model")
    message = str(caught.value)
    assert "evalkit-tests/no-such-vl-model" in message
    assert "HF_HUB_OFFLINE" in message and "--model /path/to/folder" in message


def test_folder_without_safetensors_weights_is_refused(tiny_folder: Path, tmp_path: Path) -> None:
    shutil.copy(tiny_folder / "config.json", tmp_path / "config.json")
    with pytest.raises(ModelLoadError, match="no .safetensors weights"):
        evalkit.load_model(str(tmp_path))


def test_revision_of_a_local_folder_is_refused(tiny_folder: Path) -> None:
    with pytest.raises(ModelLoadError, match="local folder"):
        evalkit.load_model(str(tiny_folder), revision="v1")


# ---------------------------------------------------------------- prompt rendering


def test_chat_prompt_renders_through_the_official_template(model: HFModel) -> None:
    prompt = Prompt(
        turns=(
            Turn("user", (ImagePart(RED), TextPart("What is this?"))),
            Turn("assistant", (TextPart("A cat."),)),
            Turn("user", (TextPart("And here?"), ImagePart(GREEN))),
        ),
        style="chat",
        system="Be brief.",
    )
    text, images = render_prompt(model._processor, prompt)
    vision = "<|vision_start|><|image_pad|><|vision_end|>"
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        f"<|im_start|>user\n{vision}What is this?<|im_end|>\n"
        "<|im_start|>assistant\nA cat.<|im_end|>\n"
        f"<|im_start|>user\nAnd here?{vision}<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert images == [RED.load(), GREEN.load()]


def test_raw_prompt_is_one_user_turn_under_the_template_default_system(model: HFModel) -> None:
    text, images = render_prompt(model._processor, _prompts()[0])
    assert text == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>What is in the image?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert len(images) == 1


# ---------------------------------------------------------------- generation


def test_generation_is_plain_greedy_decoding(model: HFModel, reference: tuple[Any, Any]) -> None:
    hf_model, processor = reference
    prompt_text = processor.apply_chat_template(_messages(1), add_generation_prompt=True, tokenize=False)
    inputs = processor(text=[prompt_text], images=[GREEN.load()], return_tensors="pt")
    ids = inputs["input_ids"]
    new: list[int] = []
    with torch.no_grad():
        for _ in range(6):  # no cache, no penalties: argmax of a full forward pass, token by token
            step = dict(inputs, input_ids=ids, attention_mask=torch.ones_like(ids))
            step["mm_token_type_ids"] = torch.cat(
                [
                    inputs["mm_token_type_ids"],
                    torch.zeros(1, ids.shape[1] - inputs["input_ids"].shape[1], dtype=torch.long),
                ],
                dim=1,
            )
            token = int(hf_model(**step).logits[0, -1].argmax())
            new.append(token)
            ids = torch.cat([ids, torch.tensor([[token]])], dim=1)
    end_ids = set(hf_model.generation_config.eos_token_id)
    assert not set(new) & end_ids, "the hand-decoded answer should not end early"
    expected = processor.tokenizer.decode(new, skip_special_tokens=True).strip()

    [result] = model.generate([GenerateRequest(_prompts()[1], GenerationSettings(max_new_tokens=6))])
    assert result.text == expected
    assert result.prompt_tokens == inputs["input_ids"].shape[1]
    assert result.output_tokens == 6


def test_checkpoint_generation_defaults_do_not_leak(model: HFModel, tiny_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "penalised"
    shutil.copytree(tiny_folder, folder)
    config = json.loads((folder / "generation_config.json").read_text())
    config.update(repetition_penalty=5.0, no_repeat_ngram_size=1)
    (folder / "generation_config.json").write_text(json.dumps(config))
    penalised = evalkit.load_model(str(folder), device="cpu")
    request = GenerateRequest(_prompts()[0], GenerationSettings(max_new_tokens=16))
    [plain] = model.generate([request])
    assert len(set(plain.text)) < len(plain.text), "the plain answer should repeat itself, or the test proves nothing"
    assert penalised.generate([request]) == [plain]


def test_batched_answers_equal_answers_alone(model: HFModel) -> None:
    settings = GenerationSettings(max_new_tokens=10)
    requests = [GenerateRequest(prompt, settings) for prompt in _prompts()]
    batched = model.generate(requests)
    alone = [model.generate([request])[0] for request in requests]
    assert batched == alone
    assert len({result.text for result in batched}) == 3
    assert len({result.prompt_tokens for result in batched}) == 3  # the batch really needed padding


def test_requests_with_different_settings_keep_their_order(model: HFModel) -> None:
    prompts = _prompts()
    requests = [
        GenerateRequest(prompts[0], GenerationSettings(max_new_tokens=2)),
        GenerateRequest(prompts[1], GenerationSettings(max_new_tokens=5)),
        GenerateRequest(prompts[2], GenerationSettings(max_new_tokens=2)),
    ]
    results = model.generate(requests)
    assert [r.output_tokens for r in results] == [2, 5, 2]
    assert results == [model.generate([request])[0] for request in requests]


def test_min_new_tokens_holds_back_the_end_token(eager_to_end_folder: Path) -> None:
    eager = evalkit.load_model(str(eager_to_end_folder), device="cpu")
    prompt = _prompts()[0]
    [free] = eager.generate([GenerateRequest(prompt, GenerationSettings(max_new_tokens=8))])
    assert (free.text, free.output_tokens) == ("", 1), "the fixture should end answers at once"
    [held] = eager.generate([GenerateRequest(prompt, GenerationSettings(max_new_tokens=8, min_new_tokens=6))])
    assert held.output_tokens == 7 and held.text  # six tokens held back, then the end token
    [exact] = eager.generate([GenerateRequest(prompt, GenerationSettings(max_new_tokens=6, min_new_tokens=6))])
    assert exact.output_tokens == 6


def test_stop_strings_cut_the_answer_whatever_the_batch(model: HFModel) -> None:
    prompts = _prompts()
    [full] = model.generate([GenerateRequest(prompts[2], GenerationSettings(max_new_tokens=12))])
    stop = next(char for char in full.text[2:] if char.isascii() and char.isalnum())
    expected = full.text[: full.text.find(stop)].strip()

    settings = GenerationSettings(max_new_tokens=12, stop=(stop,))
    requests = [GenerateRequest(prompt, settings) for prompt in prompts]
    batched = model.generate(requests)
    assert batched[2].text == expected
    assert batched[2].output_tokens is not None and full.output_tokens is not None
    assert batched[2].output_tokens < full.output_tokens
    assert batched == [model.generate([request])[0] for request in requests]


def test_bad_generation_settings_are_refused(model: HFModel) -> None:
    prompt = _prompts()[0]
    for settings in (
        GenerationSettings(max_new_tokens=0),
        GenerationSettings(max_new_tokens=4, min_new_tokens=5),
        GenerationSettings(stop=("",)),
    ):
        with pytest.raises(ConfigError):
            model.generate([GenerateRequest(prompt, settings)])


def test_pixel_bounds_change_the_image_resolution(tiny_folder: Path, model: HFModel) -> None:
    request = GenerateRequest(_prompts()[0], GenerationSettings(max_new_tokens=1))
    [small] = model.generate([request])
    large_model = evalkit.load_model(str(tiny_folder), device="cpu", min_pixels=112 * 112, max_pixels="12544")
    [large] = large_model.generate([request])
    # 64x64 becomes 56x56 (2x2 merged tokens) by default and 112x112 (4x4) with the bounds.
    assert small.prompt_tokens is not None and large.prompt_tokens == small.prompt_tokens + 12
    assert large_model.identity().extra["min_pixels"] == 112 * 112
    with pytest.raises(ConfigError, match="exceed max_pixels"):
        evalkit.load_model(str(tiny_folder), device="cpu", min_pixels=200 * 200)


# ---------------------------------------------------------------- loglikelihood


def _hand_scores(reference: tuple[Any, Any], prompt_index: int, continuation: str) -> tuple[float, float, int]:
    hf_model, processor = reference
    prompt_text = processor.apply_chat_template(_messages(prompt_index), add_generation_prompt=True, tokenize=False)
    image = [RED.load()] if prompt_index == 0 else [GREEN.load()]
    prompt_ids = processor(text=[prompt_text], images=image)["input_ids"][0]
    joint = processor(text=[prompt_text + continuation], images=image, return_tensors="pt")
    n_prompt = len(prompt_ids)
    assert joint["input_ids"][0, :n_prompt].tolist() == list(prompt_ids)
    with torch.no_grad():
        logits = hf_model(**joint).logits[0].float()
    targets = joint["input_ids"][0, n_prompt:]
    logprobs = logits[n_prompt - 1 : -1].log_softmax(-1).gather(-1, targets[:, None])[:, 0]
    return float(-logprobs.mean()), float(logprobs.sum()), len(targets)


def test_continuation_scores_equal_a_hand_computed_forward(model: HFModel, reference: tuple[Any, Any]) -> None:
    prompts = _prompts()
    requests = [
        LoglikelihoodRequest(prompts[0], ("A", " B", "a red cat")),
        LoglikelihoodRequest(prompts[1], ("yes", " no, two dogs")),
    ]
    scores = model.loglikelihood(requests)
    assert [len(s) for s in scores] == [3, 2]
    for prompt_index, request in enumerate(requests):
        for continuation, score in zip(request.continuations, scores[prompt_index]):
            mean_loss, sum_logprob, n_tokens = _hand_scores(reference, prompt_index, continuation)
            assert score.n_tokens == n_tokens
            assert score.mean_loss == pytest.approx(mean_loss, abs=1e-5)
            assert score.sum_logprob == pytest.approx(sum_logprob, abs=1e-5)
    assert scores[0][2].n_tokens > scores[0][0].n_tokens  # longer continuations really cover more tokens
    alone = [model.loglikelihood([request])[0] for request in requests]
    for together, single in zip(scores, alone):
        assert [s.n_tokens for s in together] == [s.n_tokens for s in single]
        assert [s.mean_loss for s in together] == pytest.approx([s.mean_loss for s in single], abs=1e-5)


def test_continuation_boundary_rule() -> None:
    assert _continuation_length([5, 6, 7], [5, 6, 7, 8, 9]) == 2
    # The tokenizer merged the prompt's last token with the continuation: the merged token counts.
    assert _continuation_length([5, 6, 7], [5, 6, 11, 9]) == 2
    with pytest.raises(EvalkitError):
        _continuation_length([5, 6, 7], [5, 6, 7])


def test_empty_continuation_is_refused(model: HFModel) -> None:
    with pytest.raises(ConfigError, match="empty continuation"):
        model.loglikelihood([LoglikelihoodRequest(_prompts()[0], ("A", ""))])
    assert model.loglikelihood([LoglikelihoodRequest(_prompts()[0], ())]) == [[]]
