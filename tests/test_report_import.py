"""``evalkit import``: lmms-eval and VLMEvalKit result files become run folders marked with their
source, in evalkit's task names and scale where the benchmark is one evalkit runs."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest

from evalkit.cli import main as cli_main
from evalkit.errors import DataError
from evalkit.report.importers import import_results
from evalkit.report.importers.lmms_eval import model_name, read_tasks
from evalkit.report.importers.vlmevalkit import split_name
from evalkit.report.runs import load_run

FIXTURES = Path(__file__).parent / "report_fixtures"
LMMS_FILE = FIXTURES / "lmms_eval" / "2026-09-02T12-00-00_results.json"
VLMEVAL_DIR = FIXTURES / "vlmevalkit" / "Qwen-VL-Chat"


def same_run_folder(written: Path, committed: Path) -> None:
    assert (written / "scores.json").read_bytes() == (committed / "scores.json").read_bytes()
    ours, theirs = (json.loads((p / "run.json").read_text()) for p in (written, committed))
    for info in (ours, theirs):
        info["imported"].pop("evalkit_version")
    assert ours == theirs


def test_lmms_eval_import_writes_the_committed_fixture_run(tmp_path, capsys):
    assert cli_main(["import", "lmms-eval", str(LMMS_FILE), "--out", str(tmp_path)]) == 0
    roots = [p.parent for p in tmp_path.rglob("run.json")]
    assert len(roots) == 1 and roots[0].parent.name == "Qwen__Qwen-VL-Chat"
    same_run_folder(roots[0], FIXTURES / "results" / roots[0].parent.name / roots[0].name)
    err = capsys.readouterr().err
    assert "textvqa_val anls,none: no evalkit counterpart; left out" in err


def test_lmms_eval_numbers_are_renamed_and_rescaled():
    run = load_run(next((FIXTURES / "results" / "Qwen__Qwen-VL-Chat").iterdir()))
    assert run.source == "lmms-eval" and run.model == "Qwen/Qwen-VL-Chat"
    assert set(run.tasks) == {"mme", "seedbench", "seedbench_image", "seedbench_video", "textvqa_val", "pope"}
    mme = run.tasks["mme"]
    assert mme.protocol == "lmms-eval" and mme.headline == "perception"
    assert mme.metrics["perception"].value == 1460.31 and mme.metrics["perception"].ci95 is None  # stderr "N/A"
    textvqa = run.tasks["textvqa_val"].metrics["vqa_accuracy"]
    assert textvqa.value == pytest.approx(60.52)
    assert textvqa.ci95 == pytest.approx((60.52 - 1.96 * 0.68, 60.52 + 1.96 * 0.68), abs=0.001)
    assert run.tasks["seedbench_video"].metrics["accuracy"].value == pytest.approx(37.12)
    # A task evalkit does not run keeps lmms-eval's names and numbers, headline from its metric_list.
    pope = run.tasks["pope"]
    assert pope.headline == "pope_accuracy" and pope.metrics["pope_f1_score"].value == 0.8534
    assert run.tasks["textvqa_val"].n == 5000


def test_lmms_eval_model_name_sources():
    assert model_name({"model_name": "org/x", "config": {"model_args": "pretrained=y"}}) == "org/x"
    assert model_name({"config": {"model_args": "device_map=auto,pretrained=Qwen/Qwen-VL"}}) == "Qwen/Qwen-VL"
    assert model_name({"config": {"model_args": {"pretrained": "a/b"}}}) == "a/b"
    assert model_name({"config": {"model": "qwen_vl", "model_args": ""}}) == "qwen_vl"
    assert model_name({}) is None


def test_lmms_eval_bad_files_are_explained(tmp_path):
    with pytest.raises(DataError, match="no 'results' mapping"):
        read_tasks({"samples": []}, "f.json")
    broken = tmp_path / "results.json"
    broken.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        import_results("lmms-eval", [broken], tmp_path)
    nameless = tmp_path / "nameless.json"
    nameless.write_text(json.dumps({"results": {"mme": {"mme_cognition_score,none": 300.0}}}))
    with pytest.raises(DataError, match="pass --model NAME"):
        import_results("lmms-eval", [nameless], tmp_path)
    roots, _ = import_results("lmms-eval", [nameless], tmp_path, model="mine")
    assert load_run(roots[0]).tasks["mme"].headline == "cognition"


def test_vlmevalkit_import_writes_the_committed_fixture_run(tmp_path):
    files = [str(p) for p in sorted(VLMEVAL_DIR.iterdir())]
    assert cli_main(["import", "vlmevalkit", *files, "--out", str(tmp_path)]) == 0
    root = next(p.parent for p in tmp_path.rglob("run.json"))
    same_run_folder(root, FIXTURES / "results" / "Qwen-VL-Chat" / root.name)
    info = json.loads((root / "run.json").read_text())
    assert info["source"] == "vlmevalkit"
    assert [f["name"] for f in info["imported"]["files"]] == [Path(f).name for f in files]


def test_vlmevalkit_layouts_and_scales():
    run = load_run(next((FIXTURES / "results" / "Qwen-VL-Chat").iterdir()))
    assert run.model == "Qwen-VL-Chat" and run.source == "vlmevalkit"
    mme = run.tasks["mme"]
    assert mme.metrics["perception"].value == pytest.approx(1467.9536)
    assert mme.metrics["cognition"].value == pytest.approx(341.0714)  # VLMEvalKit calls it "reasoning"
    assert len(mme.subtasks) == 14 and mme.subtasks["OCR"]["score"].value == 132.5
    seed = run.tasks["seedbench_image"]  # multiple choice: fractions -> percentages
    assert seed.metrics["accuracy"].value == pytest.approx(64.82)
    assert seed.subtasks["Scene Understanding"]["accuracy"].value == pytest.approx(73.74)
    assert run.tasks["textvqa_val"].metrics["vqa_accuracy"].value == pytest.approx(61.47)  # VQA: already percent


def test_vlmevalkit_file_names_and_unknown_layouts(tmp_path):
    assert split_name(Path("/o/GPT4o/GPT4o_MMBench_DEV_EN_acc.csv"), None) == ("GPT4o", "MMBench_DEV_EN")
    assert split_name(Path("/x/My_Model_TextVQA_VAL_acc.csv"), None) == ("My_Model", "TextVQA_VAL")
    assert split_name(Path("/x/My_Model_Odd_Set_acc.csv"), "My_Model") == ("My_Model", "Odd_Set")
    with pytest.raises(DataError, match="pass --model NAME"):
        split_name(Path("/x/y/My_Model_Odd_Set_acc.csv"), None)
    with pytest.raises(DataError, match="not a VLMEvalKit score file"):
        split_name(Path("/x/model_MME.xlsx"), None)
    odd = tmp_path / "m" / "m_POPE_score.csv"
    odd.parent.mkdir()
    odd.write_text('"split","acc","precision"\n"none","0.8","0.9"\n')
    with pytest.raises(DataError, match="unrecognised VLMEvalKit score layout"):
        import_results("vlmevalkit", [odd], tmp_path)
    mmbench = tmp_path / "m" / "m_MMBench_acc.csv"
    mmbench.write_text('"split","Overall","AR"\n"dev","0.5","0.25"\n"test","0.75","0.5"\n')
    roots, _ = import_results("vlmevalkit", [mmbench], tmp_path / "out")
    run = load_run(roots[0])
    assert run.tasks["MMBench_dev"].metrics["Overall"].value == 50.0
    assert run.tasks["MMBench_test"].subtasks["AR"]["Overall"].value == 50.0


def test_reimporting_is_idempotent(tmp_path):
    first, _ = import_results("lmms-eval", [LMMS_FILE], tmp_path)
    second, _ = import_results("lmms-eval", [LMMS_FILE], tmp_path)
    assert first == second
    assert filecmp.cmp(first[0] / "scores.json", second[0] / "scores.json", shallow=False)
