"""Relaxed accuracy (ChartQA) under both protocols against the official relaxed_correctness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.metrics import relaxed_accuracy

GOLDEN_DIR = Path(__file__).parent / "golden"
FILES = {"standard": "chartqa_standard.json", "qwen-vl": "chartqa_qwenvl_protocol.json"}
CASES = [
    (protocol, case)
    for protocol, name in FILES.items()
    for case in json.loads((GOLDEN_DIR / name).read_text())["cases"]
]


@pytest.mark.parametrize(("protocol", "case"), CASES, ids=lambda v: str(v["id"]) if isinstance(v, dict) else v)
def test_golden_case(protocol: str, case: dict) -> None:
    assert relaxed_accuracy(case["prediction"], case["answers"], protocol=protocol) == case["expected"]


@pytest.mark.parametrize("protocol", FILES)
def test_golden_aggregate(protocol: str) -> None:
    golden = json.loads((GOLDEN_DIR / FILES[protocol]).read_text())
    scores = [relaxed_accuracy(c["prediction"], c["answers"], protocol) for c in golden["cases"]]
    assert sum(scores) / len(scores) == pytest.approx(golden["aggregate"]["relaxed_accuracy"], abs=1e-9)


def test_tolerance_is_relative_to_the_target_of_each_protocol() -> None:
    # |95 - 100| / 100 = 0.05 passes when the ground truth is the target ...
    assert relaxed_accuracy("95", ["100"], "standard") == 1.0
    # ... but |100 - 95| / 95 > 0.05 fails when the model answer is the target (Qwen-VL's swap).
    assert relaxed_accuracy("95", ["100"], "qwen-vl") == 0.0
    assert relaxed_accuracy("105.2", ["100"], "standard") == 0.0
    assert relaxed_accuracy("105.2", ["100"], "qwen-vl") == 1.0


def test_zero_target_falls_back_to_string_match() -> None:
    assert relaxed_accuracy("0.0", ["0"], "standard") == 0.0
    assert relaxed_accuracy("0", ["0.0"], "qwen-vl") == 0.0
    assert relaxed_accuracy("0", ["0.01"], "qwen-vl") == 0.0  # zero *model answer*: string match
    assert relaxed_accuracy("0", ["0.01"], "standard") == 0.0  # |0-0.01|/0.01 = 1


def test_number_parsing_quirks() -> None:
    assert relaxed_accuracy("50%", ["0.5"]) == 1.0
    assert relaxed_accuracy("1e3", ["1000"]) == 1.0
    assert relaxed_accuracy("1,000", ["1000"]) == 0.0  # float() rejects the comma
    assert relaxed_accuracy("1.05", ["1"]) == 0.0  # (1.05 - 1) / 1 is 0.050000000000000044
    assert relaxed_accuracy("inf", ["inf"]) == 0.0  # inf - inf is nan
    assert relaxed_accuracy("  Yes ", ["yes"]) == 1.0


def test_unknown_protocol_and_missing_answers_are_errors() -> None:
    with pytest.raises(ValueError, match="unknown relaxed_accuracy protocol"):
        relaxed_accuracy("1", ["1"], protocol="pix2struct")
    with pytest.raises(ValueError, match="at least one reference"):
        relaxed_accuracy("1", [])
