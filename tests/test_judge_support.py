"""Helpers of the judge tests (no tests here): a small judged dialogue task in TouchStone's
schema, and the fake answerer and judge (both models are served by ``FakeOpenAIServer``)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from tests.fake_openai_server import Action, Reply, judge_query_parts, user_text

TASK_YAML = """
tasks:
  - name: judged_dialogue
    source:
      local: {format: parquet, path: dialogue/test.parquet}
    fields:
      id: index
      image: image
      text: {question: question}
      target: gpt4_ha_answer
      meta: {question: question, human_annotation: human_annotation, category: category, task_name: task_name}
    protocols:
      standard:
        prompt: {template: "<image>{question}", style: chat}
        generation: {max_new_tokens: 64}
        scorer: judged
        aggregation: touchstone
        primary_metric: score
"""

MODEL_MARK = "MODEL says:"


def make_dialogue_task(root: Path, n: int, categories: list[str] | None = None) -> tuple[Path, Path]:
    """``tasks/judged.yaml`` and ``data/dialogue/test.parquet`` with questions ``Q1?`` .. ``Qn?``."""
    tasks, data = root / "tasks", root / "data"
    tasks.mkdir(parents=True, exist_ok=True)
    (tasks / "judged.yaml").write_text(TASK_YAML, encoding="utf-8")
    rows = []
    for i in range(1, n + 1):
        buf = io.BytesIO()
        Image.new("RGB", (16, 16), (20 * i % 256, 40, 90)).save(buf, "PNG")
        rows.append({
            "index": i, "image": {"bytes": buf.getvalue(), "path": f"{i}.png"}, "question": f"Q{i}?",
            "human_annotation": f"A picture numbered {i}.", "gpt4_ha_answer": f"The reference answer {i}.",
            "category": (categories or ["general"] * n)[i - 1], "task_name": "test",
        })
    (data / "dialogue").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), data / "dialogue" / "test.parquet")
    return tasks, data


def round_key(body: dict[str, Any]) -> str:
    """``"Q2?/r1"``: which question and which answer order a judge request is about."""
    parts = judge_query_parts(body)
    return f"{parts['question']}/{'r2' if parts['answer_1'].startswith(MODEL_MARK) else 'r1'}"


def serve(judge: Callable[[dict[str, Any]], Action], answerer: Callable[[dict[str, Any]], Action] | None = None,
          ) -> Callable[[dict[str, Any]], Action]:
    """One responder for both models: requests for ``judge`` go to ``judge``, the rest answer."""

    def answer(body: dict[str, Any]) -> Action:
        return Reply(f"{MODEL_MARK} about {user_text(body).strip()}", prompt_tokens=30, completion_tokens=6)

    return lambda body: judge(body) if body["model"] == "judge" else (answerer or answer)(body)
