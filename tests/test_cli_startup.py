"""Start-up speed: --help and listing never import the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "transformers", "datasets", "pandas", "pyarrow", "PIL", "pycocoevalcap")


def _imports_after(argv: list[str]) -> tuple[str, set[str]]:
    code = (
        "import sys, io, contextlib\n"
        "from evalkit.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        f"    rc = main({argv!r})\n"
        "print(buf.getvalue())\n"
        f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    text, _, heavy = out.stdout.rpartition("HEAVY=")
    return text, set(filter(None, heavy.strip().split(",")))


def test_help_imports_nothing_heavy() -> None:
    code = ("import sys\nfrom evalkit.cli import build_parser\nbuild_parser().format_help()\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == ""


def test_list_tasks_and_models_import_nothing_heavy() -> None:
    text, heavy = _imports_after(["list", "tasks"])
    assert text.startswith("task")
    assert heavy == set()
    text, heavy = _imports_after(["list", "models"])
    assert "qwen-vl-chat" in text
    assert heavy == set()


def test_unknown_task_is_one_line_not_a_traceback() -> None:
    out = subprocess.run([sys.executable, "-m", "evalkit", "run", "--tasks", "no_such_task_x", "--model", "qwen-vl"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.startswith("evalkit: error: unknown task 'no_such_task_x'")
    assert "Traceback" not in out.stderr


def test_benchmark_without_data_offline_says_how_to_get_it_and_what_runs_offline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import time

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "evalkit", "run", "--tasks", "mme,seedbench"],  # no --model: the default
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert time.monotonic() - start < 30
    assert out.returncode == 2 and "Traceback" not in out.stderr
    line = out.stderr.strip()
    assert "\n" not in line
    assert "lmms-lab-encoder/MME is not cached and the machine is offline" in line
    assert "--data-dir" in line and "synth_mme" in line and "synth_seed" in line
