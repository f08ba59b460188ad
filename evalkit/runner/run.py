"""``evalkit run`` as a function: the whole pipeline for a list of tasks and one model."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.judge import judge_task, open_judge
from evalkit.models.base import Model, ReportsUsage
from evalkit.results.aggregate import task_entry
from evalkit.results.files import SCHEMA_VERSION, RunDir, atomic_write_json, atomic_write_jsonl, safe_name
from evalkit.results.provenance import environment, now, portable_path
from evalkit.results.summary import summary_table
from evalkit.runner.config import DEFAULT_MODEL, DEFAULT_SUITE, RunConfig, build_config
from evalkit.runner.distributed import DistContext
from evalkit.runner.evaluate import TaskCounts, evaluate_task
from evalkit.runner.journal import Journal
from evalkit.runner.prepare import LoadedTask, PreparedTask, build_prompts, load_task


@dataclass
class RunResult:
    run_dir: Path
    scores: dict[str, Any]
    counts: dict[str, TaskCounts]

    @property
    def failed(self) -> bool:
        """True when some task produced no scored sample at all."""
        return any(c.total > 0 and c.failed == c.total for c in self.counts.values())


def run(config: RunConfig | None = None, *, progress: bool = True, print_summary: bool = False,
        **settings: Any) -> RunResult:
    """Evaluate; ``settings`` are ``RunConfig`` fields (``tasks="a,b"``, ``model="qwen-vl"``, …).

    ``model`` may also be an already loaded ``Model`` object; it is then named by its identity.
    """
    model: Model | None = None
    if settings.get("model") is not None and not isinstance(settings["model"], str):
        model = settings["model"]
        settings["model"] = model.identity().name  # type: ignore[union-attr]
    if config is None:
        config = build_config({k: v for k, v in settings.items() if k != "config"}, settings.get("config"))
    elif settings:
        config = replace(config, **settings)
    if config.resume:
        config = _resumed_config(Path(config.resume), config)
    if not config.tasks:
        config = build_config({k: v for k, v in asdict(config).items() if v not in (None, (), {})},
                              f"{DEFAULT_SUITE}.yaml")
    if config.model is None and model is None:
        config = replace(config, model=DEFAULT_MODEL)  # documented: tasks without --model run on Qwen-VL-Chat

    from evalkit.runner.distributed import from_environment

    ctx = from_environment(config.device)
    try:
        return _run(config, model, ctx, progress=progress, print_summary=print_summary)
    finally:
        ctx.close()


def _run(config: RunConfig, model: Model | None, ctx: DistContext, *, progress: bool,
         print_summary: bool) -> RunResult:
    from evalkit.tasks.registry import get_task, resolve_names

    requests = []
    for req in config.tasks:
        for name in resolve_names([req.name]):
            requests.append((get_task(name), req))
    data_dir = Path(config.data_dir).expanduser() if config.data_dir else None
    loaded: list[LoadedTask] = [  # all data first: a missing dataset fails before a model is loaded
        load_task(spec, protocol=req.protocol or config.protocol,
                  num_fewshot=_pick(req.num_fewshot, config.num_fewshot),
                  limit=_pick(req.limit, config.limit), data_dir=data_dir)
        for spec, req in requests
    ]
    judge = open_judge(config.judge, config.judge_args, [(t.spec.name, t.protocol) for t in loaded],
                       output_dir=Path(config.output_dir))  # a judged task without --judge fails before loading
    if model is None:
        from evalkit.models.registry import load_model

        model_args = dict(config.model_args)
        device = model_args.get("device", config.device)
        if ctx.active and device in (None, "cuda") and _cuda_available():
            device = f"cuda:{ctx.local_rank}"  # one GPU per rank
        if device is not None:
            model_args["device"] = device
        model = load_model(str(config.model), **model_args)
    identity = model.identity().as_dict()

    run_dir = RunDir(_run_root(config))
    run_info: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": "running",
        "config": _config_json(config),
        "model": {"name": config.model, "args": config.model_args,
                  "identity": {**identity, "source": portable_path(str(identity["source"]))}},
        "judge": judge.identity() if judge is not None else None,
        "tasks": {t.spec.name: {"spec_hash": t.spec.spec_hash, "version": t.spec.version,
                                "file": portable_path(t.spec.file), "protocol": t.protocol.name,
                                "num_fewshot": t.num_fewshot, "data": portable_path(t.data_origin)}
                  for t in loaded},
        "seed": config.seed,
        "world_size": ctx.world_size,
        "started": now(),
        **environment(),
    }
    if ctx.is_main:
        atomic_write_json(run_dir.run_json, run_info)
    # No rank journals a sample before run.json exists, so a run that crashes early can be resumed.
    ctx.barrier()

    scores: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "tasks": {}}
    counts: dict[str, TaskCounts] = {}
    t0 = time.perf_counter()
    for item in loaded:
        task = build_prompts(item, family=model.family, seed=config.seed)
        own_file = run_dir.journal(task.name, ctx.rank if ctx.active else None)
        with Journal(own_file, also_read=run_dir.journal_files(task.name)) as journal:
            records, mine = evaluate_task(task, model, journal, batch_size=config.batch_size, seed=config.seed,
                                          progress=progress, samples=ctx.shard(task.samples))
        counts[task.name] = _sum_counts(ctx.gather(mine))  # also waits until every rank is done
        if not ctx.is_main:
            continue
        if ctx.active:
            records = _merge_shards(task, run_dir, identity, config.seed)
            counts[task.name].failed = sum(1 for r in records if r.get("error") is not None)
        records, judging = judge_task(task, records, judge, own_file, progress=progress)
        atomic_write_jsonl(run_dir.samples(task.name), records)
        scores["tasks"][task.name] = task_entry(task.spec, task.protocol, records, num_fewshot=task.num_fewshot,
                                                seed=config.seed)
        if judging is not None:
            scores["tasks"][task.name]["judge"] = judging
    ctx.barrier()
    if ctx.is_main:
        atomic_write_json(run_dir.scores_json, scores)
        run_info.update(
            status="finished",
            finished=now(),
            wall_seconds=round(time.perf_counter() - t0, 3),
            counts={name: asdict(c) for name, c in counts.items()},
            usage={"model": model.usage() if isinstance(model, ReportsUsage) else None,
                   "judge": judge.usage() if judge is not None else None},
        )
        atomic_write_json(run_dir.run_json, run_info)
        if print_summary:
            print(summary_table(scores))
            print(f"\nresults: {run_dir.root}")
    return RunResult(run_dir.root, scores, counts)


def _merge_shards(task: PreparedTask, run_dir: RunDir, identity: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """Rank 0 reads every rank's journal and puts the records back in dataset order."""
    journal = Journal(run_dir.journal(task.name, 0), also_read=run_dir.journal_files(task.name))
    records = []
    for sample in task.samples:
        record = journal.find(sample.id, task.sample_key(sample, identity, seed))
        if record is None:
            raise EvalkitError(f"task {task.name}: no rank journaled sample {sample.id!r}; rerun to finish it")
        records.append(record)
    return records


def _sum_counts(parts: list[TaskCounts]) -> TaskCounts:
    total = TaskCounts()
    for part in parts:
        total.total += part.total
        total.resumed += part.resumed
        total.evaluated += part.evaluated
        total.failed += part.failed
    return total


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _pick(task_value: int | None, run_value: int | None) -> Any:
    return task_value if task_value is not None else run_value


def _run_root(config: RunConfig) -> Path:
    if config.resume:
        return Path(config.resume)
    run_id = config.run_id or config.settings_hash()
    return Path(config.output_dir) / safe_name(str(config.model)) / run_id


def _config_json(config: RunConfig) -> dict[str, Any]:
    data = asdict(config)
    data["tasks"] = [asdict(t) for t in config.tasks]
    return data


def _resumed_config(run_root: Path, given: RunConfig) -> RunConfig:
    run_json = run_root / "run.json"
    if not run_json.is_file():
        raise EvalkitError(f"--resume {run_root}: no run.json there; pass the folder of an earlier run")
    stored = json.loads(run_json.read_text(encoding="utf-8"))["config"]
    stored.update(resume=str(run_root), output_dir=given.output_dir)
    return build_config({k: v for k, v in stored.items() if v is not None})
