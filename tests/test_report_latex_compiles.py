"""The LaTeX tables typeset: every golden ``.tex`` compiles with pdflatex (booktabs only), loses no
character, and reads back (pdftotext) with its escaped text as the reader should see it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "report_fixtures" / "golden"
TABLES = sorted(GOLDEN.glob("*/*.tex"))

# A page wide enough for the widest table, so that pdftotext sees every column.
DOCUMENT = r"""\documentclass{article}
\usepackage{booktabs}
\pdfpagewidth=150cm \pdfpageheight=60cm \textwidth=140cm \hoffset=-1in \oddsidemargin=1cm
\tracinglostchars=2
\begin{document}
\input{table.tex}
\end{document}
"""

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="pdflatex is not installed (Debian/Ubuntu: texlive-latex-recommended)")


def typeset(table: Path, work: Path) -> tuple[str, Path]:
    shutil.copyfile(table, work / "table.tex")
    (work / "doc.tex").write_text(DOCUMENT, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=work,
                          capture_output=True, text=True, timeout=120)
    log = (work / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0, log[-3000:]
    return log, work / "doc.pdf"


@needs_pdflatex
@pytest.mark.parametrize("table", TABLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden_latex_table_compiles_without_lost_characters(tmp_path, table):
    log, pdf = typeset(table, tmp_path)
    assert "Undefined control sequence" not in log
    assert "Missing character" not in log
    assert pdf.stat().st_size > 0


@needs_pdflatex
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed (poppler-utils)")
def test_typeset_table_reads_back_with_escaped_text_and_real_minus_signs(tmp_path):
    assert len(TABLES) >= 2
    _, pdf = typeset(GOLDEN / "ci" / "overview.tex", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    evil = next(line for line in text.splitlines() if "Evil" in line)
    assert evil.startswith('<b>Evil</b> & <script>alert("x")</script> |pipe|')  # straight quotes, not ” ”
    difference = next(line for line in text.splitlines() if " difference " in line)
    assert "\N{MINUS SIGN}0.4 \N{PLUS-MINUS SIGN}2.7" in difference
