"""Tables as GitHub-flavoured Markdown: best value **bold**, second best _italic_ (Markdown has no
underline), optional ``± half-width`` of the 95% CI, notes as a list under the table."""

from __future__ import annotations

import re

from evalkit.report.table import Table, ci_text, value_text

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")


def escape_markdown(text: str) -> str:
    """Text shown literally in a table cell: Markdown and HTML syntax escaped, one line."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def render_markdown(table: Table, *, decimals: int, ci: bool = False) -> str:
    header = [*table.label_headers, *table.value_headers]
    lines = [f"## {escape_markdown(table.title)}", ""]
    lines.append("| " + " | ".join(escape_markdown(h) for h in header) + " |")
    lines.append("|" + "---|" * len(table.label_headers) + "---:|" * len(table.columns))
    for row in table.rows:
        cells = [escape_markdown(label) for label in row.labels]
        for cell in row.cells:
            text = value_text(cell.value, row.kind, decimals)
            if text and ci and ci_text(cell, decimals):
                text += f" ± {ci_text(cell, decimals)}"
            if text and cell.rank == 1:
                text = f"**{text}**"
            elif text and cell.rank == 2:
                text = f"_{text}_"
            cells.append(text)
        lines.append("| " + " | ".join(cells) + " |")
    if table.notes:
        lines.append("")
        lines += [f"- {escape_markdown(note)}" for note in table.notes]
    return "\n".join(lines) + "\n"
