"""TouchStone judged end to end by ``run()`` against a local server: scores equal the hand-computed
ones, faults are retried, failed rounds excluded and counted, reruns and the cache ask nothing twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalkit.errors import ConfigError
from evalkit.results.rescore import rescore_run
from evalkit.runner.run import run
from evalkit.tasks.registry import all_tasks
from tests.fake_openai_server import (
    FakeOpenAIServer,
    Fault,
    Reply,
    Script,
    Stall,
    judge_query_parts,
)
from tests.test_judge_support import make_dialogue_task, round_key, serve

SECRET = "sk-judge-secret-4b8d2f6a1c3e"
FAST = "timeout=0.3,retry_backoff=0.01,max_retries=1,concurrency=2,api_key_env=EVALKIT_JUDGE_KEY"


@pytest.fixture()
def dialogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    tasks, data = make_dialogue_task(tmp_path, 4, ["A", "A,B", "B", "B"])
    monkeypatch.setenv("EVALKIT_TASKS_PATH", str(tasks))
    monkeypatch.setenv("EVALKIT_JUDGE_KEY", SECRET)
    all_tasks.cache_clear()
    yield data
    all_tasks.cache_clear()


def judged_run(server: FakeOpenAIServer, data: Path, output: Path, cache: Path, **extra: Any) -> Any:
    return run(tasks="judged_dialogue", model="openai:answerer", model_args=f"base_url={server.url},{FAST}",
               judge="openai:judge", judge_args=f"base_url={server.url},{FAST},cache_dir={cache}",
               data_dir=str(data), output_dir=str(output), progress=False, **extra)


def judge_requests(server: FakeOpenAIServer, since: int = 0) -> dict[str, int]:
    counts: dict[str, int] = {}
    for seen in server.requests("judge")[since:]:
        counts[round_key(seen.body)] = counts.get(round_key(seen.body), 0) + 1
    return counts


SCRIPT = {
    "Q1?/r1": [Reply("7 8\nAssistant 2 is more detailed.")],  # the server stops at the newline
    "Q1?/r2": [Stall(0.8), Reply("9 6")],  # a timeout, retried by the client
    "Q2?/r1": [Reply("Score: 8 7"), Reply("8 7")],  # a malformed first line, asked again
    "Q2?/r2": [Fault(429, retry_after=0), Reply("6 5")],
    "Q3?/r1": [Reply("Both answers are fine.")],  # never parses: excluded after 5 tries
    "Q3?/r2": [Fault(500), Reply("4 4")],
    "Q4?/r1": [Fault(503)],  # the judge never answers: 5 failed calls, excluded, asked again next run
    "Q4?/r2": [Reply("5 5")],
}


def test_touchstone_scores_retries_exclusions_resume_and_cache(dialogue: Path, tmp_path: Path) -> None:
    script = Script(round_key, SCRIPT)
    cache = tmp_path / "judge-cache"
    with FakeOpenAIServer(serve(script), api_key=SECRET) as server:
        first = judged_run(server, dialogue, tmp_path / "results", cache)
        entry = first.scores["tasks"]["judged_dialogue"]
        # model scores per judged round: Q1 8, 9; Q2 7, 6; Q3 -, 4; Q4 -, 5 (round 1: the model is Assistant 2)
        assert entry["metrics"]["score"]["value"] == 650.0
        assert entry["metrics"]["reference_score"]["value"] == pytest.approx(3500 / 6, rel=1e-12)
        assert entry["subtasks"]["A"]["score"]["value"] == 750.0  # Q1 and Q2: 8, 9, 7, 6
        assert entry["subtasks"]["B"]["score"]["value"] == 550.0  # Q2, Q3, Q4: 7, 6, 4, 5
        assert entry["info"] == {"excluded_rounds": 2, "judged_rounds": 6, "unjudged_questions": 0}
        assert judge_requests(server) == {"Q1?/r1": 1, "Q1?/r2": 2, "Q2?/r1": 2, "Q2?/r2": 2, "Q3?/r1": 5,
                                          "Q3?/r2": 2, "Q4?/r1": 10, "Q4?/r2": 1}
        report = entry["judge"]
        assert report["judge"]["name"] == "openai:judge" and report["judge"]["base_url"] == server.url
        assert (report["judged"], report["resumed"], report["incomplete"], report["not_judged"]) == (4, 0, 1, 0)
        assert report["usage"] == {"calls": 17, "requests": 25, "retries": 8, "failed_calls": 5,
                                   "prompt_tokens": 11 * 12, "completion_tokens": 7 * 12, "cache_hits": 0}
        records = {r["id"]: r for r in map(json.loads, (first.run_dir / "samples" / "judged_dialogue.jsonl")
                                           .read_text().splitlines())}
        assert records["2"]["meta"]["judge"] == {"round1": ["Score: 8 7", "8 7"], "round2": ["6 5"]}
        assert records["4"]["meta"]["judge"] == {"round1": [None] * 5, "round2": ["5 5"]}
        assert records["3"]["meta"]["judge"]["round1"] == ["Both answers are fine."] * 5
        assert records["4"]["judge_info"]["complete"] is False and records["3"]["judge_info"]["complete"] is True
        info = json.loads((first.run_dir / "run.json").read_text())
        assert info["judge"]["name"] == "openai:judge" and info["usage"]["judge"]["requests"] == 25
        assert info["usage"]["model"]["calls"] == 4

        # The same command again: answers and complete judgements come from the journal; only Q4's
        # failed round is asked again (its other round is in the cache).
        script.replace("Q4?/r1", [Reply("3 2")])
        model_before, judge_before = len(server.requests("answerer")), len(server.requests("judge"))
        second = judged_run(server, dialogue, tmp_path / "results", cache)
        assert second.run_dir == first.run_dir
        assert len(server.requests("answerer")) == model_before
        assert judge_requests(server, judge_before) == {"Q4?/r1": 1}
        entry = second.scores["tasks"]["judged_dialogue"]
        assert entry["metrics"]["score"]["value"] == pytest.approx(4100 / 7, rel=1e-12)  # 8 9 7 6 4 2 5
        assert entry["info"]["excluded_rounds"] == 1
        report = entry["judge"]
        assert (report["judged"], report["resumed"], report["incomplete"]) == (1, 3, 0)
        assert report["usage"]["cache_hits"] == 1 and report["usage"]["requests"] == 1
        # rescoring reads the judgements back from the journal, without the judge
        rescored = rescore_run(second.run_dir)["tasks"]["judged_dialogue"]
        assert rescored["metrics"] == entry["metrics"]
        assert rescored["judge"] == entry["judge"]  # rescoring keeps the judge's report

        # A fresh run folder (the model answers again) with the same cache: not one judge call.
        judge_before = len(server.requests("judge"))
        third = judged_run(server, dialogue, tmp_path / "elsewhere", cache)
        assert len(server.requests("judge")) == judge_before
        entry3 = third.scores["tasks"]["judged_dialogue"]
        assert entry3["metrics"] == entry["metrics"] and entry3["judge"]["usage"]["cache_hits"] == 13

    written = "".join(p.read_text() for root in (tmp_path / "results", tmp_path / "elsewhere")
                      for p in root.rglob("*") if p.is_file())
    assert SECRET not in written


def test_judge_prompt_is_the_official_one_in_both_orders(dialogue: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer(serve(lambda body: Reply("6 7"))) as server:
        result = run(tasks="judged_dialogue", model="openai:answerer", model_args=f"base_url={server.url}",
                     judge="openai:judge", judge_args=f"base_url={server.url}", data_dir=str(dialogue),
                     output_dir=str(tmp_path / "out"), limit=1, progress=False)
        first, second = server.requests("judge")
    assert result.scores["tasks"]["judged_dialogue"]["metrics"]["score"]["value"] == 650.0  # 7 then 6
    assert first.body["temperature"] == 0.0 and first.body["stop"] == ["\n"] and "max_tokens" not in first.body
    system, user = first.body["messages"]
    assert system == {"role": "system",
                      "content": "You are a helpful and precise assistant for checking the quality of the answer."}
    assert user["content"].startswith("[Detailed Image Description]\nA picture numbered 1.\n\n[Question]\nQ1?\n\n"
                                      "[The Start of Assistant 1's Answer]\nThe reference answer 1.\n\n"
                                      "[The End of Assistant 1's Answer]\n\n[The Start of Assistant 2's Answer]\n"
                                      "MODEL says: about Q1?\n\n[The End of Assistant 2's Answer]\n\n[System]\n"
                                      "We would like to request your feedback")
    assert user["content"].endswith("does not affect your judgment.\n\n")
    swapped = judge_query_parts(second.body)
    assert swapped["answer_1"] == "MODEL says: about Q1?" and swapped["answer_2"] == "The reference answer 1."


def test_a_judged_task_without_a_judge_fails_before_the_model_is_asked(dialogue: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer(serve(lambda body: Reply("6 7"))) as server:
        with pytest.raises(ConfigError, match=r"judged_dialogue is scored by an LLM judge: pass --judge openai:MODEL"):
            run(tasks="judged_dialogue", model="openai:answerer", model_args=f"base_url={server.url}",
                data_dir=str(dialogue), output_dir=str(tmp_path / "out"), progress=False)
        with pytest.raises(ConfigError, match="--judge 'gpt-4o'.*openai:MODEL"):
            run(tasks="judged_dialogue", model="openai:answerer", model_args=f"base_url={server.url}",
                judge="gpt-4o", data_dir=str(dialogue), output_dir=str(tmp_path / "out"), progress=False)
        assert server.requests() == []


def test_the_bundled_synthetic_dialogue_is_judged_the_same_way(dialogue: Path, tmp_path: Path) -> None:
    descriptions: list[str] = []

    def judge(body: dict[str, Any]) -> Reply:
        descriptions.append(judge_query_parts(body)["description"])
        return Reply("3 9")

    with FakeOpenAIServer(serve(judge)) as server:
        result = run(tasks="synth_dialogue_judged", protocol="standard", model="openai:answerer",
                     model_args=f"base_url={server.url}",
                     judge="openai:judge", judge_args=f"base_url={server.url}", output_dir=str(tmp_path / "out"),
                     limit=3, progress=False)
    entry = result.scores["tasks"]["synth_dialogue_judged"]
    assert entry["n"] == 3 and entry["metrics"]["score"]["value"] == 600.0  # 9 (round 1) and 3 (round 2)
    assert len(descriptions) == 6 and all(d.startswith("The picture is 64 by 64 pixels") for d in descriptions)
    assert set(entry["subtasks"]) <= {"basic description", "recognition", "comprehension", "storytelling"}
