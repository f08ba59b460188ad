"""Tables as LaTeX ``tabular`` with booktabs rules (``\\usepackage{booktabs}``): best value of a
column bold, second underlined, optional ``±`` half-width of the 95% CI in small type, a rule
between models. Notes (sources of published numbers) are written as comments above the table."""

from __future__ import annotations

from evalkit.report.table import RowKind, Table, ci_text, value_text

_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    # In LaTeX's default font encoding (OT1) these print as other glyphs (¡, ¿, —, ”); \textquotedbl is
    # missing there, but character 34 of the typewriter font is a straight quote in OT1 and T1 alike.
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", '"': r"{\ttfamily\char34}",
}  # fmt: skip


def escape_latex(text: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in " ".join(text.split()))


def _number(text: str) -> str:
    """Signs in math mode, so a minus is a minus and not a hyphen."""
    if text[:1] in "+-":
        return f"${text[0]}${text[1:]}"
    return text


def render_latex(table: Table, *, decimals: int, ci: bool = False) -> str:
    lines = [f"% {escape_latex(table.title)}", "% needs \\usepackage{booktabs}"]
    lines += [f"% {' '.join(note.split())}" for note in table.notes]  # comments: one line each, never typeset
    spec = "l" * len(table.label_headers) + "r" * len(table.columns)
    lines += [f"\\begin{{tabular}}{{{spec}}}", "\\toprule"]
    header = [escape_latex(h) for h in (*table.label_headers, *table.value_headers)]
    lines += [" & ".join(header) + r" \\", "\\midrule"]
    previous_group = None
    for row in table.rows:
        if previous_group is not None and row.group != previous_group:
            lines.append("\\midrule")
        previous_group = row.group
        cells = [escape_latex(label) for label in row.labels]
        for cell in row.cells:
            text = value_text(cell.value, row.kind, decimals)
            if not text:
                cells.append("--" if row.kind is RowKind.SCORE else "")
                continue
            text = _number(text)
            if cell.rank == 1:
                text = f"\\textbf{{{text}}}"
            elif cell.rank == 2:
                text = f"\\underline{{{text}}}"
            if ci and ci_text(cell, decimals):
                text += f"{{\\scriptsize\\,$\\pm${ci_text(cell, decimals)}}}"
            cells.append(text)
        lines.append(" & ".join(cells) + r" \\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"
