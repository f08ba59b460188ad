"""The table a run prints at its end."""

from __future__ import annotations

from evalkit.results.summary import summary_table


def test_summary_prints_the_interval_ends_not_a_half_width() -> None:
    scores = {"tasks": {"synth_ocrvqa": {"n": 300, "n_failed": 0, "protocol": "qwen-vl", "num_fewshot": 0,
                                         "primary_metric": "exact_match",
                                         "metrics": {"exact_match": {"value": 99.667, "ci95": [98.14, 99.94]},
                                                     "single": {"value": 50.0, "ci95": None}}}}}
    table = summary_table(scores)
    assert "99.67 (98.14-99.94)" in table  # a symmetric "± 0.90" would claim 100.57 was inside
    assert "±" not in table
    assert "50.00" in table.splitlines()[-1]
