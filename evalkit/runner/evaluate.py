"""Running one prepared task through a model, journaling every finished batch."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from evalkit.data.samples import Sample
from evalkit.errors import EvalkitError
from evalkit.models.base import GenerateRequest, LoglikelihoodRequest, Model
from evalkit.runner.journal import Journal
from evalkit.runner.prepare import PreparedTask
from evalkit.scoring.registry import get_extractor, get_scorer
from evalkit.tasks.spec import ProtocolSpec

PREFETCH_BATCHES = 2


@dataclass
class TaskCounts:
    total: int = 0
    resumed: int = 0  # taken from the journal, no model call
    evaluated: int = 0  # sent to the model in this invocation
    failed: int = 0


def json_safe(value: Any) -> Any:
    """Non-finite floats become None so that every record is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def score_record(proto: ProtocolSpec, record: dict[str, Any]) -> dict[str, Any]:
    """(Re)compute ``answer`` and ``scores`` of a record from its raw ``output``."""
    if record.get("error") is not None:
        return {**record, "answer": None, "scores": {}}
    try:
        answer = get_extractor(proto.extractor).fn(
            record["output"], record["target"], record["meta"], **proto.extractor_args
        )
        scores = get_scorer(proto.scorer).fn(answer, record["target"], record["meta"], **proto.scorer_args)
    except EvalkitError:
        raise
    except Exception as exc:  # a scorer that cannot handle an answer fails that sample, visibly
        return {**record, "answer": None, "scores": {}, "error": f"scoring failed: {type(exc).__name__}: {exc}"}
    return {**record, "answer": json_safe(answer), "scores": json_safe(scores)}


def _base_record(task: PreparedTask, sample: Sample, key: str) -> dict[str, Any]:
    prompt = task.prompts.get(sample.id)
    return {
        "id": sample.id,
        "key": key,
        "prompt_hash": prompt.hash() if prompt is not None else None,
        "target": sample.target,
        "meta": sample.meta,
        "output": None,
        "answer": None,
        "scores": {},
        "error": task.prompt_errors.get(sample.id),
    }


def _decode(prompt_images: Sequence[Any]) -> str | None:
    try:
        for image in prompt_images:
            image.load()
    except EvalkitError as exc:
        return str(exc)
    return None


def _batches(items: list[Sample], size: int) -> Iterator[list[Sample]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _call_model(task: PreparedTask, model: Model, batch: list[Sample]) -> list[Any]:
    if task.protocol.output == "choice":
        requests = [LoglikelihoodRequest(task.prompts[s.id], task.continuations(s)) for s in batch]
        return [[c.mean_loss for c in scores] for scores in model.loglikelihood(requests)]
    settings = task.settings()
    results = model.generate([GenerateRequest(task.prompts[s.id], settings) for s in batch])
    return [r.text for r in results]


def _run_batch(task: PreparedTask, model: Model, batch: list[Sample]) -> list[tuple[Any, str | None]]:
    """Outputs for a batch; when the batch call fails, each sample is retried alone so that one
    bad sample fails only itself."""
    try:
        return [(out, None) for out in _call_model(task, model, batch)]
    except EvalkitError:
        raise
    except Exception as exc:
        if len(batch) == 1:
            return [(None, f"model failed: {type(exc).__name__}: {exc}")]
    out: list[tuple[Any, str | None]] = []
    for sample in batch:
        try:
            out.append((_call_model(task, model, [sample])[0], None))
        except EvalkitError:
            raise
        except Exception as exc:
            out.append((None, f"model failed: {type(exc).__name__}: {exc}"))
    return out


def evaluate_task(
    task: PreparedTask, model: Model, journal: Journal, *, batch_size: int, seed: int, progress: bool = True,
    samples: Sequence[Sample] | None = None,
) -> tuple[list[dict[str, Any]], TaskCounts]:
    """Every sample's scored record, in dataset order; only unjournaled samples reach the model.

    ``samples`` restricts the work to a subset (this rank's shard under torchrun).
    """
    identity = model.identity().as_dict()
    mine = list(task.samples if samples is None else samples)
    counts = TaskCounts(total=len(mine))
    records: dict[str, dict[str, Any]] = {}
    keys: dict[str, str] = {}
    todo: list[Sample] = []
    for sample in mine:
        keys[sample.id] = key = task.sample_key(sample, identity, seed)
        done = journal.get(sample.id, key)
        if done is not None:
            records[sample.id] = done
            counts.resumed += 1
        else:
            todo.append(sample)
    todo.sort(key=lambda s: -_prompt_length(task, s))  # longest first: fewer pads, early out-of-memory
    batches = list(_batches(todo, batch_size))
    bar = _progress(task.name, len(todo), progress)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="evalkit-images") as pool:
        pending: dict[int, list[Future[str | None]]] = {}

        def prefetch(i: int) -> None:
            if i < len(batches) and i not in pending:
                pending[i] = [pool.submit(_decode, _images(task, s)) for s in batches[i]]

        for i in range(PREFETCH_BATCHES):
            prefetch(i)
        for i, batch in enumerate(batches):
            prefetch(i + PREFETCH_BATCHES)
            decode_errors = [task.prompt_errors.get(s.id) or f.result() for s, f in zip(batch, pending.pop(i))]
            ready = [s for s, err in zip(batch, decode_errors) if err is None]
            outputs = dict(zip((s.id for s in ready), _run_batch(task, model, ready))) if ready else {}
            new = []
            for sample, err in zip(batch, decode_errors):
                record = _base_record(task, sample, keys[sample.id])
                if err is not None:
                    record["error"] = err
                else:
                    output, model_err = outputs[sample.id]
                    record["output"], record["error"] = json_safe(output), model_err
                new.append(score_record(task.protocol, record))
                for image in _images(task, sample):
                    image.release()
            journal.append(new)
            for record in new:
                records[record["id"]] = record
            counts.evaluated += len(ready)
            bar.update(len(batch))
    bar.close()
    ordered = [records[s.id] for s in mine]
    counts.failed = sum(1 for r in ordered if r.get("error") is not None)
    return ordered, counts


def _images(task: PreparedTask, sample: Sample) -> tuple[Any, ...]:
    prompt = task.prompts.get(sample.id)
    return prompt.images if prompt is not None else ()


def _prompt_length(task: PreparedTask, sample: Sample) -> int:
    prompt = task.prompts.get(sample.id)
    return len(prompt.render_text()) if prompt is not None else 0


def _progress(name: str, total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="sample", disable=not enabled or total == 0, leave=False)
