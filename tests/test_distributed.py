"""Data-parallel runs under torchrun (gloo on the CPU): identical results to one process, resume per shard."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e_support import REPO_ROOT, cli_env, evalkit_cmd, make_task
from tests.tiny_qwen2vl import build_tiny_qwen2_vl

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_qwen2_vl(tmp_path_factory.mktemp("tiny-qwen2-vl-dist") / "model", seed=1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def torchrun(args: list[str], nproc: int = 2) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", str(nproc),
            "--master-addr", "127.0.0.1", "--master-port", str(free_port()), "-m", "evalkit", *args]


def only_run(output: Path) -> Path:
    (run,) = [p.parent for p in output.glob("*/*/run.json")]
    return run


def assert_same_results(a: Path, b: Path, task: str = "e2e_vqa") -> None:
    assert (a / "samples" / f"{task}.jsonl").read_bytes() == (b / "samples" / f"{task}.jsonl").read_bytes()
    assert (a / "scores.json").read_bytes() == (b / "scores.json").read_bytes()


def test_two_ranks_match_one_process(tmp_path: Path, model_dir: Path) -> None:
    tasks, data = make_task(tmp_path, n_images=7)
    args = ["run", "--tasks", "e2e_vqa", "--model", str(model_dir), "--data-dir", str(data), "--device", "cpu",
            "--batch-size", "3", "--quiet"]
    single = evalkit_cmd(*args, "--output-dir", str(tmp_path / "single"), tasks_dir=tasks)
    assert single.returncode == 0, single.stderr
    dist = subprocess.run(torchrun(args + ["--output-dir", str(tmp_path / "dist")]), capture_output=True, text=True,
                          timeout=600, env=cli_env(tasks), cwd=REPO_ROOT)
    assert dist.returncode == 0, dist.stderr[-3000:]
    run = only_run(tmp_path / "dist")
    assert_same_results(only_run(tmp_path / "single"), run)
    info = json.loads((run / "run.json").read_text())
    assert info["world_size"] == 2
    assert info["counts"]["e2e_vqa"]["evaluated"] == 14  # summed over ranks, each sample once
    journals = sorted(p.name for p in (run / "journal").iterdir())
    assert journals == ["e2e_vqa.rank0.jsonl", "e2e_vqa.rank1.jsonl"]
    shard_ids = [{json.loads(x)["id"].split("-")[0] for x in (run / "journal" / j).read_text().splitlines()}
                 for j in journals]
    assert not shard_ids[0] & shard_ids[1]  # an image's two questions stay on one rank


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def test_killed_rank_fails_loudly_then_resumes_identically(tmp_path: Path, model_dir: Path) -> None:
    tasks, data = make_task(tmp_path, n_images=40, max_new_tokens=16)
    args = ["run", "--tasks", "e2e_vqa", "--model", str(model_dir), "--data-dir", str(data), "--device", "cpu",
            "--batch-size", "1", "--quiet"]
    out = tmp_path / "dist"
    env = {**cli_env(tasks), "EVALKIT_DIST_TIMEOUT": "60"}
    proc = subprocess.Popen(torchrun(args + ["--output-dir", str(out)]), env=env, cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    victim = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        journal = list(out.glob("*/*/journal/e2e_vqa.rank1.jsonl"))
        if journal and journal[0].read_bytes().count(b"\n") >= 5:
            ranks = _children(proc.pid)
            if len(ranks) == 2:
                victim = ranks[1]
                os.kill(victim, signal.SIGKILL)
                break
        time.sleep(0.005)
    assert victim is not None, "the run ended before a rank could be killed; make the task longer"
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode != 0  # the run failed loudly instead of hanging
    run = only_run(out)
    assert json.loads((run / "run.json").read_text())["status"] == "running"
    assert not (run / "scores.json").exists()
    done_before = sum(p.read_bytes().count(b"\n") for p in (run / "journal").glob("*.jsonl"))
    assert 5 <= done_before < 80

    rerun = subprocess.run(torchrun(args + ["--output-dir", str(out)]), capture_output=True, text=True, timeout=600,
                           env=env, cwd=REPO_ROOT)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    counts = json.loads((run / "run.json").read_text())["counts"]["e2e_vqa"]
    assert counts["resumed"] + counts["evaluated"] == 80
    assert counts["resumed"] >= done_before - 2  # at most a torn line per rank is redone

    clean = evalkit_cmd(*args, "--output-dir", str(tmp_path / "clean"), tasks_dir=tasks)
    assert clean.returncode == 0, clean.stderr
    assert_same_results(only_run(tmp_path / "clean"), run)
