"""The leaderboard page rendered by a real browser (headless Chromium): the table it shows, read
back from the rendered DOM, is the CSV, cell for cell; the page's script sorts it; a model name
holding HTML is shown as text, never turned into elements."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evalkit.report.leaderboard import LeaderboardOptions, write_leaderboard
from evalkit.report.published import load_published
from evalkit.report.runs import find_runs
from tests.report_fixtures.build_fixtures import GROUPS, HTML_MODEL, TASK_ORDER

FIXTURES = Path(__file__).parent / "report_fixtures"



def find_or_install_browser() -> str | None:
    """Debian's chromium; the test setup installs it when missing and it can (as root, with apt-get)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is not None or not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], capture_output=True, timeout=600, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], capture_output=True, timeout=900, env=env)
    return shutil.which("chromium")


BROWSER = find_or_install_browser()
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="Debian's chromium is not installed and could not be installed here "
    "(as root: apt-get update && apt-get install -y chromium)",
)

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class RenderedTables(HTMLParser):
    """Cell texts of every ``<table id=...>`` in a DOM dump, and every element seen inside a table body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.body_tags: set[str] = set()
        self.aria_sort: dict[str, list[str | None]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and attributes.get("id"):
            self._table = attributes["id"]
            self.tables[self._table] = []
            self.aria_sort[self._table] = []
        elif self._table is None:
            return
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr":
            self.tables[self._table].append([])
        elif tag in ("td", "th"):
            self._cell = []
            if tag == "th":
                self.aria_sort[self._table].append(attributes.get("aria-sort"))
        if self._in_body and tag not in ("tbody", "tr", "td"):
            self.body_tags.add(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def render(page: Path, fragment: str, profile: Path) -> RenderedTables:
    """The DOM after the page's script ran, as headless Chromium dumps it."""
    url = page.resolve().as_uri() + fragment
    done = subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],  # type: ignore[list-item]
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    parsed = RenderedTables()
    parsed.feed(done.stdout)
    return parsed


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    out = tmp_path_factory.mktemp("board")
    runs = find_runs([FIXTURES / "results"])
    published = load_published(FIXTURES / "published.yaml")
    write_leaderboard(runs, out / "plain", published=published, groups=GROUPS, task_order=TASK_ORDER)
    write_leaderboard(runs, out / "ci", published=published, groups=GROUPS, task_order=TASK_ORDER,
                      options=LeaderboardOptions(ci=True, decimals=1))
    return out


def test_every_rendered_table_matches_its_csv_and_html_stays_text(board, tmp_path):
    shown = render(board / "plain" / "index.html", "", tmp_path / "profile")
    csv_files = sorted((board / "plain").glob("*.csv"))
    assert sorted(shown.tables) == sorted(p.stem for p in csv_files)
    for path in csv_files:
        assert shown.tables[path.stem] == read_csv(path), path.name
    # The model name holding HTML is shown as the text it is, and made no element of its own.
    assert [r[0] for r in shown.tables["overview"] if "Evil" in r[0]] == [HTML_MODEL]
    assert shown.body_tags == set()


def test_the_page_script_sorts_a_column_like_the_csv_sorted(board, tmp_path):
    expected = read_csv(board / "plain" / "overview.csv")
    column = expected[0].index("mme (perception)")
    shown = render(board / "plain" / "index.html", f"#sort=overview:{column}:desc", tmp_path / "profile")
    table = shown.tables["overview"]
    assert table[0] == expected[0]
    with_value = sorted((r for r in expected[1:] if r[column]), key=lambda r: -float(r[column]))
    without = [r for r in expected[1:] if not r[column]]
    assert table[1:] == with_value + without
    assert table[1:] != expected[1:]  # the sort did something
    assert shown.aria_sort["overview"][column] == "descending"


def test_confidence_interval_columns_render_like_the_csv(board, tmp_path):
    shown = render(board / "ci" / "index.html", "", tmp_path / "profile")
    expected = read_csv(board / "ci" / "overview.csv")
    assert shown.tables["overview"] == expected
    assert "mme (perception) ±" in expected[0]
