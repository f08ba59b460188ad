"""A small local task in a real layout (parquet with PNG images) and a CLI runner, for end-to-end tests."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw

REPO_ROOT = Path(__file__).resolve().parents[1]

TASK_YAML = """
tasks:
  - name: e2e_vqa
    groups: [e2e]
    source:
      local: {format: parquet, path: e2e/data/test-00000-of-00001.parquet}
    fields:
      id: question_id
      image: image
      text: {question: question}
      target: answer
      cluster: image_id
    protocols:
      qwen-vl:
        prompt: {template: "<image>{question} Answer:"}
        generation: {max_new_tokens: MAX_NEW}
        scorer: exact_match
      standard:
        prompt: {template: "<image>\\n{question}\\nAnswer with one word.", style: chat}
        generation: {max_new_tokens: MAX_NEW}
        scorer: exact_match
"""

COLORS = ["red", "green", "blue", "yellow", "white", "black"]


def png(color: str, i: int) -> bytes:
    image = Image.new("RGB", (48, 48), color)
    ImageDraw.Draw(image).rectangle([i % 20, i % 17, 20 + i % 20, 25 + i % 17], outline="gray")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def make_task(root: Path, n_images: int, max_new_tokens: int = 4, corrupt: tuple[int, ...] = ()) -> tuple[Path, Path]:
    """Writes ``tasks/e2e.yaml`` and ``data/e2e/data/test-*.parquet`` (two questions per image)."""
    tasks, data = root / "tasks", root / "data"
    tasks.mkdir(parents=True, exist_ok=True)
    (tasks / "e2e.yaml").write_text(TASK_YAML.replace("MAX_NEW", str(max_new_tokens)), encoding="utf-8")
    rows = []
    for i in range(n_images):
        color = COLORS[i % len(COLORS)]
        image = png(color, i)
        if i in corrupt:
            image = image[: len(image) // 3]  # a truncated PNG
        for q, (question, answer) in enumerate([("What colour is the square?", color), ("Is there a square?", "yes")]):
            rows.append({"question_id": f"{1000 + i}-{q}", "image_id": 1000 + i, "question": question,
                         "answer": answer, "image": {"bytes": image, "path": f"{1000 + i}.png"}})
    out = data / "e2e" / "data"
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), out / "test-00000-of-00001.parquet")
    return tasks, data


def evalkit_cmd(*args: str, tasks_dir: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evalkit", *args], capture_output=True, text=True, timeout=timeout,
                          env=cli_env(tasks_dir), cwd=REPO_ROOT)


def cli_env(tasks_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["EVALKIT_TASKS_PATH"] = str(tasks_dir)
    env["HF_HUB_OFFLINE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env
