"""Every registered task scored by the judge maps the fields the TouchStone judge reads."""

from __future__ import annotations

from evalkit.judge import judging_for
from evalkit.tasks.registry import all_tasks


def test_judged_tasks_map_question_description_reference_and_category() -> None:
    judged = [(spec, protocol) for spec in all_tasks().values() for protocol in spec.protocols.values()
              if judging_for(protocol) is not None]
    assert "touchstone" in {spec.name for spec, _ in judged}
    for spec, protocol in judged:
        fields = protocol.fields or spec.fields
        where = f"{spec.name} ({protocol.name})"
        assert "question" in fields.text or "question" in fields.meta, where
        assert "human_annotation" in fields.meta or "human_annotation" in fields.text, where
        assert "category" in fields.meta, where
        assert fields.target is not None, where
        assert protocol.output == "generate", where

