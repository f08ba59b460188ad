"""The table printed at the end of a run (and by ``evalkit score``)."""

from __future__ import annotations

from typing import Any


def _fmt(metric: dict[str, Any]) -> str:
    value = metric.get("value")
    if value is None:
        return "n/a"
    ci = metric.get("ci95")
    if ci:
        # the ends, not ± a half-width: bootstrap and Wilson intervals are not symmetric about the value
        return f"{value:.2f} ({ci[0]:.2f}-{ci[1]:.2f})"
    return f"{value:.2f}"


def summary_table(scores: dict[str, Any]) -> str:
    rows = [("task", "protocol", "shots", "n", "failed", "metric", "value (95% CI)")]
    for name, entry in scores["tasks"].items():
        metrics = entry.get("metrics", {})
        primary = entry.get("primary_metric")
        order = ([primary] if primary in metrics else []) + [m for m in metrics if m != primary]
        for i, metric in enumerate(order):
            first = i == 0
            rows.append((
                name if first else "", entry.get("protocol", "") if first else "",
                str(entry.get("num_fewshot", "")) if first else "", str(entry.get("n", "")) if first else "",
                str(entry.get("n_failed", "")) if first else "", metric, _fmt(metrics[metric]),
            ))
        if not order:
            rows.append((name, entry.get("protocol", ""), str(entry.get("num_fewshot", "")), str(entry.get("n", 0)),
                         str(entry.get("n_failed", "")), "-", "no scored samples"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines + _judge_notes(scores))


def _judge_notes(scores: dict[str, Any]) -> list[str]:
    """One line per judged task: who judged, and how many rounds the judge left unscored."""
    notes = []
    for name, entry in scores["tasks"].items():
        judging = entry.get("judge")
        if isinstance(judging, dict) and isinstance(judging.get("judge"), dict):
            info = entry.get("info", {})
            excluded = info.get("excluded_rounds", 0)
            total = excluded + info.get("judged_rounds", 0)
            notes.append(f"{name}: judged by {judging['judge'].get('name')} ({judging['judge'].get('base_url')}); "
                         f"{excluded} of {total} rounds excluded (no parseable reply)")
    return [""] + notes if notes else []
