"""The catalogue contract: every registered benchmark task loads a fixture in its real schema,
renders the expected prompt for each protocol and model family, and scores a right and a wrong
answer correctly.

The ``qwen-vl`` family strings are the exact text Qwen-VL reads (image names shown as ``{image}``,
the notation of the official scripts' ``'<img>{}</img>…'.format(image, …)``), checked by hand
against the prompts of Qwen-VL's ``eval_mm`` scripts. The ``chat`` family strings are the
model-neutral prompt a chat-template model receives.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from evalkit.data.samples import Sample
from evalkit.models.qwen_vl import render_prompt_text
from evalkit.runner.evaluate import score_record
from evalkit.runner.prepare import LoadedTask, build_prompts, load_task
from evalkit.scoring.registry import aggregate
from evalkit.scoring.types import ScoredSample
from evalkit.tasks.registry import all_tasks
from evalkit.tasks.spec import LETTERS, ProtocolSpec, TaskSpec
from tests.make_fixtures import write_fixtures

IMG = "<img>{image}</img>"
CHAT_VQA = "\nAnswer the question using a single word or phrase.\n"
LETTER = "\nAnswer with the option's letter from the given choices directly."
REFCOCO_TASKS = ("refcoco_val", "refcoco_testA", "refcoco_testB", "refcocoplus_val", "refcocoplus_testA",
                 "refcocoplus_testB", "refcocog_val", "refcocog_test")
CHATML = ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
          "<|im_start|>user\n{query}<|im_end|>\n<|im_start|>assistant\n")
SQA = ("Context: N/A\nQuestion: Which of these states is farthest north?\n"
       "Options: A. West Virginia\nB. Louisiana\nC. Arizona\nD. Oklahoma\nAnswer:")
SEED = "\nQuestion: How many towels are in the image?\nOptions: A. One\nB. Two\nC. Three\nD. Four\nAnswer:"
SEED_VIDEO = "Question: What action is shown?\nOptions: A. pushing\nB. lifting\nC. throwing\nD. folding\nAnswer:"

# task -> protocol -> (text Qwen-VL reads, model-neutral prompt for a chat model), first sample
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    **{name: {"qwen-vl": (IMG + "Describe the image in English:", "<image>Describe the image in English:"),
              "standard": (IMG + "Describe the image in English:",
                           "[user] <image>Provide a one-sentence caption for the provided image.\n")}
       for name in ("coco_caption_karpathy", "nocaps_val", "flickr30k_test")},
    "vqav2_val": {"qwen-vl": (IMG + "What color is the square? Answer:", "<image>What color is the square? Answer:"),
                  "standard": (IMG + "What color is the square? Answer:",
                               "[user] <image>What color is the square?" + CHAT_VQA)},
    "okvqa_val": {"qwen-vl": (IMG + "What sport can you use this for? Answer:",
                              "<image>What sport can you use this for? Answer:"),
                  "standard": (IMG + "What sport can you use this for? Answer:",
                               "[user] <image>What sport can you use this for?" + CHAT_VQA)},
    "gqa_testdev": {"qwen-vl": (IMG + "Is the square red? Answer:", "<image>Is the square red? Answer:"),
                    "standard": (IMG + "Is the square red? Answer:", "[user] <image>Is the square red?" + CHAT_VQA)},
    "vizwiz_val": {"qwen-vl": (IMG + "Ask what color this is? Answer:", "<image>Ask what color this is? Answer:"),
                   "standard": (IMG + "Ask what color this is? Answer:",
                                "[user] <image>Ask what color this is?\nWhen the provided information is insufficient, "
                                "respond with 'Unanswerable'." + CHAT_VQA)},
    "scienceqa_img": {"qwen-vl": (IMG + SQA, "<image>" + SQA), "standard": (IMG + SQA, "<image>" + SQA),
                      "generate": (IMG + SQA.removesuffix("\nAnswer:") + LETTER,
                                   "[user] <image>Context: N/A\nWhich of these states is farthest north?\n"
                                   "A. West Virginia\nB. Louisiana\nC. Arizona\nD. Oklahoma" + LETTER + "\n")},
    **{name: {"qwen-vl": (IMG + SEED, "<image>" + SEED), "standard": (IMG + SEED, "<image>" + SEED),
              "generate": (IMG + "How many towels are in the image?\nA. One\nB. Two\nC. Three\nD. Four" + LETTER,
                           "[user] <image>How many towels are in the image?\n"
                           "A. One\nB. Two\nC. Three\nD. Four" + LETTER + "\n")}
       for name in ("seedbench", "seedbench_image")},
    "seedbench_video": {"qwen-vl": ((IMG + "\n") * 4 + SEED_VIDEO, "<image>\n" * 4 + SEED_VIDEO),
                        "standard": ((IMG + "\n") * 8 + SEED_VIDEO, "<image>\n" * 8 + SEED_VIDEO),
                        "generate": (IMG * 8 + "What action is shown?\nA. pushing\nB. lifting\n"
                                     "C. throwing\nD. folding" + LETTER,
                                     "[user] " + "<image>" * 8 + "What action is shown?\nA. pushing\nB. lifting\n"
                                     "C. throwing\nD. folding" + LETTER + "\n")},
    "textvqa_val": {"qwen-vl": (IMG + "what is the brand name? Answer:", "<image>what is the brand name? Answer:"),
                    "standard": (IMG + "what is the brand name? Answer:",
                                 "[user] <image>what is the brand name?" + CHAT_VQA)},
    "docvqa_val": {"qwen-vl": (IMG + "What is the date mentioned in this letter? Answer:",
                               "<image>What is the date mentioned in this letter? Answer:"),
                   "standard": (IMG + "What is the date mentioned in this letter? Answer:",
                                "[user] <image>What is the date mentioned in this letter?" + CHAT_VQA)},
    **{name: {"qwen-vl": (IMG + q + " Answer:", "<image>" + q + " Answer:"),
              "standard": (IMG + q + " Answer:", "[user] <image>" + q + "\nAnswer the question with a single word.\n")}
       for name, q in (("chartqa_test", "How many food item is shown in the bar graph?"),
                       ("chartqa_test_human", "How many food item is shown in the bar graph?"),
                       ("chartqa_test_augmented", "What is the value of the largest bar?"))},
    "ai2d_test": {"qwen-vl": (IMG + "which of these define dairy itemc\nD\nb\na Answer:",
                              "<image>which of these define dairy itemc\nD\nb\na Answer:"),
                  "standard": (IMG + "which of these define dairy item\nA. c\nB. D\nC. b\nD. a" + LETTER,
                               "[user] <image>which of these define dairy item\n"
                               "A. c\nB. D\nC. b\nD. a" + LETTER + "\n")},
    "ocrvqa_test": {"qwen-vl": (IMG + "Who wrote this book? Answer:", "<image>Who wrote this book? Answer:"),
                    "standard": (IMG + "Who wrote this book? Answer:",
                                 "[user] <image>Who wrote this book?" + CHAT_VQA)},
    **{name: {"qwen-vl": (IMG + "<ref>woman in red</ref><box>", "<image><ref>woman in red</ref><box>"),
              "standard": (IMG + "<ref>woman in red</ref><box>", "<image><ref>woman in red</ref><box>")}
       for name in REFCOCO_TASKS},
    **{name: {"qwen-vl": (CHATML.format(query=IMG + "\n" + q),
                          "[system] You are a helpful assistant.\n[user] <image>\n" + q + "\n"),
              "standard": (CHATML.format(query=IMG + q), "[user] <image>" + q + "\n")}
       for name, q in (("mme", "Is there a train in this image? Please answer yes or no."),
                       ("mme_perception", "Is there a train in this image? Please answer yes or no."),
                       ("mme_cognition", "Is there the output 3 in this image? Please answer yes or no."))},
    "touchstone": {"qwen-vl": (CHATML.format(query=IMG + "\nDescribe this image in detail."),
                               "[system] You are a helpful assistant.\n[user] <image>\n"
                               "Describe this image in detail.\n"),
                   "standard": (CHATML.format(query=IMG + "Describe this image in detail."),
                                "[user] <image>Describe this image in detail.\n")},
}

# Generated answers for the first sample: (right, wrong); per-protocol entries override.
ANSWERS: dict[str, Any] = {
    "vqav2_val": ("red", "blue"), "okvqa_val": ("Race.", "football"), "vizwiz_val": ("Yellow", "unanswerable"),
    "gqa_testdev": ("Yes", "no"), "textvqa_val": ("nokia", "samsung"), "docvqa_val": ("1/8/93", "March 3"),
    "chartqa_test": ("14", "20"), "chartqa_test_human": ("14", "20"), "chartqa_test_augmented": ("64.6", "70"),
    "ai2d_test": {"qwen-vl": ("D", "c"), "standard": ("B", "A")}, "ocrvqa_test": ("author 0", "Author 1"),
    "mme": ("Yes", "No"), "mme_perception": ("Yes, there is.", "No"), "mme_cognition": ("yes", "Not really"),
    **{name: ("(100,100),(350,600)", "(0,0),(10,10)") for name in REFCOCO_TASKS},
}
CAPTION_TASKS = ("coco_caption_karpathy", "nocaps_val", "flickr30k_test")
JUDGED_TASKS = ("touchstone",)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fixtures(tmp_path_factory.mktemp("benchmarks"))


def catalogue() -> dict[str, TaskSpec]:
    return {name: spec for name, spec in all_tasks().items() if name in EXPECTED}


def cases() -> list[tuple[str, str]]:
    return [(name, protocol) for name, spec in sorted(catalogue().items()) for protocol in spec.protocols]


def load(spec: TaskSpec, protocol: str, data_dir: Path, k: int = 0) -> LoadedTask:
    return load_task(spec, protocol=protocol, num_fewshot=k, limit=None, data_dir=data_dir)


def qwen_text(loaded: LoadedTask, sample: Sample, seed: int = 0) -> str:
    prompt = build_prompts(loaded, family="qwen-vl", seed=seed).prompts[sample.id]
    return re.sub(r"<img>[^<]*</img>", IMG, render_prompt_text(prompt))


def test_every_registered_task_is_catalogued_or_bundled() -> None:
    for name, spec in all_tasks().items():
        bundled = spec.source.local is not None and spec.source.local.bundled
        assert name in EXPECTED or bundled, f"task {name} has no contract entry"
    for name in EXPECTED:
        assert name in all_tasks(), f"catalogued task {name} is not registered"
    assert set(catalogue()) == set(EXPECTED)


@pytest.mark.parametrize(("task", "protocol"), cases())
def test_prompt_for_each_protocol_and_family(task: str, protocol: str, data_dir: Path) -> None:
    spec = all_tasks()[task]
    assert set(spec.protocols) == set(EXPECTED[task]), "every protocol has an expected prompt"
    loaded = load(spec, protocol, data_dir)
    sample = loaded.samples[0]
    qwen, chat = EXPECTED[task][protocol]
    assert qwen_text(loaded, sample) == qwen
    prepared = build_prompts(loaded, family="chat", seed=0)
    assert sample.id not in prepared.prompt_errors
    assert prepared.prompts[sample.id].render_text(image_token="<image>") == chat
    assert len(prepared.prompts[sample.id].images) == qwen.count(IMG)


def _record(sample: Sample, output: Any) -> dict[str, Any]:
    return {"id": sample.id, "output": output, "target": sample.target, "meta": sample.meta, "error": None}


def _primary(proto: ProtocolSpec, scores: dict[str, float]) -> float:
    name = proto.primary_metric if proto.primary_metric in scores else next(iter(scores))
    return scores[name]


@pytest.mark.parametrize(("task", "protocol"), [c for c in cases() if c[0] not in CAPTION_TASKS + JUDGED_TASKS])
def test_right_answer_scores_one_and_wrong_answer_zero(task: str, protocol: str, data_dir: Path) -> None:
    spec = all_tasks()[task]
    proto = spec.protocol(protocol)
    loaded = load(spec, protocol, data_dir)
    sample = loaded.samples[0]
    if proto.output == "choice":
        right_index = LETTERS.index(sample.target)
        right = [2.0 if i != right_index else 0.5 for i in range(len(sample.options))]
        wrong = [0.5 if i == (right_index + 1) % len(sample.options) else 2.0 for i in range(len(sample.options))]
    elif spec.name in ("scienceqa_img", "seedbench", "seedbench_image", "seedbench_video"):
        right, wrong = f"The answer is ({sample.target}).", "I cannot tell."
    else:
        pair = ANSWERS[task]
        right, wrong = pair[protocol] if isinstance(pair, dict) else pair
    good = score_record(proto, _record(sample, right))
    bad = score_record(proto, _record(sample, wrong))
    assert good["error"] is None and bad["error"] is None, (good, bad)
    assert _primary(proto, good["scores"]) == 1.0
    assert _primary(proto, bad["scores"]) == 0.0


@pytest.mark.parametrize("task", CAPTION_TASKS)
def test_caption_records_feed_a_corpus_that_prefers_the_right_caption(task: str, data_dir: Path) -> None:
    # The caption aggregation (PTB tokenizer and METEOR in Java, seconds per corpus) is tested with
    # its metrics; here pycocoevalcap's CIDEr-D reads the records directly, on whitespace tokens.
    from pycocoevalcap.cider.cider import Cider

    spec = all_tasks()[task]
    proto = spec.protocol("qwen-vl")
    samples = load(spec, "qwen-vl", data_dir).samples

    def cider(captions: list[str]) -> float:
        records = [score_record(proto, _record(s, c)) for s, c in zip(samples, captions)]
        assert all(r["error"] is None and r["scores"] == {} for r in records)  # corpus-level only
        gts = {r["id"]: [t.lower() for t in r["target"]] for r in records}
        res = {r["id"]: [r["answer"].lower()] for r in records}
        return float(Cider().compute_score(gts, res)[0]) * 100

    assert cider([s.target[0] for s in samples]) > 100.0
    assert cider(["An empty room with nothing in it."] * len(samples)) == 0.0
    missing = score_record(proto, {**_record(samples[0], "a caption"), "target": []})
    assert missing["error"] is not None  # a sample without references fails visibly


def test_touchstone_record_carries_what_the_judge_needs(data_dir: Path) -> None:
    spec = all_tasks()["touchstone"]
    proto = spec.protocol("qwen-vl")
    loaded = load(spec, "qwen-vl", data_dir)
    first, multi = loaded.samples
    assert first.meta == {"question": "Describe this image in detail.",
                          "human_annotation": "A red square on a gray background.",
                          "category": "basic description", "task_name": "detailed description"}
    assert first.target.startswith("The image shows a red square")
    assert len(multi.images) == 2 and multi.meta["category"] == "multi-image analysis,comparison"
    prepared = build_prompts(loaded, family="qwen-vl", seed=0)
    assert qwen_text(loaded, multi).count(IMG + "\n") == 2 and multi.id not in prepared.prompt_errors

    # the judge fills meta["judge"]; a right answer judged 9 and a wrong one judged 2 (both rounds)
    def judged(sample: Sample, model: int) -> ScoredSample:
        record = score_record(proto, _record(sample, "an answer"))
        assert record["error"] is None and record["scores"] == {}
        meta = {**sample.meta, "judge": {"round1": [f"7 {model}"], "round2": [f"{model} 7"]}}
        return ScoredSample(sample.id, "an answer", "an answer", sample.target, {}, meta)

    right = aggregate(proto.aggregation, [judged(first, 9), judged(multi, 9)], seed=0, params={})
    wrong = aggregate(proto.aggregation, [judged(first, 2), judged(multi, 2)], seed=0, params={})
    assert right.metrics["score"].value == pytest.approx(900.0)
    assert wrong.metrics["score"].value == pytest.approx(200.0)


def test_mme_totals_from_fixture_answers(data_dir: Path) -> None:
    spec = all_tasks()["mme"]
    proto = spec.protocol("qwen-vl")
    samples = load(spec, "qwen-vl", data_dir).samples
    assert [s.cluster for s in samples][:2] == ["existence/000000006040.jpg"] * 2  # pairs share the image

    def totals(outputs: list[str]) -> dict[str, float]:
        scored = [ScoredSample(s.id, o, score_record(proto, _record(s, o))["answer"], s.target,
                               score_record(proto, _record(s, o))["scores"], s.meta) for s, o in zip(samples, outputs)]
        result = aggregate(proto.aggregation, scored, seed=0, params={"n_resamples": 20})
        return {k: v.value for k, v in result.metrics.items()}

    assert totals([s.target for s in samples]) == {"perception": 200.0, "cognition": 200.0}
    # one wrong answer per image: acc 0.5, acc+ 0 -> 50 per subtask
    assert totals(["Yes"] * len(samples)) == {"perception": 50.0, "cognition": 50.0}


def test_fewshot_examples_carry_images_and_answers(data_dir: Path) -> None:
    okvqa = load(all_tasks()["okvqa_val"], "qwen-vl", data_dir, k=2)  # the official train JSONL pool
    text = qwen_text(okvqa, okvqa.samples[0], seed=3)
    assert re.fullmatch(r"(<img>\{image\}</img>What is shown in picture \d\? Answer: thing\d){2}"
                        r"<img>\{image\}</img>What sport can you use this for\? Answer:", text), text
    assert len(build_prompts(okvqa, family="qwen-vl", seed=3).prompts[okvqa.samples[0].id].images) == 3

    flickr_official = load(all_tasks()["flickr30k_test"], "qwen-vl", data_dir, k=1)
    flickr_standard = load(all_tasks()["flickr30k_test"], "standard", data_dir, k=1)
    assert {s.id for s in flickr_official.pool} == {"0", "1", "2"}  # the official leak: the test split itself
    assert {s.id for s in flickr_standard.pool} == {"3", "4", "5"}  # a true train split
    shot = re.match(r"<img>\{image\}</img>Describe the image in English: (.*?)<img>",
                    qwen_text(flickr_official, flickr_official.samples[0]))
    assert shot is not None and shot.group(1) in {c for s in flickr_official.pool[1:] for c in [s.fewshot_answer]}


def test_subsets_and_exploded_samples_have_the_real_counts(data_dir: Path) -> None:
    counts = {name: len(load(all_tasks()[name], next(iter(all_tasks()[name].protocols)), data_dir).samples)
              for name in ("chartqa_test", "chartqa_test_human", "seedbench_video", "ocrvqa_test", "refcoco_val",
                           "scienceqa_img", "mme_cognition", "gqa_testdev")}
    assert counts == {"chartqa_test": 2, "chartqa_test_human": 1, "seedbench_video": 1, "ocrvqa_test": 6,
                      "refcoco_val": 3, "scienceqa_img": 3, "mme_cognition": 4, "gqa_testdev": 2}
    refcoco = load(all_tasks()["refcoco_val"], "qwen-vl", data_dir).samples
    assert refcoco[0].target == {"bbox": [20.0, 10.0, 70.0, 60.0], "width": 200, "height": 100}
    assert [s.id for s in refcoco] == ["1000#0", "1000#1", "1001#0"] and refcoco[1].cluster == refcoco[0].cluster
    seed = load(all_tasks()["seedbench"], "qwen-vl", data_dir).samples
    assert [s.meta["subtask"] for s in seed] == ["Instances Counting", "Action Recognition"]
