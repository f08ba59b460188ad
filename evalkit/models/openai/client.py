"""One client for OpenAI-compatible chat-completions servers (OpenAI, vLLM, SGLang, …), on httpx.

It bounds the requests in flight, retries what a later try can fix (429, 5xx, timeouts, dropped
connections, malformed replies) with exponential backoff, and counts requests, retries and tokens.
What a retry cannot fix fails at once: a rejected key or an unknown model stops the run
(``ServerRejected``), as does a server that cannot be connected to on any try
(``ServerUnreachable``); a request the server refuses (400, 413, 422) fails that request only.
The key never appears in an exception, a repr or a result: server messages are redacted.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import httpx

from evalkit import __version__
from evalkit.errors import EvalkitError
from evalkit.models.openai.options import ApiKey, ClientOptions

MAX_BACKOFF_S = 60.0
RETRY_STATUSES = frozenset({408, 409, 429})  # and every 5xx
FATAL_STATUSES = frozenset({401, 403, 404})
MESSAGE_CHARS = 300

T = TypeVar("T")
R = TypeVar("R")


class ServerRejected(EvalkitError):
    """The server refused every request of this kind (bad key, no such model or endpoint)."""


class ServerUnreachable(EvalkitError):
    """No connection could be made to the server on any try: it is down or the URL is wrong."""


class RequestFailed(Exception):
    """One request got no usable answer (retries used up, or refused as malformed)."""


@dataclass(frozen=True)
class ChatReply:
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None


@dataclass
class Usage:
    """What the calls of a client cost. ``requests`` counts HTTP attempts, retries included."""

    calls: int = 0
    requests: int = 0
    retries: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def minus(self, earlier: Usage) -> Usage:
        return Usage(**{k: v - getattr(earlier, k) for k, v in asdict(self).items()})


class ChatClient:
    def __init__(self, options: ClientOptions, *, transport: httpx.BaseTransport | None = None) -> None:
        self.options = options
        self._key: ApiKey | None = options.api_key()
        self._slots = threading.BoundedSemaphore(options.concurrency)
        self._lock = threading.Lock()
        self._usage = Usage()
        headers = {"User-Agent": f"evalkit/{__version__}"}
        if self._key is not None:
            headers["Authorization"] = f"Bearer {self._key.reveal()}"
        self._http = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(options.timeout, connect=min(options.timeout, 10.0)),
            limits=httpx.Limits(max_connections=options.concurrency, max_keepalive_connections=options.concurrency),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"ChatClient({self.options.display_url!r}, key={self._key!r})"

    def usage(self) -> Usage:
        with self._lock:
            return Usage(**asdict(self._usage))

    def close(self) -> None:
        self._http.close()

    def complete(self, body: dict[str, Any]) -> ChatReply:
        """The first choice's message for one request body; see the module docstring for failures."""
        self._count(calls=1)
        last = ""
        unreachable = False
        for attempt in range(self.options.max_retries + 1):
            if attempt:
                self._count(retries=1)
            try:
                with self._slots:
                    self._count(requests=1)
                    response = self._http.post(self.options.endpoint, json=body)
            except httpx.TimeoutException:
                last = f"no reply within {self.options.timeout:g}s (timeout=...)"
                self._sleep(attempt, None)
                continue
            except httpx.TransportError as exc:
                last = f"connection failed ({type(exc).__name__})"
                unreachable = isinstance(exc, httpx.ConnectError)
                self._sleep(attempt, None)
                continue
            unreachable = False
            status = response.status_code
            if status == 200:
                try:
                    reply = _parse_reply(response)
                except ValueError as exc:
                    last = f"malformed reply: {exc}"
                    self._sleep(attempt, None)
                    continue
                self._count(prompt_tokens=reply.prompt_tokens or 0, completion_tokens=reply.completion_tokens or 0)
                return reply
            message = self._redact(_server_message(response))
            if status in RETRY_STATUSES or status >= 500:
                last = f"HTTP {status}: {message}"
                self._sleep(attempt, _retry_after(response))
                continue
            self._count(failed_calls=1)
            if status in FATAL_STATUSES:
                raise ServerRejected(self._rejection(status, message, body))
            raise RequestFailed(f"{self.options.display_url} refused the request (HTTP {status}): {message}")
        self._count(failed_calls=1)
        if unreachable:
            raise ServerUnreachable(f"cannot connect to {self.options.display_url} "
                                    f"(tried {self.options.max_retries + 1} times): "
                                    f"start the server there or fix base_url")
        raise RequestFailed(f"no answer from {self.options.display_url} after {self.options.max_retries + 1} tries "
                            f"(max_retries={self.options.max_retries}); last: {last}")

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R | BaseException]:
        """``fn`` over ``items`` with up to ``concurrency`` at once; a failure is returned in its place.

        An ``EvalkitError`` (e.g. ``ServerRejected``) is raised instead: it is not about one item.
        """
        if not items:
            return []
        out: list[R | BaseException] = []
        with ThreadPoolExecutor(max_workers=min(self.options.concurrency, len(items)),
                                thread_name_prefix="evalkit-openai") as pool:
            futures = [pool.submit(fn, item) for item in items]
            for future in futures:
                error = future.exception()
                if isinstance(error, EvalkitError):
                    for other in futures:
                        other.cancel()
                    raise error
                out.append(error if error is not None else future.result())
        return out

    def _rejection(self, status: int, message: str, body: dict[str, Any]) -> str:
        where = self.options.display_url
        if status in (401, 403):
            source = f"the key in ${self.options.api_key_env}" if self.options.api_key_env else "no key"
            return (f"{where} rejected {source} (HTTP {status}): {message}; set api_key_env=NAME of the "
                    f"environment variable holding a valid key")
        return (f"{where} has no model {body.get('model')!r} or no chat-completions endpoint (HTTP 404): {message}; "
                f"check the model name and that base_url ends in /v1")

    def _redact(self, text: str) -> str:
        if self._key is not None and self._key.reveal():
            text = text.replace(self._key.reveal(), "***")
        return text

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        if attempt >= self.options.max_retries:
            return
        if retry_after is not None:
            delay = min(retry_after, MAX_BACKOFF_S)
        else:  # exponential with jitter, so that concurrent requests do not retry in lockstep
            delay = min(self.options.retry_backoff * 2**attempt, MAX_BACKOFF_S) * random.uniform(0.5, 1.0)
        if delay > 0:
            time.sleep(delay)

    def _count(self, **amounts: int) -> None:
        with self._lock:
            for name, amount in amounts.items():
                setattr(self._usage, name, getattr(self._usage, name) + amount)


def _parse_reply(response: httpx.Response) -> ChatReply:
    try:
        data = response.json()
    except ValueError:
        raise ValueError(f"not JSON ({response.text[:80]!r})") from None
    try:
        choice = data["choices"][0]
        content = choice["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise ValueError("no choices[0].message in the reply") from None
    if content is not None and not isinstance(content, str):
        raise ValueError(f"message content is {type(content).__name__}, not text")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return ChatReply(
        text=content or "",
        prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
        completion_tokens=_int_or_none(usage.get("completion_tokens")),
        finish_reason=choice.get("finish_reason"),
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _server_message(response: httpx.Response) -> str:
    try:
        data = response.json()
        error = data.get("error") if isinstance(data, dict) else None
        text = error.get("message") if isinstance(error, dict) else (error or data.get("message") or response.text)
    except (ValueError, AttributeError):
        text = response.text
    text = " ".join(str(text).split())
    return (text[:MESSAGE_CHARS] + "…") if len(text) > MESSAGE_CHARS else (text or response.reason_phrase)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:  # an HTTP date: fall back to our own backoff
        return None
