"""Tables as CSV: one header row, then one line per table row, numbers printed as every format
prints them. With ``ci``, each value column is followed by a ``<column> ±`` column holding the
half-width of its 95% CI. Notes are not data and stay out of the CSV."""

from __future__ import annotations

import csv
import io

from evalkit.report.table import Table, ci_text, value_text


def csv_rows(table: Table, *, decimals: int, ci: bool = False) -> list[list[str]]:
    """The header and body rows, as strings; the HTML page shows exactly these cells."""
    header = list(table.label_headers)
    for label in table.value_headers:
        header += [label, f"{label} ±"] if ci else [label]
    rows = [header]
    for row in table.rows:
        cells = list(row.labels)
        for cell in row.cells:
            cells.append(value_text(cell.value, row.kind, decimals))
            if ci:
                cells.append(ci_text(cell, decimals))
        rows.append(cells)
    return rows


def render_csv(table: Table, *, decimals: int, ci: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(csv_rows(table, decimals=decimals, ci=ci))
    return buffer.getvalue()
