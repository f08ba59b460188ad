"""The real ``evalkit`` CLI on a small local task with a tiny Qwen2-VL: run folder, resume, determinism."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e_support import REPO_ROOT, cli_env, evalkit_cmd, make_task
from tests.tiny_qwen2vl import build_tiny_qwen2_vl


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_qwen2_vl(tmp_path_factory.mktemp("tiny-qwen2-vl") / "model", seed=0)


def run_dir_of(output: Path) -> Path:
    (run,) = [p.parent for p in output.glob("*/*/run.json")]
    return run


def test_cli_run_writes_run_folder_and_scores(tmp_path: Path, model_dir: Path) -> None:
    tasks, data = make_task(tmp_path, n_images=6)
    out = evalkit_cmd("run", "--tasks", "e2e_vqa", "--model", str(model_dir), "--data-dir", str(data),
                      "--output-dir", str(tmp_path / "results"), "--batch-size", "4", "--device", "cpu",
                      tasks_dir=tasks)
    assert out.returncode == 0, out.stderr
    assert "e2e_vqa" in out.stdout and "exact_match" in out.stdout  # the summary table
    run = run_dir_of(tmp_path / "results")
    scores = json.loads((run / "scores.json").read_text())
    entry = scores["tasks"]["e2e_vqa"]
    assert entry["n"] == 12 and entry["n_failed"] == 0 and entry["protocol"] == "qwen-vl"
    metric = entry["metrics"]["exact_match"]
    assert 0.0 <= metric["value"] <= 100.0
    records = [json.loads(line) for line in (run / "samples" / "e2e_vqa.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records][:3] == ["1000-0", "1000-1", "1001-0"]  # dataset order, dataset ids
    assert all(set(r) >= {"id", "prompt_hash", "output", "answer", "scores", "error", "key"} for r in records)
    assert metric["value"] == pytest.approx(100 * sum(r["scores"]["exact_match"] for r in records) / 12)
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "finished" and info["counts"]["e2e_vqa"]["evaluated"] == 12
    assert info["tasks"]["e2e_vqa"]["spec_hash"] == entry["spec_hash"]
    assert info["model"]["identity"]["backend"] == "hf"
    assert info["model"]["identity"]["source"] == str(model_dir)  # the user's own model: where it was
    assert info["tasks"]["e2e_vqa"]["file"].startswith(str(tasks))
    assert info["command"][:2] == ["python -m evalkit", "run"]
    assert info["packages"]["torch"] and info["started"] and info["finished"]

    # evalkit score recomputes the same numbers from the journals, without a model
    before = (run / "scores.json").read_text()
    rescore = evalkit_cmd("score", str(run), tasks_dir=tasks)
    assert rescore.returncode == 0, rescore.stderr
    assert (run / "scores.json").read_text() == before


def test_same_seed_gives_byte_identical_samples(tmp_path: Path, model_dir: Path) -> None:
    tasks, data = make_task(tmp_path, n_images=4)
    common = ["run", "--tasks", "e2e_vqa", "--model", str(model_dir), "--data-dir", str(data), "--seed", "7",
              "--protocol", "standard", "--device", "cpu"]
    a = evalkit_cmd(*common, "--output-dir", str(tmp_path / "a"), "--batch-size", "3", tasks_dir=tasks)
    b = evalkit_cmd(*common, "--output-dir", str(tmp_path / "b"), "--batch-size", "1", tasks_dir=tasks)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    run_a, run_b = run_dir_of(tmp_path / "a"), run_dir_of(tmp_path / "b")
    assert (run_a / "samples" / "e2e_vqa.jsonl").read_bytes() == (run_b / "samples" / "e2e_vqa.jsonl").read_bytes()
    assert (run_a / "scores.json").read_bytes() == (run_b / "scores.json").read_bytes()


def test_killed_run_resumes_and_matches_uninterrupted(tmp_path: Path, model_dir: Path) -> None:
    tasks, data = make_task(tmp_path, n_images=60, max_new_tokens=12)
    args = ["run", "--tasks", "e2e_vqa", "--model", str(model_dir), "--data-dir", str(data), "--batch-size", "1",
            "--device", "cpu", "--quiet"]
    killed_out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "evalkit", *args, "--output-dir", str(killed_out)],
                            env=cli_env(tasks), cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    journal = None
    while time.monotonic() < deadline and proc.poll() is None:
        found = list(killed_out.glob("*/*/journal/e2e_vqa.jsonl"))
        if found and found[0].read_bytes().count(b"\n") >= 10:
            journal = found[0]
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the run finished before it could be killed; make the task longer"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert journal is not None
    done_before = journal.read_bytes().count(b"\n")  # complete lines; a torn tail is dropped on resume
    assert 10 <= done_before < 120

    rerun = evalkit_cmd(*args, "--output-dir", str(killed_out), tasks_dir=tasks)
    assert rerun.returncode == 0, rerun.stderr
    run = run_dir_of(killed_out)
    counts = json.loads((run / "run.json").read_text())["counts"]["e2e_vqa"]
    assert counts["resumed"] == done_before
    assert counts["evaluated"] == 120 - done_before  # the model saw only the unfinished samples

    # an uninterrupted run (at another batch size: answers do not depend on the batch)
    clean_args = [a if a != "1" else "8" for a in args]  # the only "1" is the batch size
    clean = evalkit_cmd(*clean_args, "--output-dir", str(tmp_path / "clean"), tasks_dir=tasks)
    assert clean.returncode == 0, clean.stderr
    clean_run = run_dir_of(tmp_path / "clean")
    assert (run / "samples" / "e2e_vqa.jsonl").read_bytes() == (clean_run / "samples" / "e2e_vqa.jsonl").read_bytes()
    assert (run / "scores.json").read_bytes() == (clean_run / "scores.json").read_bytes()


def test_corrupt_image_is_a_counted_sample_failure(tmp_path: Path, model_dir: Path) -> None:
    tasks, data = make_task(tmp_path, n_images=3, corrupt=(1,))
    out = evalkit_cmd("run", "--tasks", "e2e_vqa", "--model", str(model_dir), "--data-dir", str(data),
                      "--output-dir", str(tmp_path / "r"), "--device", "cpu", tasks_dir=tasks)
    assert out.returncode == 0, out.stderr
    assert "2 of 6 samples failed" in out.stderr
    entry = json.loads((run_dir_of(tmp_path / "r") / "scores.json").read_text())["tasks"]["e2e_vqa"]
    assert entry["n"] == 4 and entry["n_failed"] == 2
    records = [
        json.loads(x) for x in (run_dir_of(tmp_path / "r") / "samples" / "e2e_vqa.jsonl").read_text().splitlines()
    ]
    failed = [r for r in records if r["error"]]
    assert [r["id"] for r in failed] == ["1001-0", "1001-1"]
    assert all("cannot be decoded" in r["error"] and r["scores"] == {} for r in failed)


def test_missing_data_offline_is_one_clear_line_within_seconds(tmp_path: Path, model_dir: Path) -> None:
    tasks, _ = make_task(tmp_path, n_images=1)
    start = time.monotonic()
    out = evalkit_cmd("run", "--tasks", "e2e_vqa", "--model", str(model_dir), "--data-dir", str(tmp_path / "nowhere"),
                      tasks_dir=tasks)
    assert time.monotonic() - start < 20
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr
    assert "data folder" in out.stderr and "--data-dir" in out.stderr


def test_missing_model_folder_is_one_clear_line(tmp_path: Path) -> None:
    tasks, data = make_task(tmp_path, n_images=1)
    out = evalkit_cmd("run", "--tasks", "e2e_vqa", "--model", str(tmp_path / "no-model") + "/", "--data-dir", str(data),
                      tasks_dir=tasks)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "does not exist" in out.stderr
