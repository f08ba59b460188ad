"""All tables on one self-contained HTML page: no external resource (a Content-Security-Policy
forbids any), inline CSS, and a small inline script that sorts a table by a clicked column.

Every cell holds exactly the text of the CSV (``csv_table.csv_rows``); numeric cells also carry
their unrounded value in ``data-value`` for sorting. All text from results (model names, task
names, notes) is HTML-escaped. ``#sort=<table id>:<column>:<asc|desc>`` in the address sorts a
table when the page opens, so a sorted view can be linked to.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from evalkit.report.csv_table import csv_rows
from evalkit.report.table import RowKind, Table

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
nav ul { columns: 3; }
table.board { border-collapse: collapse; margin: 1em 0; }
table.board th, table.board td { padding: 0.25em 0.6em; border-bottom: 1px solid #ddd; white-space: nowrap; }
table.board th { cursor: pointer; background: #f4f4f4; position: sticky; top: 0; }
table.board th[aria-sort="ascending"]::after { content: " \\25B2"; }
table.board th[aria-sort="descending"]::after { content: " \\25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { font-weight: bold; }
td.second { text-decoration: underline; }
td.ci { color: #777; font-size: 85%; }
tr.difference td { color: #555; font-style: italic; }
ul.notes { color: #555; font-size: 90%; }
figure svg { max-width: 100%; height: auto; }
"""

_SCRIPT = """
(function () {
  function key(cell, numeric) {
    if (!numeric) { return cell.textContent === "" ? null : cell.textContent; }
    var v = cell.getAttribute("data-value");
    return v === null ? null : parseFloat(v);
  }
  function sortTable(table, col, descending) {
    var heads = table.tHead.rows[0].cells;
    if (col < 0 || col >= heads.length) { return; }
    var numeric = heads[col].getAttribute("data-type") === "number";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col], numeric), y = key(b.cells[col], numeric);
      if (x === null) { return y === null ? 0 : 1; }
      if (y === null) { return -1; }
      var c = numeric ? x - y : (x < y ? -1 : x > y ? 1 : 0);
      return descending ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    for (var i = 0; i < heads.length; i++) { heads[i].removeAttribute("aria-sort"); }
    heads[col].setAttribute("aria-sort", descending ? "descending" : "ascending");
  }
  var tables = document.querySelectorAll("table.board");
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "number";
        var current = th.getAttribute("aria-sort");
        var descending = current ? current === "ascending" : numeric;
        sortTable(table, col, descending);
      });
    });
  });
  var m = /^#sort=([A-Za-z0-9_.-]+):(\\d+):(asc|desc)$/.exec(window.location.hash);
  if (m) {
    var target = document.getElementById(m[1]);
    if (target) { sortTable(target, parseInt(m[2], 10), m[3] === "desc"); }
  }
})();
"""


@dataclass(frozen=True)
class Figure:
    """A plot shown on the page: its title and its SVG markup (as matplotlib wrote it)."""

    title: str
    svg: str


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _table_html(table: Table, *, decimals: int, ci: bool) -> str:
    texts = csv_rows(table, decimals=decimals, ci=ci)
    n_labels = len(table.label_headers)
    heads = []
    for i, text in enumerate(texts[0]):
        kind = "text" if i < n_labels else "number"
        heads.append(f'<th scope="col" data-type="{kind}">{_e(text)}</th>')
    body = []
    for row, cells in zip(table.rows, texts[1:]):
        tds = [f"<td>{_e(text)}</td>" for text in cells[:n_labels]]
        values = iter(cells[n_labels:])
        for cell in row.cells:
            classes = ["num"] + {1: ["best"], 2: ["second"]}.get(cell.rank or 0, [])
            data = f' data-value="{cell.value!r}"' if cell.value is not None else ""
            tds.append(f'<td class="{" ".join(classes)}"{data}>{_e(next(values))}</td>')
            if ci:
                half = cell.half_width
                data = f' data-value="{half!r}"' if half is not None and cell.value is not None else ""
                tds.append(f'<td class="num ci"{data}>{_e(next(values))}</td>')
        kind = "difference" if row.kind is RowKind.DIFFERENCE else "score"
        body.append(f'<tr class="{kind}">' + "".join(tds) + "</tr>")
    notes = "".join(f"<li>{_e(note)}</li>" for note in table.notes)
    return "\n".join([
        f'<section id="s-{_e(table.name)}">',
        f"<h2>{_e(table.title)}</h2>",
        f'<table class="board" id="{_e(table.name)}">',
        "<thead><tr>" + "".join(heads) + "</tr></thead>",
        "<tbody>", *body, "</tbody>", "</table>",
        f'<ul class="notes">{notes}</ul>' if notes else "",
        "</section>",
    ])


def _svg_only(svg: str) -> str:
    """Inline SVG: matplotlib's file starts with an XML declaration and a DOCTYPE, which HTML does not want."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def render_html(tables: Sequence[Table], *, decimals: int, ci: bool = False, figures: Sequence[Figure] = (),
                title: str = "evalkit leaderboard") -> str:
    nav = "".join(f'<li><a href="#s-{_e(t.name)}">{_e(t.title)}</a></li>' for t in tables)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        f"<title>{_e(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
        ("<p>Click a column header to sort. Best value of a column in bold, second underlined; "
         "difference rows show reproduced minus published.</p>"),
        f"<nav><ul>{nav}</ul></nav>",
    ]
    parts += [_table_html(t, decimals=decimals, ci=ci) for t in tables]
    for figure in figures:
        parts.append(f"<figure><figcaption>{_e(figure.title)}</figcaption>{_svg_only(figure.svg)}</figure>")
    parts += [f"<script>{_SCRIPT}</script>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"
