"""User-facing errors: each says what is wrong and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class EvalkitError(Exception):
    """An error caused by the user's input or environment; the CLI prints it as one line."""


class ConfigError(EvalkitError):
    """A task spec, suite config or command-line setting is invalid."""


class DataError(EvalkitError):
    """A dataset is missing, unreadable or not in the expected schema."""


class ModelLoadError(EvalkitError):
    """A model cannot be found or loaded."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choice, or ``""`` when none is close."""
    matches = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""
