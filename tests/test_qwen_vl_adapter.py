"""The Qwen-VL evalkit model on the tiny checkpoint: batching invariance, stop strings, choice scoring."""

from __future__ import annotations

import io

import pytest
import torch

from evalkit.data.images import LazyImage
from evalkit.errors import ConfigError
from evalkit.models.base import GenerateRequest, GenerationSettings, LoglikelihoodRequest
from evalkit.models.qwen_vl.likelihood import score_continuations
from evalkit.prompts.types import ImagePart, Prompt, TextPart, Turn
from tests.qwen_vl.golden_data import golden
from tests.qwen_vl.tiny_checkpoint import GOLDEN_DIR, tiny_model


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return tiny_model("chatml")


def _png(name: str) -> LazyImage:
    return LazyImage(name, (GOLDEN_DIR / name).read_bytes())


def _odd_image() -> LazyImage:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (97, 301), (10, 200, 30)).save(buffer, format="PNG")
    return LazyImage("odd.png", buffer.getvalue())


def _requests() -> list[GenerateRequest]:
    short = GenerationSettings(max_new_tokens=6)
    longer = GenerationSettings(max_new_tokens=9, min_new_tokens=9)
    return [
        GenerateRequest(Prompt.raw(ImagePart(_png("img_a.png")), TextPart("这是什么？")), longer),
        GenerateRequest(Prompt.raw(TextPart("Hello world, this is a text-only test of Qwen-VL.")), short),
        GenerateRequest(Prompt.raw(ImagePart(_odd_image()), TextPart("Describe the image in English:")), longer),
        GenerateRequest(
            Prompt(turns=(Turn("user", (ImagePart(_png("img_b.png")), TextPart("\nColors?"))),), style="chat"), short
        ),
        GenerateRequest(Prompt.raw(TextPart("你好，世界")), longer),
        GenerateRequest(
            Prompt.raw(
                ImagePart(_png("img_a.png")), TextPart("and"), ImagePart(_png("img_b.png")), TextPart("differ in")
            ),
            short,
        ),
    ]


def test_a_batch_gives_exactly_what_each_request_gives_alone(model) -> None:  # type: ignore[no-untyped-def]
    requests = _requests()
    batched = model.generate(requests)
    alone = [model.generate([r])[0] for r in requests]
    assert [r.text for r in batched] == [r.text for r in alone]
    assert [r.output_tokens for r in batched] == [r.output_tokens for r in alone]
    assert [r.prompt_tokens for r in batched] == [len(model.render(r.prompt).ids) for r in requests]
    assert batched[0].output_tokens == 9 and batched[1].output_tokens == 6


def test_batched_text_matches_the_official_batch(model) -> None:  # type: ignore[no-untyped-def]
    d = golden()["d_generate_batch"]
    settings = GenerationSettings(max_new_tokens=12, min_new_tokens=12)
    prompts = [
        Prompt.raw(ImagePart(_png(name)), TextPart(p.split("</img>", 1)[1]))
        for name, p in zip(["img_a.png", "img_b.png"], d["prompts"])
    ]
    results = model.generate([GenerateRequest(p, settings) for p in prompts])
    assert [r.text for r in results] == [s.strip() for s in d["decoded_skip_special"]]


def test_stop_strings_end_generation_and_are_cut_off(model) -> None:  # type: ignore[no-untyped-def]
    prompt = Prompt.raw(ImagePart(_png("img_a.png")), TextPart("这是什么？"))
    full = model.generate([GenerateRequest(prompt, GenerationSettings(max_new_tokens=12))])[0]
    assert full.text.startswith("VMware preg/includes")
    cut = model.generate([GenerateRequest(prompt, GenerationSettings(max_new_tokens=12, stop=("/includes",)))])[0]
    assert cut.text == "VMware preg"
    assert cut.output_tokens is not None and cut.output_tokens < full.output_tokens  # type: ignore[operator]


def _reference_scores(model, prompt: Prompt, continuations: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    """The official way: one full forward over prompt + option (minus its last token) per option."""
    network = model.network
    rendered = model.render(prompt)
    losses = []
    for text in continuations:
        target = model.tokenizer.encode(text)
        ids = torch.tensor([list(rendered.ids) + target])
        with torch.inference_mode():
            features = model.image_features([rendered])
            cache = network.new_cache(torch.ones_like(ids[:, :-1], dtype=torch.bool), ids.size(1) - 1, "per-sample")
            logits = network.logits(network(ids[:, :-1], cache, image_features=features)).float()
        ce = torch.nn.functional.cross_entropy(logits[0], ids[0, 1:], reduction="none")
        losses.append(float(ce[-len(target):].mean()))
    return losses


def test_shared_prompt_scores_equal_one_forward_per_option(model) -> None:  # type: ignore[no-untyped-def]
    image_prompt = Prompt.raw(ImagePart(_png("img_b.png")), TextPart("Question: which colors?\nAnswer:"))
    text_prompt = Prompt.raw(TextPart("The quick brown fox"))
    options = [
        [" red and blue", " green", " a checkerboard of red and blue squares"],
        [" jumps", " jumps over the lazy dog", " A"],
    ]
    requests = [
        LoglikelihoodRequest(image_prompt, tuple(options[0])), LoglikelihoodRequest(text_prompt, tuple(options[1]))
    ]
    scored = model.loglikelihood(requests)
    for request, scores, texts in zip(requests, scored, options):
        reference = _reference_scores(model, request.prompt, texts)
        assert [s.n_tokens for s in scores] == [len(model.tokenizer.encode(t)) for t in texts]
        assert [s.mean_loss for s in scores] == pytest.approx(reference, abs=1e-4)
        for s in scores:
            assert s.sum_logprob == pytest.approx(-s.mean_loss * s.n_tokens, rel=1e-5)
    alone = model.loglikelihood(requests[1:])
    assert [s.mean_loss for s in alone[0]] == pytest.approx([s.mean_loss for s in scored[1]], abs=1e-5)


def test_empty_continuation_is_refused(model) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="no tokens"):
        model.loglikelihood([LoglikelihoodRequest(Prompt.raw(TextPart("Q")), ("",))])


def test_single_token_options_need_no_forward_beyond_the_prompt(model, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[int] = []
    forward = type(model.network).forward

    def counting(self, input_ids, cache, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(input_ids.size(0))
        return forward(self, input_ids, cache, **kwargs)

    monkeypatch.setattr(type(model.network), "forward", counting)
    e = golden()["e_multiple_choice"]
    rendered = model.render(Prompt.raw(ImagePart(_png("img_b.png")), TextPart(e["prompt"].split("</img>", 1)[1])))
    features = model.image_features([rendered, rendered])
    scores = score_continuations(model.network, [rendered.ids] * 2, features, [e["target_ids"]] * 2, 151643)
    assert [s.mean_loss for s in scores[0]] == pytest.approx(e["per_option_mean_ce_loss"], abs=1e-4)
    assert calls == [2]  # one prefill for both prompts, nothing per option


def _last_logits(model, sequences: list[list[int]], positions: str) -> torch.Tensor:  # type: ignore[no-untyped-def]
    from evalkit.models.qwen_vl.generation import left_pad

    ids, valid = left_pad(sequences, 151643)
    with torch.inference_mode():
        cache = model.network.new_cache(valid, ids.size(1), positions)
        return model.network.logits(model.network(ids, cache, valid=valid)[:, -1])


def test_rope_positions_per_sample_keeps_a_short_prompt_independent_of_a_long_one(model) -> None:  # type: ignore[no-untyped-def]
    tok = model.tokenizer
    long_ids = tok.encode("The quick brown fox jumps over the lazy dog. " * 230)
    short_ids = tok.encode("Hello world, this is a text-only test of Qwen-VL.")
    assert len(long_ids) > 2048
    alone = _last_logits(model, [short_ids], "per-sample")[0]
    per_sample = _last_logits(model, [long_ids, short_ids], "per-sample")[1]
    padded = _last_logits(model, [long_ids, short_ids], "padded")[1]
    assert float((per_sample - alone).abs().max()) < 1e-6
    # The official numbering gives the short prompt the long one's NTK alpha and log-n factors.
    assert float((padded - alone).abs().max()) > 1e-3  # far above the fp32 noise bound above
