"""A real ``evalkit run`` killed (SIGKILL) while judging resumes without asking the judge again
about any judgement it had finished, nor the model about any answer."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.e2e_support import REPO_ROOT, cli_env
from tests.fake_openai_server import FakeOpenAIServer, Reply, judge_query_parts
from tests.test_judge_support import make_dialogue_task, round_key, serve

N = 8


def judge(body: dict[str, Any]) -> Reply:
    """Question ``Qi?`` gets the model ``i`` in both rounds (the reference 6), a little slowly."""
    i = judge_query_parts(body)["question"].strip("Q?")
    return Reply(f"6 {i}" if round_key(body).endswith("r1") else f"{i} 6", delay=0.1)


def judged_ids(journal: Path) -> set[str]:
    if not journal.exists():
        return set()
    done = set()
    for line in journal.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line
        if record.get("judge_info", {}).get("complete"):
            done.add(record["id"])
    return done


def test_run_killed_while_judging_resumes_without_re_asking(tmp_path: Path) -> None:
    tasks, data = make_dialogue_task(tmp_path, N)
    output = tmp_path / "results"
    with FakeOpenAIServer(serve(judge)) as server:
        cmd = [sys.executable, "-m", "evalkit", "run", "--tasks", "judged_dialogue", "--model", "openai:answerer",
               "--model-args", f"base_url={server.url}", "--judge", "openai:judge",
               "--judge-args", f"base_url={server.url},concurrency=1", "--data-dir", str(data),
               "--output-dir", str(output), "--quiet"]
        proc = subprocess.Popen(cmd, env=cli_env(tasks), cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        journals: list[Path] = []
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                journals = list(output.glob("*/*/journal/judged_dialogue.jsonl"))
                if journals and len(judged_ids(journals[0])) >= 2:
                    os.kill(proc.pid, signal.SIGKILL)
                    break
                time.sleep(0.02)
        finally:
            if proc.poll() is None:
                proc.kill()
            _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, f"the run ended before it could be killed: {stderr!r}"
        (journal,) = journals
        finished = judged_ids(journal)
        assert 2 <= len(finished) < N  # killed in the middle of judging
        asked_before = len(server.requests("judge"))
        answered_before = len(server.requests("answerer"))
        shutil.rmtree(output / "judge-cache")  # so that only the journal can spare the finished ones

        rerun = subprocess.run(cmd, env=cli_env(tasks), cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                               check=False)
        assert rerun.returncode == 0, rerun.stderr
        assert f"judged_dialogue: judged by openai:judge ({server.url}); 0 of 16 rounds excluded" in rerun.stdout
        asked_after = {judge_query_parts(s.body)["question"] for s in server.requests("judge")[asked_before:]}
        assert len(server.requests("answerer")) == answered_before == N  # every answer came from the journal
    finished_questions = {f"Q{i}?" for i in finished}
    assert asked_after.isdisjoint(finished_questions)
    assert asked_after | finished_questions == {f"Q{i}?" for i in range(1, N + 1)}

    (run_dir,) = [p.parent for p in output.glob("*/*/run.json")]
    entry = json.loads((run_dir / "scores.json").read_text())["tasks"]["judged_dialogue"]
    assert entry["metrics"]["score"]["value"] == 450.0  # the mean of 1..8, each twice
    assert entry["info"] == {"excluded_rounds": 0, "judged_rounds": 2 * N, "unjudged_questions": 0}
    assert entry["judge"]["resumed"] == len(finished) and entry["judge"]["judged"] == N - len(finished)
    assert json.loads((run_dir / "run.json").read_text())["status"] == "finished"
