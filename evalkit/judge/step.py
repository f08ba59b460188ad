"""The judging step of a run: after a judged task's answers are journaled, the judge scores them.

A task is judged when its protocol's aggregation needs a judge's replies (``touchstone``). Each
finished judgement is appended to the task's journal as the sample's record with the judge's
replies in ``meta["judge"]`` (the shape the aggregation reads) and ``judge_info`` naming the judge
and a key over the judge and the full judge prompts. A rerun, or a run killed while judging and
started again, reuses every journaled judgement with the same key and asks only the rest; the
reply cache makes even those repeats free where the judge already answered.

A judgement is complete when each round has a parseable reply or used all its tries on replies
that did not parse. A round whose calls failed (server unreachable) is excluded from this run's
scores and counted, and is asked again by the next run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError
from evalkit.judge.judge import Judge, load_judge
from evalkit.judge.touchstone import JudgeRound, TouchStoneJudging
from evalkit.runner.journal import Journal
from evalkit.runner.prepare import PreparedTask
from evalkit.tasks.spec import ProtocolSpec

# Judging procedures by the name of the aggregation that reads their replies.
PROCEDURES: dict[str, TouchStoneJudging] = {"touchstone": TouchStoneJudging()}


def judging_for(protocol: ProtocolSpec) -> TouchStoneJudging | None:
    return PROCEDURES.get(protocol.aggregation)


def open_judge(spec: str | None, args: Mapping[str, Any], tasks: Sequence[tuple[str, ProtocolSpec]], *,
               output_dir: Path) -> Judge | None:
    """The run's judge, or ``None`` when no task needs one. Called before any model is loaded, so
    that a judged task without ``--judge`` fails at once."""
    judged = [name for name, protocol in tasks if judging_for(protocol) is not None]
    if not judged:
        return None
    if spec is None:
        raise ConfigError(
            f"{', '.join(judged)} {'is' if len(judged) == 1 else 'are'} scored by an LLM judge: pass "
            f"--judge openai:MODEL --judge-args base_url=URL,api_key_env=VAR (or leave the task out)"
        )
    return load_judge(spec, args, output_dir=output_dir)


@dataclass
class JudgeCounts:
    judged: int = 0  # judged by this invocation
    resumed: int = 0  # journaled judgements reused
    incomplete: int = 0  # a round's calls failed; asked again next run
    not_judged: int = 0  # no answer to judge (the sample failed)


def judgement_key(judge: Judge, procedure: TouchStoneJudging, rounds: Sequence[JudgeRound]) -> str:
    blob = {
        "judge": judge.model,
        "settings": judge.settings(temperature=procedure.temperature, stop=procedure.stop),
        "procedure": procedure.name,
        "max_tries": procedure.max_tries,
        "rounds": [{"name": r.name, "messages": r.messages} for r in rounds],
    }
    return hashlib.sha256(json.dumps(blob, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:24]


def judge_rounds(judge: Judge, procedure: TouchStoneJudging,
                 rounds: Sequence[JudgeRound]) -> tuple[dict[str, list[str | None]], bool]:
    """Every round's replies in call order (``None`` for a failed call), and whether it is complete."""
    settings = judge.settings(temperature=procedure.temperature, stop=procedure.stop)
    replies: dict[str, list[str | None]] = {}
    complete = True
    for judge_round in rounds:
        tries: list[str | None] = []
        for attempt in range(procedure.max_tries):
            tries.append(judge.ask(judge_round.messages, settings, attempt))
            if procedure.parses(tries[-1]):
                break
        replies[judge_round.name] = tries
        if not procedure.parses(tries[-1]) and None in tries:
            complete = False
    return replies, complete


def judge_task(task: PreparedTask, records: list[dict[str, Any]], judge: Judge | None, journal_path: Path, *,
               progress: bool = True) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The task's records with the judge's replies filled in, and the judging report for its scores
    entry; records of a task that is not judged come back unchanged, with no report."""
    procedure = judging_for(task.protocol)
    if procedure is None:
        return records, None
    if judge is None:
        raise ConfigError(f"task {task.name!r} is scored by an LLM judge: pass --judge openai:MODEL")
    samples = {s.id: s for s in task.samples}
    counts = JudgeCounts()
    out = list(records)
    todo: list[tuple[int, tuple[JudgeRound, ...], str]] = []
    for i, record in enumerate(records):
        if record.get("error") is not None:
            counts.not_judged += 1
            continue
        rounds = procedure.rounds(samples[record["id"]], record)
        key = judgement_key(judge, procedure, rounds)
        info = record.get("judge_info") or {}
        if info.get("key") == key and info.get("complete"):
            counts.resumed += 1
        else:
            todo.append((i, rounds, key))
    before = judge.client.usage()
    cache_hits_before = judge.usage()["cache_hits"]
    bar = _progress(f"{task.name} (judge)", len(todo), progress)
    pool = ThreadPoolExecutor(max_workers=judge.options.concurrency, thread_name_prefix="evalkit-judge")
    try:
        with Journal(journal_path) as journal:
            pending: dict[Future[tuple[dict[str, list[str | None]], bool]], tuple[int, str]] = {
                pool.submit(judge_rounds, judge, procedure, rounds): (i, key) for i, rounds, key in todo
            }
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    i, key = pending.pop(future)
                    replies, complete = future.result()
                    record = out[i]
                    out[i] = {**record, "meta": {**(record.get("meta") or {}), "judge": replies},
                              "judge_info": {"judge": judge.name, "key": key, "complete": complete}}
                    journal.append([out[i]])
                    counts.judged += 1
                    counts.incomplete += 0 if complete else 1
                    bar.update(1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    usage = judge.client.usage().minus(before).as_dict()
    usage["cache_hits"] = judge.usage()["cache_hits"] - cache_hits_before
    return out, {"judge": judge.identity(), "procedure": procedure.name, **asdict(counts), "usage": usage}


def _progress(name: str, total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="sample", disable=not enabled or total == 0, leave=False)
