"""Typed task specs (``evalkit.tasks.parse`` validates ``tasks/<family>.yaml`` into them).

A family file holds ``defaults`` (optional, merged one level deep into every task) and a list of
``tasks``. Each task names its data source(s), how dataset columns map onto a sample, the output
type, and one entry per protocol with the prompt template, generation settings and the names of
its answer extractor, scorer and aggregation (see ``evalkit/scoring``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

OutputType = Literal["generate", "choice"]
SourceFormat = Literal["parquet", "jsonl", "tsv", "imagefolder"]
PROTOCOL_NAMES = ("qwen-vl", "standard", "generate")
MODEL_FAMILIES = ("qwen-vl", "chat")
SOURCE_FORMATS = ("parquet", "jsonl", "tsv", "imagefolder")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class HubSource:
    """A dataset on the Hugging Face hub. ``alt_ids`` are accepted copies (e.g. a migrated org)."""

    id: str
    split: str
    config: str | None = None
    revision: str | None = None
    alt_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocalSource:
    """A local copy: ``path`` is relative to ``--data-dir`` (or absolute); globs allowed for parquet."""

    format: str
    path: str
    image_root: str | None = None  # folder that image paths inside the file are relative to
    bundled: bool = False  # the data ships inside evalkit (``evalkit/_data``), no --data-dir needed


@dataclass(frozen=True)
class Source:
    """Where rows come from. ``where`` keeps only rows whose column value (compared as text) is one
    of the listed values (a subset such as ChartQA's human split); ``join`` adds columns from a
    second dataset (GQA keeps its images in a separate config)."""

    hub: HubSource | None = None
    local: LocalSource | None = None
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    join: JoinSpec | None = None


@dataclass(frozen=True)
class JoinSpec:
    """Columns taken from the rows of ``source`` whose ``key`` equals the main row's ``on_column``."""

    source: Source
    on_column: str
    key: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class FieldSpec:
    """Where a sample field comes from: a column (dotted for nested), optional named transform."""

    column: str | tuple[str, ...]
    transform: str | None = None
    default: Any = None


@dataclass(frozen=True)
class FieldMap:
    id: FieldSpec
    target: FieldSpec | dict[str, FieldSpec] | None
    image: FieldSpec | None = None  # a column holding one image or a list of images
    text: dict[str, FieldSpec] = field(default_factory=dict)  # template variables
    options: FieldSpec | tuple[FieldSpec, ...] | None = None
    subtask: FieldSpec | None = None
    cluster: FieldSpec | None = None  # samples sharing it stay together and are clustered in CIs
    fewshot_answer: FieldSpec | None = None
    meta: dict[str, FieldSpec] = field(default_factory=dict)
    # "error": two samples with one id are a mistake in the mapping; "number": rows whose content is
    # repeated in the dataset (same content id) become id, id~2, id~3 in dataset order
    repeated_ids: Literal["error", "number"] = "error"


@dataclass(frozen=True)
class PromptSpec:
    template: str
    style: Literal["raw", "chat"] = "raw"
    system: str | None = None
    fewshot_template: str | None = None  # default: template + " {answer}"
    image_separator: str = ""  # appended after each image of an ``<images>`` placeholder
    option_format: str = "{letter}. {text}"
    option_separator: str = "\n"


@dataclass(frozen=True)
class ProtocolSpec:
    name: str
    prompt: PromptSpec
    family_prompts: dict[str, PromptSpec]
    max_new_tokens: int
    min_new_tokens: int
    stop: tuple[str, ...]
    continuation: str  # choice tasks: the text scored per option, e.g. " {letter}"
    extractor: str
    extractor_args: dict[str, Any]
    scorer: str
    scorer_args: dict[str, Any]
    aggregation: str
    aggregation_args: dict[str, Any]
    primary_metric: str | None = None  # the headline metric in tables; default: the aggregation's first
    notes: str = ""
    output: OutputType = "generate"  # default: the task's output type
    fields: FieldMap | None = None  # the task's field mapping with this protocol's overrides merged in
    fewshot: FewShotSpec | None = None  # replaces the task's few-shot pool under this protocol

    def prompt_for(self, family: str) -> PromptSpec:
        return self.family_prompts.get(family, self.prompt)


@dataclass(frozen=True)
class FewShotSpec:
    """The pool few-shot examples are drawn from. ``fields``: the task's mapping with overrides
    merged in, for a pool whose schema differs (e.g. the official train JSONL); ``explode``
    replaces the task's when given."""

    source: Source
    seed: int = 1234
    max_k: int = 8
    fields: FieldMap | None = None
    explode: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TaskSpec:
    name: str
    file: str
    version: int
    description: str
    groups: tuple[str, ...]
    source: Source
    fields: FieldMap
    output: OutputType
    protocols: dict[str, ProtocolSpec]
    default_protocol: str
    fewshot: FewShotSpec | None
    explode: tuple[str, ...]
    raw: Mapping[str, Any]

    def protocol(self, name: str | None) -> ProtocolSpec:
        from evalkit.errors import ConfigError, did_you_mean

        chosen = name or self.default_protocol
        if chosen not in self.protocols:
            raise ConfigError(
                f"task {self.name!r} has no protocol {chosen!r}{did_you_mean(chosen, self.protocols)} "
                f"(it has: {', '.join(self.protocols)})"
            )
        return self.protocols[chosen]

    @property
    def spec_hash(self) -> str:
        blob = json.dumps(self.raw, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]
