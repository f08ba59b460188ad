"""The LLM judge: an OpenAI-compatible chat model behind the reply cache.

``--judge openai:MODEL --judge-args base_url=...,api_key_env=...`` builds one ``Judge``. Judge args
are the connection settings of ``evalkit.models.openai.ClientOptions`` plus ``cache_dir`` (the
folder of the reply cache; default ``judge-cache`` in the run's output folder) and
``max_tokens`` (a cap on each reply; default none, a judging procedure stops the reply itself).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError
from evalkit.judge.cache import ReplyCache, reply_key
from evalkit.models.openai import ChatClient, ClientOptions, RequestFailed, split_args
from evalkit.models.openai.options import number

FLAG = "--judge-args"
JUDGE_ARGS = ("cache_dir", "max_tokens")
DEFAULT_CACHE_DIR = "judge-cache"


class Judge:
    def __init__(self, model: str, options: ClientOptions, cache: ReplyCache, *, max_tokens: int | None = None,
                 client: ChatClient | None = None) -> None:
        self.model = model
        self.options = options
        self.cache = cache
        self.max_tokens = max_tokens
        self.client = client or ChatClient(options)
        self._lock = threading.Lock()
        self._cache_hits = 0

    @property
    def name(self) -> str:
        return f"openai:{self.model}"

    def __repr__(self) -> str:
        return f"Judge({self.name!r}, {self.options.display_url!r})"

    def identity(self) -> dict[str, Any]:
        """Who judged: written into ``run.json`` and each judged task's scores entry."""
        return {"name": self.name, "backend": "openai", "model": self.model, "base_url": self.options.display_url,
                "max_tokens": self.max_tokens, "cache": str(self.cache.path)}

    def usage(self) -> dict[str, int]:
        """Calls, HTTP requests, retries and tokens of live calls, and replies served from the cache."""
        with self._lock:
            hits = self._cache_hits
        return {**self.client.usage().as_dict(), "cache_hits": hits}

    def settings(self, *, temperature: float, stop: tuple[str, ...]) -> dict[str, Any]:
        """The request settings, as they enter the cache key."""
        out: dict[str, Any] = {"temperature": temperature, "stop": list(stop)}
        if self.max_tokens is not None:
            out["max_tokens"] = self.max_tokens
        return out

    def ask(self, messages: list[dict[str, Any]], settings: dict[str, Any], attempt: int) -> str | None:
        """The judge's reply to try number ``attempt`` of ``messages``; ``None`` when the call failed.

        A failed call (retries used up, or the request refused) is a spent try, as in the official
        judging scripts. A rejected key, an unknown model or an unreachable server stops the run
        (``ServerRejected``, ``ServerUnreachable``) instead of spending every try of every round.
        """
        key = reply_key(self.model, messages, settings, attempt)
        cached = self.cache.get(key)
        if cached is not None:
            with self._lock:
                self._cache_hits += 1
            return cached
        try:
            reply = self.client.complete({"model": self.model, "messages": messages, **settings})
        except RequestFailed:
            return None
        self.cache.put(key, self.model, reply.text)
        return reply.text

    def close(self) -> None:
        self.client.close()
        self.cache.close()


def load_judge(spec: str, args: Mapping[str, Any], *, output_dir: Path) -> Judge:
    """``--judge openai:MODEL`` with its ``--judge-args``."""
    prefix, sep, model = spec.partition(":")
    if not sep or prefix != "openai" or not model.strip():
        raise ConfigError(f"--judge {spec!r}: a judge is a model behind an OpenAI-compatible API, named "
                          f"openai:MODEL (e.g. --judge openai:gpt-4o, or openai:NAME --judge-args base_url=URL)")
    options, rest = split_args(args, JUDGE_ARGS, FLAG)
    cache_dir = Path(str(rest["cache_dir"])).expanduser() if rest.get("cache_dir") else output_dir / DEFAULT_CACHE_DIR
    max_tokens = rest.get("max_tokens")
    return Judge(
        model,
        options,
        ReplyCache(cache_dir),
        max_tokens=None if max_tokens is None else int(number(rest, "max_tokens", 0, FLAG, minimum=1, whole=True)),
    )
