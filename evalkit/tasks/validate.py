"""Small helpers that read untrusted YAML mappings and fail with errors that say how to fix them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from evalkit.errors import ConfigError, did_you_mean

T = TypeVar("T")


class Reader:
    """Reads one YAML mapping, remembering where it is (file and key path) for error messages."""

    def __init__(self, data: Any, where: str, path: str = "") -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: {path or 'the document'} must be a mapping, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self.where = where
        self.path = path

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str, message: str) -> ConfigError:
        return ConfigError(f"{self.where}: key '{self.key(name)}': {message}")

    def check_keys(self, allowed: set[str] | frozenset[str]) -> None:
        for name in self.data:
            if name not in allowed:
                hint = did_you_mean(str(name), allowed)
                raise ConfigError(
                    f"{self.where}: unknown key '{self.key(str(name))}'{hint} "
                    f"(allowed here: {', '.join(sorted(allowed))})"
                )

    def has(self, name: str) -> bool:
        return name in self.data and self.data[name] is not None

    def get(self, name: str, kind: type[T] | tuple[type, ...], default: Any = None, required: bool = False) -> Any:
        if name not in self.data or self.data[name] is None:
            if required:
                raise self.fail(name, "is required")
            return default
        value = self.data[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and kind in (int, float):
            raise self.fail(name, f"must be a {kind.__name__}, got a boolean")  # type: ignore[union-attr]
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(name, f"must be {names}, got {type(value).__name__} ({value!r})")
        return value

    def sub(self, name: str, required: bool = False) -> "Reader | None":
        if not self.has(name):
            if required:
                raise self.fail(name, "is required")
            return None
        return Reader(self.data[name], self.where, self.key(name))

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.get(name, str, default=default, required=default is None)
        if value not in choices:
            raise self.fail(name, f"must be one of {', '.join(choices)}, got {value!r}{did_you_mean(value, choices)}")
        return value
