"""The ``openai:NAME`` backend: a model served behind an OpenAI-compatible chat-completions API.

``evalkit run --model openai:NAME --model-args base_url=http://127.0.0.1:8000/v1`` evaluates a
model served by vLLM, SGLang or a hosted API. Images travel inline as PNG ``data:`` URLs.
Model args, besides the connection settings of ``evalkit.models.openai.ClientOptions``
(``base_url``, ``api_key_env``, ``timeout``, ``max_retries``, ``retry_backoff``, ``concurrency``):

- ``temperature``: default 0 (greedy, as every protocol assumes).
- ``seed``: sent to servers that honour it (vLLM, OpenAI); default none.
- ``min_tokens``: ``send`` (default) passes a protocol's ``min_new_tokens`` as ``min_tokens``,
  which vLLM and SGLang honour; ``drop`` leaves it out for servers that reject the field.
- ``family``: the prompt variant tasks use for this model, ``chat`` (default) or ``qwen-vl``.

Requests of a batch go out together, up to ``concurrency`` at once, so ``--batch-size`` should be
at least ``concurrency`` to use it. The key comes only from the environment variable named by
``api_key_env``. Choice tasks scored by likelihood cannot run here: the chat API returns no
log-probabilities of the prompt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from evalkit.errors import ConfigError, ModelLoadError
from evalkit.models.base import (
    ContinuationScore,
    GenerateRequest,
    GenerateResult,
    LoglikelihoodRequest,
    ModelIdentity,
)
from evalkit.models.openai import ChatClient, ChatReply, ClientOptions, split_args
from evalkit.models.openai.messages import chat_messages
from evalkit.models.openai.options import number
from evalkit.tasks.spec import MODEL_FAMILIES

FLAG = "--model-args"
MODEL_ARGS = ("temperature", "seed", "min_tokens", "family", "device")


class OpenAIChatModel:
    """An evalkit ``Model`` whose answers come from a chat-completions server."""

    def __init__(self, name: str, options: ClientOptions, *, temperature: float = 0.0, seed: int | None = None,
                 send_min_tokens: bool = True, family: str = "chat", client: ChatClient | None = None) -> None:
        self.name = name
        self.family = family
        self.options = options
        self.temperature = temperature
        self.seed = seed
        self.send_min_tokens = send_min_tokens
        self.client = client or ChatClient(options)
        # Outcomes of the last multi-request call: when one request of a batch fails, the runner
        # asks again one sample at a time, and those answers are served from here, not re-bought.
        self._last_batch: dict[str, ChatReply | BaseException] = {}

    def __repr__(self) -> str:
        return f"OpenAIChatModel({self.name!r}, {self.options.display_url!r})"

    def identity(self) -> ModelIdentity:
        return ModelIdentity(
            name=f"openai:{self.name}",
            backend="openai",
            source=self.options.display_url,
            extra={"temperature": self.temperature, "seed": self.seed,
                   "min_tokens": "send" if self.send_min_tokens else "drop"},
        )

    def usage(self) -> dict[str, int]:
        """Requests, retries and tokens spent so far (the server's own token counts)."""
        return self.client.usage().as_dict()

    def request_body(self, request: GenerateRequest) -> dict[str, Any]:
        settings = request.settings
        body: dict[str, Any] = {
            "model": self.name,
            "messages": chat_messages(request.prompt),
            "max_tokens": settings.max_new_tokens,
            "temperature": self.temperature,
        }
        if settings.stop:
            body["stop"] = list(settings.stop)
        if settings.min_new_tokens and self.send_min_tokens:
            body["min_tokens"] = settings.min_new_tokens
        if self.seed is not None:
            body["seed"] = self.seed
        return body

    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
        keys = [_request_key(r) for r in requests]
        if len(requests) == 1 and keys[0] in self._last_batch:
            outcomes: list[ChatReply | BaseException] = [self._last_batch.pop(keys[0])]
        else:
            outcomes = self.client.map(lambda r: self.client.complete(self.request_body(r)), list(requests))
            self._last_batch = dict(zip(keys, outcomes)) if len(requests) > 1 else {}
        failure = next((o for o in outcomes if isinstance(o, BaseException)), None)
        if failure is not None:
            raise failure
        return [GenerateResult(o.text.strip(), o.prompt_tokens, o.completion_tokens)  # type: ignore[union-attr]
                for o in outcomes]

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[list[ContinuationScore]]:
        raise ConfigError(
            f"openai:{self.name} cannot score options by likelihood: the chat-completions API returns no "
            f"log-probabilities of the prompt; run the task's generation protocol instead (--protocol generate)"
        )


def _request_key(request: GenerateRequest) -> str:
    blob = json.dumps([request.prompt.hash(), request.settings.as_dict()], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def load(name: str, **model_args: Any) -> OpenAIChatModel:
    """``--model openai:NAME``: NAME is the model name the server knows (``--served-model-name``)."""
    if not name.strip():
        raise ModelLoadError("openai: needs the served model's name, e.g. --model openai:Qwen2-VL-7B-Instruct")
    options, rest = split_args(model_args, MODEL_ARGS, FLAG)
    if rest.get("device") is not None:
        raise ConfigError(f"--device does not apply to openai:{name}, a model served elsewhere; leave it out")
    family = str(rest.get("family", "chat"))
    if family not in MODEL_FAMILIES:
        raise ConfigError(f"{FLAG}: family must be one of {', '.join(MODEL_FAMILIES)}, got {family!r}")
    min_tokens = str(rest.get("min_tokens", "send"))
    if min_tokens not in ("send", "drop"):
        raise ConfigError(f"{FLAG}: min_tokens must be send or drop, got {min_tokens!r}")
    seed = rest.get("seed")
    return OpenAIChatModel(
        name,
        options,
        temperature=number(rest, "temperature", 0.0, FLAG, minimum=0.0),
        seed=None if seed is None else int(number(rest, "seed", 0, FLAG, minimum=0, whole=True)),
        send_min_tokens=min_tokens == "send",
        family=family,
    )
