"""Preparing a task for a run: samples from its source, ``--limit`` applied, prompts built."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.data.samples import Sample, build_samples
from evalkit.data.sources import load_rows
from evalkit.errors import ConfigError, DataError
from evalkit.models.base import GenerationSettings
from evalkit.prompts.build import build_prompt, select_shots
from evalkit.prompts.types import Prompt
from evalkit.tasks.spec import LETTERS, ProtocolSpec, TaskSpec


@dataclass
class PreparedTask:
    spec: TaskSpec
    protocol: ProtocolSpec
    num_fewshot: int
    samples: list[Sample]
    prompts: dict[str, Prompt]
    prompt_errors: dict[str, str]  # samples whose prompt cannot be built (counted as failed)
    data_origin: str

    @property
    def name(self) -> str:
        return self.spec.name

    def settings(self) -> GenerationSettings:
        p = self.protocol
        return GenerationSettings(max_new_tokens=p.max_new_tokens, min_new_tokens=p.min_new_tokens, stop=p.stop)

    def continuations(self, sample: Sample) -> tuple[str, ...]:
        if not sample.options:
            raise ConfigError(f"task {self.name!r} is a choice task but sample {sample.id!r} has no options")
        return tuple(self.protocol.continuation.replace("{letter}", LETTERS[i]) for i in range(len(sample.options)))

    def sample_key(self, sample: Sample, model_identity: dict[str, Any], seed: int) -> str:
        """Everything that changes this sample's answer, hashed: the journal key."""
        request: Any = (
            self.settings().as_dict() if self.protocol.output == "generate" else list(self.continuations(sample))
        )
        blob = {
            "task": self.name,
            "spec": self.spec.spec_hash,
            "protocol": self.protocol.name,
            "prompt": self.prompts[sample.id].hash() if sample.id in self.prompts else None,
            "model": model_identity,
            "request": request,
            "shots": self.num_fewshot,
            "seed": seed,
        }
        return hashlib.sha256(json.dumps(blob, sort_keys=True, default=str).encode()).hexdigest()[:24]


def apply_limit(samples: list[Sample], limit: int | None) -> list[Sample]:
    """The first ``limit`` samples, extended so that samples sharing a cluster (MME's question
    pairs, an image's questions) are never split."""
    if limit is None or limit >= len(samples):
        return samples
    keep_clusters: list[str] = []
    count = 0
    sizes: dict[str, int] = {}
    for s in samples:
        sizes[s.cluster] = sizes.get(s.cluster, 0) + 1
    for s in samples:
        if count >= limit:
            break
        if s.cluster not in keep_clusters:
            keep_clusters.append(s.cluster)
            count += sizes[s.cluster]
    chosen = set(keep_clusters)
    return [s for s in samples if s.cluster in chosen]


@dataclass
class LoadedTask:
    """A task's samples (and few-shot pool) read from its source, before prompts exist."""

    spec: TaskSpec
    protocol: ProtocolSpec
    num_fewshot: int
    samples: list[Sample]
    pool: list[Sample]
    data_origin: str


def load_task(
    spec: TaskSpec, *, protocol: str | None, num_fewshot: int, limit: int | None, data_dir: Path | None
) -> LoadedTask:
    proto = spec.protocol(protocol)
    fields = proto.fields or spec.fields  # a protocol may override field mappings (e.g. its target)
    rows = load_rows(spec.source, data_dir, task=spec.name)
    samples = apply_limit(build_samples(rows, fields, task=spec.name, explode=spec.explode), limit)
    pool: list[Sample] = []
    fewshot = proto.fewshot or spec.fewshot
    if num_fewshot > 0:
        if fewshot is None:
            raise ConfigError(f"task {spec.name!r} has no few-shot source; run it with --num-fewshot 0")
        if num_fewshot > fewshot.max_k:
            raise ConfigError(f"task {spec.name!r} allows at most {fewshot.max_k} shots, got {num_fewshot}")
        pool_rows = load_rows(fewshot.source, data_dir, task=f"{spec.name} (few-shot pool)")
        pool_explode = spec.explode if fewshot.explode is None else fewshot.explode
        pool = build_samples(pool_rows, fewshot.fields or fields, task=spec.name, explode=pool_explode)
    return LoadedTask(spec, proto, num_fewshot, samples, pool, rows.origin)


def build_prompts(loaded: LoadedTask, *, family: str, seed: int) -> PreparedTask:
    spec = loaded.spec
    fewshot = loaded.protocol.fewshot or spec.fewshot
    shot_seed = fewshot.seed + seed if fewshot else seed
    prompts: dict[str, Prompt] = {}
    prompt_errors: dict[str, str] = {}
    for s in loaded.samples:
        try:
            shots = select_shots(loaded.pool, s, loaded.num_fewshot, shot_seed)
            prompts[s.id] = build_prompt(s, loaded.protocol, family, shots)
        except DataError as exc:  # a sample-level problem (e.g. image count); spec problems still raise
            prompt_errors[s.id] = str(exc)
    return PreparedTask(spec, loaded.protocol, loaded.num_fewshot, loaded.samples, prompts, prompt_errors,
                        loaded.data_origin)
