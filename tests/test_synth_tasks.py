"""The synthetic tasks run through the real pipeline: task spec → loader → samples → prompts, and a
perfect answer scores full marks while a wrong one scores nothing, through the registered
extractors, scorers and aggregations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalkit.data.samples import Sample
from evalkit.prompts.types import ImagePart, Prompt, TextPart
from evalkit.results.aggregate import task_entry
from evalkit.runner.config import DEFAULT_SUITE, build_config
from evalkit.runner.evaluate import score_record
from evalkit.runner.prepare import LoadedTask, build_prompts, load_task
from evalkit.synth import BENCHMARKS
from evalkit.tasks.registry import get_task, groups, resolve_names

TASKS = sorted(BENCHMARKS)
EXPECTED_SAMPLES = {"synth_caption": 300, "synth_vqa": 300, "synth_ocrvqa": 300, "synth_refcoco": 300,
                    "synth_mme": 300, "synth_seed": 301, "synth_dialogue": 150}


def _load(task: str, protocol: str = "qwen-vl", shots: int = 0, limit: int | None = None) -> LoadedTask:
    return load_task(get_task(task), protocol=protocol, num_fewshot=shots, limit=limit, data_dir=None)


def _flat(prompt: Prompt) -> str:
    """The prompt's text with each image as [IMG], turns separated by '|'."""
    return "|".join(
        "".join(
            "[IMG]" if isinstance(p, ImagePart) else p.text for p in turn.parts if isinstance(p, (ImagePart, TextPart))
        )
        for turn in prompt.turns
    )


def test_quickstart_group_is_every_synthetic_task_and_the_default_suite_runs_it() -> None:
    assert sorted(groups()["quickstart"]) == TASKS
    config = build_config({}, f"{DEFAULT_SUITE}.yaml")
    assert config.model == "qwen-vl-tiny" and config.protocol == "qwen-vl"
    assert sorted(resolve_names([t.name for t in config.tasks])) == TASKS


@pytest.mark.parametrize("task", TASKS)
def test_every_task_loads_offline_and_builds_a_prompt_per_sample(task: str) -> None:
    for protocol in ("qwen-vl", "standard"):
        prepared = build_prompts(_load(task, protocol), family="qwen-vl", seed=1234)
        assert len(prepared.samples) == EXPECTED_SAMPLES[task]
        assert not prepared.prompt_errors
        assert len({s.id for s in prepared.samples}) == len(prepared.samples)
        assert all(len(p.images) == 1 for p in prepared.prompts.values())
        image = prepared.samples[0].images[0].load()
        assert image.mode == "RGB" and min(image.size) >= 64


def test_prompts_mirror_the_official_qwen_vl_templates() -> None:
    def first(task: str) -> tuple[Sample, Prompt]:
        prepared = build_prompts(_load(task, limit=1), family="qwen-vl", seed=1234)
        sample = prepared.samples[0]
        return sample, prepared.prompts[sample.id]

    s, p = first("synth_caption")
    assert (p.style, _flat(p)) == ("raw", "[IMG]Describe the image in English:")
    s, p = first("synth_vqa")
    assert _flat(p) == f"[IMG]{s.text['question']} Answer:"
    s, p = first("synth_ocrvqa")
    assert _flat(p) == "[IMG]What is the title of this book? Answer:"
    s, p = first("synth_refcoco")
    assert _flat(p) == f"[IMG]<ref>{s.text['expression']}</ref><box>"
    s, p = first("synth_mme")
    assert (p.style, p.system) == ("chat", "You are a helpful assistant.")
    assert _flat(p) == f"[IMG]\n{s.text['question']}" and s.text["question"].endswith("? Please answer yes or no.")
    s, p = first("synth_seed")
    options = "\n".join(f"{letter}. {text}" for letter, text in zip("ABCD", s.options))
    assert _flat(p) == f"[IMG]\nQuestion: {s.text['question']}\nOptions: {options}\nAnswer:"
    s, p = first("synth_dialogue")
    assert (p.style, _flat(p)) == ("chat", f"[IMG]\n{s.text['question']}")


# Each synthetic task and the real task whose protocols it mirrors.
COUNTERPARTS = {"synth_caption": "nocaps_val", "synth_vqa": "vqav2_val", "synth_ocrvqa": "ocrvqa_test",
                "synth_refcoco": "refcoco_val", "synth_mme": "mme", "synth_seed": "seedbench_image",
                "synth_dialogue": "touchstone"}


@pytest.mark.parametrize("task", TASKS)
def test_qwen_vl_reads_the_same_text_as_under_the_real_benchmarks_protocol(task: str) -> None:
    from evalkit.models.qwen_vl import render_prompt_text
    from evalkit.prompts.build import build_prompt

    real = get_task(COUNTERPARTS[task])
    for protocol in ("qwen-vl", "standard"):
        loaded = _load(task, protocol, limit=4)
        prepared = build_prompts(loaded, family="qwen-vl", seed=1234)
        real_protocol = real.protocol(protocol)
        for sample in loaded.samples:
            ours = render_prompt_text(prepared.prompts[sample.id])
            assert ours == render_prompt_text(build_prompt(sample, real_protocol, "qwen-vl"))
        mine = loaded.protocol
        assert (mine.extractor, mine.extractor_args) == (real_protocol.extractor, real_protocol.extractor_args)
        assert mine.min_new_tokens == real_protocol.min_new_tokens
        assert mine.max_new_tokens <= real_protocol.max_new_tokens
        if task != "synth_dialogue":  # the judge path comes later; reference-based metrics meanwhile
            assert (mine.scorer, mine.scorer_args) == (real_protocol.scorer, real_protocol.scorer_args)
            assert (mine.aggregation, mine.aggregation_args) == (
                real_protocol.aggregation, real_protocol.aggregation_args
            )


def test_fewshot_examples_come_from_the_bundled_train_pool_with_their_images() -> None:
    prepared = build_prompts(_load("synth_vqa", shots=2, limit=3), family="qwen-vl", seed=1234)
    test_images = {s.meta["cluster"] for s in prepared.samples}
    for sample in prepared.samples:
        prompt = prepared.prompts[sample.id]
        assert len(prompt.images) == 3
        assert _flat(prompt).count(" Answer: ") == 2 and _flat(prompt).endswith(f"{sample.text['question']} Answer:")
        shot_keys = [image.key for image in prompt.images[:2]]
        assert all(not key.endswith(f"/{sample.id}") for key in shot_keys)
    assert all(int(c) < 1_000_000_000 for c in test_images)  # test ids; train ids start at 1e9


# -- perfect and wrong answers through the registered parts -------------------------------------------


def _grid_box(box: list[float], width: float, height: float) -> str:
    """A box in pixels as Qwen-VL writes it: (x1,y1),(x2,y2) on the 0..999 grid the official scorer reads."""
    x1, y1, x2, y2 = box
    return (f"({round(x1 / width * 999)},{round(y1 / height * 999)}),"
            f"({round(x2 / width * 999)},{round(y2 / height * 999)})")


def _far_box(target: dict[str, Any]) -> str:
    x1, y1, x2, y2 = target["bbox"]
    w, h = target["width"], target["height"]
    dx = 0 if (x1 + x2) / 2 > w / 2 else w - (x2 - x1)
    dy = 0 if (y1 + y2) / 2 > h / 2 else h - (y2 - y1)
    return _grid_box([dx, dy, dx + (x2 - x1), dy + (y2 - y1)], w, h)


def _outputs(task: str, samples: list[Sample], perfect: bool) -> list[Any]:
    if task in ("synth_vqa",):
        return [s.fewshot_answer if perfect else "banana" for s in samples]
    if task in ("synth_ocrvqa", "synth_mme"):
        flip = {"Yes": "No", "No": "Yes"}
        return [s.target if perfect else flip.get(s.target, "banana") for s in samples]
    if task == "synth_refcoco":
        return [_grid_box(s.target["bbox"], s.target["width"], s.target["height"]) if perfect else _far_box(s.target)
                for s in samples]
    if task == "synth_seed":
        right = ["ABCD".index(s.target) for s in samples]
        return [[0.5 if i == (r if perfect else (r + 1) % 4) else 2.0 for i in range(4)] for r in right]
    # caption, dialogue: the sample's own reference, or the reference of the next sample
    refs = [s.target[0] if isinstance(s.target, list) else s.target for s in samples]
    return refs if perfect else refs[1:] + refs[:1]


def _entry(task: str, perfect: bool, limit: int | None = None) -> dict[str, Any]:
    loaded = _load(task, limit=limit)
    records = [
        score_record(loaded.protocol, {"id": s.id, "output": out, "target": s.target, "meta": s.meta, "error": None})
        for s, out in zip(loaded.samples, _outputs(task, loaded.samples, perfect))
    ]
    assert all(r["error"] is None for r in records), [r["error"] for r in records if r["error"]][:3]
    return task_entry(loaded.spec, loaded.protocol, records, num_fewshot=0, seed=1234)


@pytest.mark.parametrize(("task", "metric", "best"), [
    ("synth_vqa", "vqa_accuracy", 100.0),
    ("synth_ocrvqa", "exact_match", 100.0),
    ("synth_refcoco", "acc@0.5", 100.0),
    ("synth_seed", "accuracy", 100.0),
    ("synth_mme", "perception", 1000.0),  # five subtasks, 200 each
])
def test_perfect_answers_score_full_marks_and_wrong_ones_nothing(task: str, metric: str, best: float) -> None:
    perfect, wrong = _entry(task, perfect=True), _entry(task, perfect=False)
    assert perfect["primary_metric"] == metric
    assert perfect["metrics"][metric]["value"] == pytest.approx(best)
    assert wrong["metrics"][metric]["value"] == pytest.approx(0.0)
    assert perfect["n"] == EXPECTED_SAMPLES[task] and perfect["n_failed"] == 0


@pytest.mark.parametrize("task", ["synth_caption", "synth_dialogue"])
def test_reference_answers_beat_answers_about_another_image(task: str) -> None:
    """Through the registered caption scorer per sample; CIDEr itself (pycocoevalcap's, on plain
    lower-cased words: the Java PTB tokenizer and METEOR of the full aggregation take too long for
    a unit test) separates the image's own reference from another image's."""
    from pycocoevalcap.cider.cider import Cider

    loaded = _load(task)
    assert loaded.protocol.aggregation == "caption" and loaded.protocol.primary_metric == "CIDEr"
    refs = {s.id: [" ".join(r.lower().rstrip(".").split()) for r in (s.target if isinstance(s.target, list)
                                                                      else [s.target])] for s in loaded.samples}

    def cider(perfect: bool) -> float:
        outputs = _outputs(task, loaded.samples, perfect)
        for s, out in zip(loaded.samples, outputs):
            record = score_record(loaded.protocol, {"id": s.id, "output": out, "target": s.target, "meta": s.meta,
                                                    "error": None})
            assert record["error"] is None and record["scores"] == {}
        res = {s.id: [" ".join(out.lower().rstrip(".").split())] for s, out in zip(loaded.samples, outputs)}
        return float(Cider().compute_score(refs, res)[0]) * 100

    perfect, wrong = cider(True), cider(False)
    assert perfect > 3 * wrong > 0


def test_bundled_data_sits_where_the_loader_resolves_bundled_paths() -> None:
    from evalkit.data.sources import BUNDLED_DATA

    spec = get_task("synth_mme")
    assert spec.source.local is not None and spec.source.local.bundled
    assert (Path(BUNDLED_DATA) / spec.source.local.path).is_file()
