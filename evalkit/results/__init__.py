"""Run directories: ``run.json``, ``samples/<task>.jsonl``, ``scores.json``, journals."""
