"""Leaderboard tables from the fixed results folder: golden files for every format, and the
numbers in them checked against the inputs they come from."""

from __future__ import annotations

import csv
import filecmp
import io
import json
from pathlib import Path

import pytest

from evalkit.cli import main as cli_main
from evalkit.errors import ConfigError, EvalkitError
from evalkit.report.build import collect_rows, overview_table
from evalkit.report.leaderboard import (
    LeaderboardOptions,
    build_tables,
    write_leaderboard,
)
from evalkit.report.published import load_published, model_key, parse_published
from evalkit.report.runs import find_runs, load_run
from evalkit.report.table import Cell, RowKind, TableRow, rank_columns
from tests.report_fixtures.build_fixtures import GROUPS, HTML_MODEL, TASK_ORDER

FIXTURES = Path(__file__).parent / "report_fixtures"
RESULTS = FIXTURES / "results"
GOLDEN = FIXTURES / "golden"


@pytest.fixture(scope="module")
def runs():
    return find_runs([RESULTS])


@pytest.fixture(scope="module")
def published():
    return load_published(FIXTURES / "published.yaml")


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def row(rows: list[dict[str, str]], model: str, source: str, shots: str = "0") -> dict[str, str]:
    found = [r for r in rows if r["model"] == model and r["source"] == source and r["shots"] == shots]
    assert len(found) == 1, (model, source, shots, rows)
    return found[0]


@pytest.mark.parametrize("variant,options", [("plain", LeaderboardOptions()),
                                             ("ci", LeaderboardOptions(ci=True, decimals=1))])
def test_every_format_matches_its_golden_file(tmp_path, runs, published, variant, options):
    board = write_leaderboard(runs, tmp_path, published=published, groups=GROUPS, task_order=TASK_ORDER,
                              options=options)
    golden = GOLDEN / variant
    written = sorted(p.name for p in board.files)
    assert written == sorted(p.name for p in golden.iterdir())
    assert {p.rsplit(".", 1)[1] for p in written} == {"md", "csv", "tex", "html"}
    different = [name for name in written if not filecmp.cmp(tmp_path / name, golden / name, shallow=False)]
    assert not different, f"outputs differ from golden files (regenerate with build_fixtures.py --golden): {different}"


def test_same_inputs_give_the_same_bytes(tmp_path, runs, published):
    write_leaderboard(runs, tmp_path / "a", published=published, groups=GROUPS, task_order=TASK_ORDER)
    write_leaderboard(list(reversed(runs)), tmp_path / "b", published=published, groups=GROUPS, task_order=TASK_ORDER)
    assert filecmp.dircmp(tmp_path / "a", tmp_path / "b").diff_files == []


def test_overview_numbers_come_from_the_runs_and_published_file():
    rows = read_csv(GOLDEN / "plain" / "overview.csv")
    ours = row(rows, "qwen-vl-chat", "evalkit")
    scores = json.loads((RESULTS / "qwen-vl-chat" / "paper-0shot" / "scores.json").read_text())["tasks"]
    assert float(ours["mme (perception)"]) == pytest.approx(scores["mme"]["metrics"]["perception"]["value"], abs=0.005)
    assert float(ours["nocaps_val (CIDEr)"]) == pytest.approx(119.84)
    # A task no longer registered (absent from the groups and order given) is still tabulated.
    assert float(ours["retired_task (accuracy)"]) == 71.5
    paper = row(rows, "Qwen-VL-Chat", "published")
    assert paper["mme (perception)"] == "1487.58" and paper["nocaps_val (CIDEr)"] == "120.20"
    diff = row(rows, "qwen-vl-chat", "difference")
    for column in ("mme (perception)", "nocaps_val (CIDEr)", "seedbench (accuracy)"):
        assert float(diff[column]) == pytest.approx(float(ours[column]) - float(paper[column]), abs=0.011)
    assert diff["nocaps_val (CIDEr)"] == "-0.36" and diff["mme (perception)"] == "+50.25"
    # 4-shot rows are their own rows, with their own published number and difference.
    assert row(rows, "qwen-vl-chat", "difference", "4")["okvqa_val (vqa_accuracy)"] == "-0.73"
    # A published model that was never reproduced stands on its own, without a difference row.
    assert row(rows, "Qwen-VL", "published")["textvqa_val (vqa_accuracy)"] == "63.80"
    assert not [r for r in rows if r["model"] == "Qwen-VL" and r["source"] == "difference"]


def test_rows_of_one_model_stay_together_reproduced_then_published_then_difference_then_imports():
    rows = read_csv(GOLDEN / "plain" / "overview.csv")
    qwen_chat = [(r["source"], r["shots"]) for r in rows if model_key(r["model"]) == "qwenvlchat"]
    assert qwen_chat == [("evalkit", "0"), ("published", "0"), ("difference", "0"), ("evalkit", "4"),
                         ("published", "4"), ("difference", "4"), ("lmms-eval", "0"), ("vlmevalkit", "0")]


def test_imported_rows_are_marked_with_their_source_and_on_evalkit_scale():
    rows = read_csv(GOLDEN / "plain" / "overview.csv")
    lmms = row(rows, "Qwen/Qwen-VL-Chat", "lmms-eval")
    assert lmms["protocol"] == "lmms-eval"
    assert lmms["textvqa_val (vqa_accuracy)"] == "60.52"  # 0.6052 in lmms-eval's file
    assert lmms["mme (perception)"] == "1460.31"  # MME points stay points
    assert row(rows, "Qwen-VL-Chat", "vlmevalkit")["seedbench_image (accuracy)"] == "64.82"  # 0.6482 in the CSV
    notes = (GOLDEN / "plain" / "overview.md").read_text()
    assert "lmms-eval: imported from that harness's result files" in notes


def test_group_tables_hold_every_metric_of_their_tasks_and_breakdowns_every_subtask():
    mme = read_csv(GOLDEN / "plain" / "group-mme.csv")
    assert list(mme[0])[4:] == ["mme (perception)", "mme (cognition)"]
    assert row(mme, "Qwen-VL-Chat", "published")["mme (cognition)"] == "360.71"
    captions = read_csv(GOLDEN / "plain" / "group-captioning.csv")
    assert list(captions[0])[4:] == ["nocaps_val (CIDEr)", "nocaps_val (Bleu_4)", "nocaps_val (METEOR)",
                                     "nocaps_val (ROUGE_L)"]
    seed = read_csv(GOLDEN / "plain" / "breakdown-seedbench-accuracy.csv")
    assert len(list(seed[0])) == 4 + 12  # SEED-Bench's 12 dimensions
    scores = read_csv(GOLDEN / "plain" / "breakdown-mme-score.csv")
    assert len(list(scores[0])) == 4 + 14
    assert row(scores, "Qwen-VL-Chat", "published")["existence"] == "158.33"
    assert row(scores, "qwen-vl-chat", "difference")["existence"] == "+31.67"  # 190.00 - 158.33
    assert not (GOLDEN / "plain" / "group-mme_subsets.csv").exists()  # groups without results get no table


def test_latex_is_booktabs_with_best_bold_and_second_underlined():
    tex = (GOLDEN / "plain" / "overview.tex").read_text()
    assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex
    lines = {"|".join(line.split(" & ")[i] for i in (0, 1, 3)): line for line in tex.splitlines() if " & " in line}
    # textvqa_val: 78.30 (Qwen2-VL) best, 63.80 (published Qwen-VL) second.
    assert "\\textbf{78.30}" in lines["Qwen/Qwen2-VL-2B-Instruct|evalkit|0"]
    assert "\\underline{63.80}" in lines["Qwen-VL|published|0"]
    assert "\\textbf" not in lines["qwen-vl-chat|difference|0"]  # differences are never ranked
    assert "$-$0.36" in lines["qwen-vl-chat|difference|0"]
    # The HTML in a model name is escaped for LaTeX, special characters included.
    evil = next(line for key, line in lines.items() if "Evil" in key)
    assert evil.startswith("\\textless{}b\\textgreater{}Evil") and "\\&" in evil and "\\textbar{}pipe" in evil
    ci = (GOLDEN / "ci" / "overview.tex").read_text()
    assert "\\textbf{78.3}{\\scriptsize\\,$\\pm$1.1}" in ci


def test_markdown_escapes_table_syntax_and_marks_the_best():
    md = (GOLDEN / "plain" / "overview.md").read_text()
    evil = next(line for line in md.splitlines() if "Evil" in line)
    assert evil.count(" | ") == (GOLDEN / "plain" / "overview.csv").read_text().splitlines()[0].count(",")
    assert "\\<script\\>" in evil and "\\|pipe\\|" in evil
    assert "**78.30**" in md and "_63.80_" in md


def test_ties_at_the_printed_precision_share_a_rank_and_differences_are_never_ranked():
    def table_rows(values, kinds):
        return [TableRow((str(i),), (Cell(v),), kind) for i, (v, kind) in enumerate(zip(values, kinds))]

    score, diff = RowKind.SCORE, RowKind.DIFFERENCE
    ranked = rank_columns(table_rows([50.0, 50.001, 40.0, 99.0], [score, score, score, diff]), decimals=2)
    assert [r.cells[0].rank for r in ranked] == [1, 1, 2, None]
    ranked = rank_columns(table_rows([50.0, 50.001, 40.0], [score] * 3), decimals=3)
    assert [r.cells[0].rank for r in ranked] == [2, 1, None]
    assert [r.cells[0].rank for r in rank_columns(table_rows([50.0, None], [score] * 2), decimals=2)] == [None, None]


def test_published_numbers_alone_define_no_column_and_unmatched_ones_are_reported():
    published = parse_published([
        {"model": m, "task": "t", "protocol": "p", "metric": "m", "value": v, "source": "s"}
        for m, v in (("a", 50.0), ("b", 40.0))
    ], "test")
    assert overview_table(collect_rows([], published).rows, [], decimals=2).columns == ()
    tables = build_tables([], published, groups={}, task_order=[], decimals=2)
    assert len(tables.warnings) == 1 and "2 published numbers match no task" in tables.warnings[0]


def _run(root: Path, model: str, finished: str, value: float) -> None:
    root.mkdir(parents=True)
    (root / "run.json").write_text(json.dumps({"model": {"name": model}, "finished": finished}))
    (root / "scores.json").write_text(json.dumps({"schema_version": 1, "tasks": {"t": {
        "protocol": "standard", "num_fewshot": 0, "primary_metric": "acc",
        "metrics": {"acc": {"value": value, "ci95": None}}}}}))


def test_a_task_in_two_runs_of_one_row_keeps_the_later_run_and_says_so(tmp_path):
    _run(tmp_path / "m" / "new", "m", "2026-09-02T00:00:00+00:00", 70.0)
    _run(tmp_path / "m" / "old", "m", "2026-09-01T00:00:00+00:00", 60.0)
    _run(tmp_path / "n" / "x", "n", "2026-09-01T00:00:00+00:00", 65.0)
    tables = build_tables(find_runs([tmp_path]), [], groups={}, task_order=[], decimals=1)
    values = {r.labels[0]: r.cells[0] for r in tables.overview.rows}
    assert values["m"].value == 70.0 and values["m"].rank == 1 and values["n"].rank == 2
    assert len(tables.warnings) == 1 and "old" in tables.warnings[0] and "later" in tables.warnings[0]


def test_results_errors_say_how_to_fix_them(tmp_path):
    with pytest.raises(EvalkitError, match="no finished run"):
        find_runs([tmp_path])
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "run.json").write_text("{}")
    with pytest.raises(EvalkitError, match="has not finished"):
        load_run(tmp_path / "r")
    (tmp_path / "r" / "scores.json").write_text(json.dumps({"schema_version": 2, "tasks": {}}))
    with pytest.raises(EvalkitError, match="schema_version 2"):
        load_run(tmp_path / "r")
    with pytest.raises(ConfigError, match="entry 1: missing source"):
        parse_published([{"model": "m", "task": "t", "protocol": "p", "metric": "m", "value": 1}], "f")
    twice = {"model": "Qwen-VL", "task": "t", "protocol": "p", "metric": "m", "value": 1, "source": "s"}
    with pytest.raises(ConfigError, match="entry 2: the same number as entry 1"):
        parse_published([twice, {**twice, "model": "qwen-vl", "value": 2}], "f")
    with pytest.raises(ConfigError, match="value must be a number"):
        parse_published([{"model": "m", "task": "t", "protocol": "p", "metric": "m", "value": "x", "source": "s"}], "f")


def test_cli_writes_tables_for_the_registry_groups(tmp_path, capsys):
    out = tmp_path / "board"
    code = cli_main(["leaderboard", str(RESULTS), "--out", str(out), "--published", str(FIXTURES / "published.yaml"),
                     "--formats", "csv,md"])
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {"overview.csv", "overview.md", "group-mme.csv", "breakdown-mme-score.md"} <= names
    assert not any(n.endswith((".tex", ".html")) for n in names)
    ours = row(read_csv(out / "overview.csv"), "qwen-vl-chat", "difference")
    assert ours["mme (perception)"] == "+50.25"
    assert cli_main(["leaderboard", str(RESULTS), "--out", str(out), "--formats", "pdf"]) == 2
    assert "unknown format 'pdf'" in capsys.readouterr().err


def test_html_model_name_is_escaped_in_the_page():
    page = (GOLDEN / "plain" / "index.html").read_text()
    assert HTML_MODEL not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # the page's own sorter, nothing else
    assert "http://" not in page and "https://" not in page and "default-src 'none'" in page
