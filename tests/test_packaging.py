"""Task specs and suites are found from an installed wheel, not only from the source checkout."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.e2e_support import REPO_ROOT


def test_wheel_carries_tasks_and_finds_them_when_installed(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO_ROOT), "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("evalkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    repo_tasks = sorted(p.name for p in (REPO_ROOT / "tasks").glob("*.yaml"))
    assert repo_tasks, "the repository has task specs"
    assert sorted(
        n.rsplit("/", 1)[1] for n in names if n.startswith("evalkit/_builtin/tasks/") and n.endswith(".yaml")
    ) == repo_tasks

    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    code = "import json, evalkit.tasks.registry as r; print(json.dumps([r.__file__, sorted(r.all_tasks())]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    module_file, installed_tasks = json.loads(out.stdout)
    assert module_file.startswith(str(target))  # the installed copy, not the checkout
    expected = {spec_name for path in (REPO_ROOT / "tasks").glob("*.yaml") for spec_name in _names(path)}
    assert set(installed_tasks) == expected


def _names(path: Path) -> list[str]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [t["name"] for t in data["tasks"]]
