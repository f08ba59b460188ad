"""Plain-text output for the terminal: aligned columns, numbers as ``compare`` and ``regress`` print them."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart, a dashed rule under the first (header) row."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def number(value: float | None, decimals: int = 2, signed: bool = False) -> str:
    if value is None:
        return "-"
    shown = round(value, decimals) + 0.0
    if shown == 0:
        shown = 0.0
    return f"{shown:+.{decimals}f}" if signed else f"{shown:.{decimals}f}"


def interval(ci: tuple[float, float] | None, decimals: int = 2) -> str:
    return "-" if ci is None else f"[{number(ci[0], decimals)}, {number(ci[1], decimals)}]"


def p_value(p: float | None) -> str:
    if p is None:
        return "-"
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"
