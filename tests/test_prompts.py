"""Prompt builders: templates, images in place, seeded few-shot examples that carry their images."""

from __future__ import annotations

import pytest

from evalkit.data.images import LazyImage
from evalkit.data.samples import Sample
from evalkit.errors import ConfigError, DataError
from evalkit.prompts.build import build_prompt, select_shots
from evalkit.prompts.types import ImagePart, TextPart
from evalkit.tasks.spec import PromptSpec, ProtocolSpec


def proto(template: str, style: str = "raw", **kw: object) -> ProtocolSpec:
    spec = PromptSpec(template=template, style=style, **kw)  # type: ignore[arg-type]
    return ProtocolSpec("qwen-vl", spec, {}, 10, 0, (), " {letter}", "strip", {}, "exact_match", {}, "mean", {})


def sample(i: int, n_images: int = 1, **text: str) -> Sample:
    images = tuple(LazyImage(f"t/{i}/{k}", b"") for k in range(n_images))
    return Sample(f"s{i}", i, images, {"question": f"q{i}?", **text}, (), f"a{i}", {}, f"a{i}")


def test_raw_template_places_image_and_fills_fields() -> None:
    prompt = build_prompt(sample(1), proto("<image>{question} Answer:"), "qwen-vl")
    (turn,) = prompt.turns
    assert isinstance(turn.parts[0], ImagePart) and turn.parts[0].image.key == "t/1/0"
    assert turn.parts[1] == TextPart("q1? Answer:")
    assert prompt.render_text(image_token="<img>x</img>") == "<img>x</img>q1? Answer:"


def test_fewshot_raw_concatenates_examples_with_their_images_and_answers() -> None:
    shots = [sample(7), sample(8)]
    prompt = build_prompt(sample(1), proto("<image>{question} Answer:"), "qwen-vl", shots)
    assert prompt.render_text("<I>") == "<I>q7? Answer: a7<I>q8? Answer: a8<I>q1? Answer:"
    assert [im.key for im in prompt.images] == ["t/7/0", "t/8/0", "t/1/0"]


def test_fewshot_chat_uses_turns() -> None:
    prompt = build_prompt(sample(1), proto("<image>\n{question}", style="chat", system="sys"), "chat", [sample(2)])
    assert [t.role for t in prompt.turns] == ["user", "assistant", "user"]
    assert prompt.turns[1].text == "a2" and prompt.system == "sys"


def test_options_and_multi_image_placeholder() -> None:
    s = Sample("s", 0, tuple(LazyImage(f"f{k}", b"") for k in range(3)), {"question": "What?"}, ("x", "y"), "A")
    prompt = build_prompt(s, proto("<images>Question: {question}\nOptions: {options}\nAnswer:", image_separator="\n"),
                          "qwen-vl")
    assert prompt.render_text("<F>") == "<F>\n<F>\n<F>\nQuestion: What?\nOptions: A. x\nB. y\nAnswer:"


def test_literal_braces_and_unknown_field() -> None:
    text_only = sample(1, n_images=0)
    assert build_prompt(text_only, proto("{{x}} {question}"), "qwen-vl").render_text() == "{x} q1?"
    with pytest.raises(ConfigError, match=r"uses \{hint\}.*available: question"):
        build_prompt(text_only, proto("{hint}"), "qwen-vl")
    with pytest.raises(ConfigError, match="unmatched brace"):
        build_prompt(text_only, proto("{question"), "qwen-vl")


def test_attribute_access_is_not_a_field() -> None:
    with pytest.raises(ConfigError):
        build_prompt(sample(1, n_images=0), proto("{question.__class__}"), "qwen-vl")


def test_image_count_mismatch_is_a_sample_error() -> None:
    with pytest.raises(DataError, match="has 2 images but the template places fewer"):
        build_prompt(sample(1, n_images=2), proto("<image>{question}"), "qwen-vl")


def test_family_override() -> None:
    spec = proto("<image>{question} Answer:")
    spec = ProtocolSpec(**{**spec.__dict__, "family_prompts": {"chat": PromptSpec("<image>{question}", style="chat")}})
    assert build_prompt(sample(1), spec, "chat").style == "chat"
    assert build_prompt(sample(1), spec, "qwen-vl").style == "raw"


def test_shots_are_seeded_per_query_and_never_the_query() -> None:
    pool = [sample(i) for i in range(20)]
    query = pool[3]
    a = select_shots(pool, query, 4, seed=1)
    assert a == select_shots(pool, query, 4, seed=1)
    assert a != select_shots(pool, query, 4, seed=2)
    assert all(s.id != query.id for s in a)
    assert len({s.id for s in a}) == 4
    with pytest.raises(DataError, match="fewer than k=30"):
        select_shots(pool, query, 30, seed=1)


def test_prompt_hash_covers_text_and_images() -> None:
    p1 = build_prompt(sample(1), proto("<image>{question} Answer:"), "qwen-vl")
    p2 = build_prompt(sample(1), proto("<image>{question} Answer: "), "qwen-vl")
    p3 = build_prompt(sample(1), proto("<image>{question} Answer:"), "qwen-vl", [sample(2)])
    assert len({p1.hash(), p2.hash(), p3.hash()}) == 3
    assert p1.hash() == build_prompt(sample(1), proto("<image>{question} Answer:"), "qwen-vl").hash()
