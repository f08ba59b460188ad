"""The model interface every backend implements, and the request/result types it speaks.

A backend is anything with ``identity()``, ``generate()`` and ``loglikelihood()``; the runner
batches requests and never looks inside a model. Requests carry model-neutral ``Prompt``s; the
backend renders them (raw text, ChatML, a processor chat template, OpenAI messages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from evalkit.prompts.types import Prompt


@dataclass(frozen=True)
class GenerationSettings:
    """Greedy decoding settings. ``stop`` strings end the answer (the stop text is cut off)."""

    max_new_tokens: int = 32
    min_new_tokens: int = 0
    stop: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"max_new_tokens": self.max_new_tokens, "min_new_tokens": self.min_new_tokens, "stop": list(self.stop)}


@dataclass(frozen=True)
class GenerateRequest:
    prompt: Prompt
    settings: GenerationSettings = field(default_factory=GenerationSettings)


@dataclass(frozen=True)
class GenerateResult:
    """The decoded answer (special tokens removed, stripped) and token counts when known."""

    text: str
    prompt_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class LoglikelihoodRequest:
    """Score each continuation appended directly to the prompt (e.g. ``" A"``, ``" B"``)."""

    prompt: Prompt
    continuations: tuple[str, ...]


@dataclass(frozen=True)
class ContinuationScore:
    """How likely one continuation is.

    ``mean_loss`` is the mean token cross-entropy over the continuation's tokens, computed as
    the official Qwen-VL choice scripts do (float32); lower is more likely.
    """

    mean_loss: float
    sum_logprob: float
    n_tokens: int


@dataclass(frozen=True)
class ModelIdentity:
    """Everything about a model that can change its answers; part of every journal key."""

    name: str
    backend: str
    source: str
    revision: str | None = None
    dtype: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class Model(Protocol):
    """A vision-language model evalkit can evaluate.

    ``family`` picks the prompt variant a task uses for this model (``"qwen-vl"``, ``"chat"``).
    Both batched methods return one result per request, in order, and must give the same answer
    for a request whatever else is in its batch.
    """

    family: str

    def identity(self) -> ModelIdentity: ...

    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]: ...

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[list[ContinuationScore]]: ...


@runtime_checkable
class ReportsUsage(Protocol):
    """A model whose calls have a cost worth reporting (a served model: requests, retries, tokens);
    the run writes ``usage()`` into ``run.json``."""

    def usage(self) -> dict[str, int]: ...
