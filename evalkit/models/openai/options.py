"""Connection settings of an OpenAI-compatible server, parsed from ``--model-args``/``--judge-args``.

Values arrive as strings from the command line (``base_url=http://host:8000/v1,concurrency=16``)
or typed from Python; both go through the same checks. The API key itself is never an argument:
``api_key_env=NAME`` names the environment variable that holds it, because every argument is
written into ``run.json``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from evalkit.errors import ConfigError, did_you_mean

OPENAI_BASE_URL = "https://api.openai.com/v1"
OPENAI_KEY_ENV = "OPENAI_API_KEY"

# What each one means: ``ClientOptions``'s docstring.
CONNECTION_ARGS = ("base_url", "api_key_env", "timeout", "max_retries", "retry_backoff", "concurrency")
_SECRET_ARGS = ("api_key", "key", "token", "openai_api_key")


class ApiKey:
    """An API key read from the environment; its repr and str never show it."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"ApiKey(from ${self.source})"

    __str__ = __repr__


@dataclass(frozen=True)
class ClientOptions:
    """How to reach one server.

    - ``base_url``: the API root, e.g. ``http://127.0.0.1:8000/v1`` for vLLM or SGLang; default
      the OpenAI API.
    - ``api_key_env``: the environment variable holding the key. Default ``OPENAI_API_KEY`` for
      the OpenAI API and none for any other ``base_url``, so a hosted key is never sent to a
      server it was not named for.
    - ``timeout``: seconds one request may take (default 120).
    - ``max_retries``: extra tries after a 429, 5xx, timeout, dropped connection or malformed
      reply (default 5), with exponential backoff from ``retry_backoff`` seconds (default 1.0;
      a ``Retry-After`` header wins, capped at a minute).
    - ``concurrency``: requests in flight at once (default 8).
    """

    base_url: str = OPENAI_BASE_URL
    api_key_env: str | None = None
    timeout: float = 120.0
    max_retries: int = 5
    retry_backoff: float = 1.0
    concurrency: int = 8

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    @property
    def display_url(self) -> str:
        """``base_url`` without user info, query or fragment: safe to write into results."""
        return public_url(self.base_url)

    def api_key(self) -> ApiKey | None:
        """The key from the environment, or ``None`` when none is configured."""
        if self.api_key_env is None:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise ConfigError(
                f"environment variable {self.api_key_env} is not set; export it with the API key for "
                f"{self.display_url} (api_key_env names the variable, the key itself is never an argument)"
            )
        return ApiKey(value, self.api_key_env)


def public_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def split_args(args: Mapping[str, Any], known: tuple[str, ...], flag: str) -> tuple[ClientOptions, dict[str, Any]]:
    """Connection options and the remaining (backend-specific) args; unknown names are errors."""
    for name in args:
        if name.lower() in _SECRET_ARGS:
            raise ConfigError(
                f"{flag}: {name}=... is not accepted, because arguments are written into run.json; put the key "
                f"in an environment variable and pass api_key_env=NAME_OF_THAT_VARIABLE"
            )
        if name not in CONNECTION_ARGS and name not in known:
            allowed = (*CONNECTION_ARGS, *known)
            raise ConfigError(f"{flag}: unknown argument {name!r}{did_you_mean(name, allowed)} "
                              f"(known: {', '.join(allowed)})")
    base_url = str(args.get("base_url") or OPENAI_BASE_URL)
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{flag}: base_url must be an http(s) URL such as http://127.0.0.1:8000/v1, "
                          f"got {public_url(base_url)!r}")
    if parts.username or parts.password:
        raise ConfigError(f"{flag}: base_url must not carry credentials; pass api_key_env=NAME instead")
    default_env = OPENAI_KEY_ENV if "base_url" not in args else None
    options = ClientOptions(
        base_url=base_url,
        api_key_env=str(args["api_key_env"]) if args.get("api_key_env") else default_env,
        timeout=number(args, "timeout", 120.0, flag, minimum=0.001),
        max_retries=int(number(args, "max_retries", 5, flag, minimum=0, whole=True)),
        retry_backoff=number(args, "retry_backoff", 1.0, flag, minimum=0.0),
        concurrency=int(number(args, "concurrency", 8, flag, minimum=1, whole=True)),
    )
    return options, {k: v for k, v in args.items() if k in known}


def number(args: Mapping[str, Any], name: str, default: float, flag: str, *, minimum: float,
           whole: bool = False) -> float:
    """A numeric argument (string or number) of at least ``minimum``."""
    if name not in args or args[name] is None:
        return default
    raw = args[name]
    try:
        value = int(raw) if whole else float(raw)
    except (TypeError, ValueError):
        kind = "a whole number" if whole else "a number"
        raise ConfigError(f"{flag}: {name} must be {kind}, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{flag}: {name} must be at least {minimum}, got {raw!r}")
    return value
