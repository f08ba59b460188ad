"""Scorers that reproduce each benchmark's official implementation (public API)."""

from evalkit.metrics.exact import exact_match

__all__ = ["exact_match"]
