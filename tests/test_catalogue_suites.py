"""The catalogue as users meet it: `evalkit list tasks`, `evalkit describe`, an end-to-end run on a
local copy laid out like the real download, the paper suites and the published numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from evalkit.cli import main as evalkit_main
from evalkit.metrics.mme import mme_scores
from evalkit.runner.config import build_config
from evalkit.tasks.registry import all_tasks, resolve_names
from tests.make_fixtures import write_fixtures
from tests.test_catalogue_contract import EXPECTED
from tests.tiny_qwen2vl import build_tiny_qwen2_vl

REPO = Path(__file__).resolve().parents[1]
MISSION = (  # the benchmarks the catalogue promises
    "coco_caption_karpathy", "nocaps_val", "flickr30k_test", "vqav2_val", "okvqa_val", "gqa_testdev", "vizwiz_val",
    "scienceqa_img", "textvqa_val", "docvqa_val", "chartqa_test", "ai2d_test", "ocrvqa_test", "refcoco_val",
    "refcoco_testA", "refcoco_testB", "refcocoplus_val", "refcocoplus_testA", "refcocoplus_testB", "refcocog_val",
    "refcocog_test", "mme", "seedbench", "touchstone",
)
MME_QWEN_VL = ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<img>{name}</img>\n"
               "Is there a train in this image? Please answer yes or no.<|im_end|>\n<|im_start|>assistant\n")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fixtures(tmp_path_factory.mktemp("downloads"))


def test_list_tasks_shows_every_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    assert evalkit_main(["list", "tasks"]) == 0
    listed = {line.split()[0] for line in capsys.readouterr().out.splitlines()[1:] if line.strip()}
    assert set(MISSION) <= listed
    assert set(EXPECTED) <= listed
    assert resolve_names(["mme_subsets"]) == ["mme_perception", "mme_cognition"]
    assert resolve_names(["grounding"])[:3] == ["refcoco_val", "refcoco_testA", "refcoco_testB"]


def test_describe_mme_shows_the_official_prompt(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert evalkit_main(["describe", "mme", "--protocol", "qwen-vl", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    name = "mme/existence/000000006040.jpg|Is there a train in this image? Please answer yes or no."
    assert MME_QWEN_VL.format(name=name) in out
    assert "extractor: mme_yes_no  scorer: mme  aggregation: mme" in out


def test_describe_without_data_shows_the_template_as_qwen_vl_reads_it(capsys: pytest.CaptureFixture[str]) -> None:
    # TouchStone reads a local file only, so without --data-dir nothing is fetched from anywhere.
    assert evalkit_main(["describe", "touchstone", "--protocol", "qwen-vl"]) == 0
    out = capsys.readouterr().out
    assert "no sample rendered" in out and "--data-dir" in out
    assert ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<img>{image}</img>\n"
            "{question}<|im_end|>\n<|im_start|>assistant\n") in out


def test_run_mme_end_to_end_on_a_local_copy(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    # The standard protocol (16 new tokens) keeps the run short; the data path is the same.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = build_tiny_qwen2_vl(tmp_path / "model", seed=0)
    code = evalkit_main(["run", "--tasks", "mme", "--model", str(model), "--data-dir", str(data_dir),
                         "--protocol", "standard", "--limit", "3", "--device", "cpu", "--quiet",
                         "--output-dir", str(tmp_path / "results")])
    assert code == 0, capsys.readouterr().err
    (run,) = [p.parent for p in (tmp_path / "results").glob("*/*/run.json")]
    entry = json.loads((run / "scores.json").read_text())["tasks"]["mme"]
    records = [json.loads(line) for line in (run / "samples" / "mme.jsonl").read_text().splitlines()]
    # --limit 3 keeps whole question pairs: the first two images, four questions, in dataset order
    assert [r["id"].split("|")[0] for r in records] == ["existence/000000006040.jpg"] * 2 + [
        "existence/000000018150.jpg"] * 2
    assert entry["n"] == 4 and entry["n_failed"] == 0 and entry["protocol"] == "standard"
    assert all(r["meta"]["cluster"] == r["id"].split("|")[0] and r["meta"]["subtask"] == "existence" for r in records)
    official = mme_scores([{"subtask": r["meta"]["subtask"], "image": r["meta"]["cluster"], "gt": r["target"],
                            "prediction": r["output"]} for r in records])
    assert entry["metrics"]["perception"]["value"] == pytest.approx(official["perception"])
    assert json.loads((run / "run.json").read_text())["tasks"]["mme"]["data"].endswith("test-00000-of-00001.parquet")


@pytest.mark.parametrize("suite", ["qwen-vl-paper", "qwen-vl-chat-paper"])
def test_paper_suites_name_registered_tasks_under_the_official_protocol(suite: str) -> None:
    config = build_config({}, REPO / "configs" / f"{suite}.yaml")
    tasks = all_tasks()
    names = [t.name for t in config.tasks]
    assert config.protocol == "qwen-vl" and config.num_fewshot == 0 and config.batch_size == 8
    assert config.model == ("qwen-vl-chat" if "chat" in suite else "qwen-vl")
    assert len(set(names)) == len(names)  # a task twice would overwrite its own results
    assert all(name in tasks and "qwen-vl" in tasks[name].protocols for name in names)


def _published() -> list[dict]:
    return yaml.safe_load((REPO / "leaderboard" / "published.yaml").read_text(encoding="utf-8"))["entries"]


def test_published_numbers_name_real_tasks_protocols_and_metrics() -> None:
    tasks = all_tasks()
    metrics_of = {"mme": {"perception", "cognition", "score"}, "caption": {"CIDEr"}, "touchstone": {"score"}}
    scorer_metrics = {"vqa_accuracy": {"vqa_accuracy"}, "gqa_accuracy": {"gqa_accuracy"}, "anls": {"anls"},
                      "relaxed_accuracy": {"relaxed_accuracy"}, "exact_match": {"exact_match"},
                      "choice_accuracy": {"accuracy"}, "grounding": {"acc@0.5", "iou"}}
    entries = _published()
    assert len(entries) == 64
    for e in entries:
        protocol = tasks[e["task"]].protocol(e["protocol"])
        known = metrics_of.get(protocol.aggregation) or scorer_metrics[protocol.scorer]
        assert e["metric"] in known, e
        assert e["model"] in ("Qwen-VL", "Qwen-VL-Chat") and e["source"]
    mme = {e.get("subtask"): e["value"] for e in entries if e["task"] == "mme"}
    assert mme[None] == 360.71 and mme["code_reasoning"] == 42.5 and len(mme) == 15
    # the published subtask scores add up to the published totals (as the MME eval tool adds them)
    perception = [mme[s] for s in ("existence", "count", "position", "color", "posters", "celebrity", "scene",
                                   "landmark", "artwork", "OCR")]
    assert sum(perception) == pytest.approx(1487.58, abs=0.05)


@pytest.mark.parametrize(("suite", "model"), [("qwen-vl-paper", "Qwen-VL"), ("qwen-vl-chat-paper", "Qwen-VL-Chat")])
def test_suites_cover_every_published_zero_shot_number(suite: str, model: str) -> None:
    names = {t.name for t in build_config({}, REPO / "configs" / f"{suite}.yaml").tasks}
    wanted = {e["task"] for e in _published() if e["model"] == model and not e.get("num_fewshot")}
    # TouchStone needs the TSV and a GPT-4 judge: a separate command, named in the suite's description
    assert wanted - names <= {"touchstone"}
