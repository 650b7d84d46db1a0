"""HTML tables with escaped text: a generic builder and inline SVG sparklines.

Look here to show a frame as a table on a page. ``html_table`` escapes every header, caption and cell; link
and image cells are built only from http(s) URLs (``safe.safe_url``), anything else is shown as plain text or
left empty. Page-specific tables (species, outlook, emergence) live in ``page_tables``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from butterfly_lib.presentation.safe import Html, esc, img, link

Formatter = str | Callable[[Any], str]

#: tables fill the column; on a phone (< 700 px) each row becomes a card: its first cell as the title, every
#: other cell on its own line with its header as the label, so nothing hides behind a sideways scroll
TABLE_CSS = """<style>
table.bp-table{border-collapse:collapse;font-size:0.95em;margin:0.5em 0;width:100%;table-layout:auto}
table.bp-table th,table.bp-table td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left !important;
 vertical-align:top;white-space:normal;overflow-wrap:anywhere}
table.bp-table th{background:#f4f4f4}
table.bp-table tr.bp-highlight,table.bp-table tr.bp-highlight td{background:#fff6d6}
table.bp-table caption{caption-side:bottom;text-align:left;color:#555;font-size:0.85em;padding-top:4px}
table.bp-table .bp-nowrap{white-space:nowrap}
@media (min-width: 701px){table.bp-table td:first-child{white-space:nowrap}}
.bp-label{display:inline-block;padding:0 6px;border-radius:4px;font-size:0.8em;font-weight:bold;margin-left:6px}
.bp-label-simulated{background:#fde7ea;color:#b00020;border:1px solid #b00020}
.bp-label-derived{background:#fff4d6;color:#6a4c00;border:1px solid #6a4c00}
@media (max-width: 700px){
 table.bp-table,table.bp-table tbody,table.bp-table tr,table.bp-table td,table.bp-table caption{display:block;width:auto}
 table.bp-table thead{display:none}
 table.bp-table tr{border:1px solid #ddd;border-radius:6px;margin:0 0 8px 0;padding:4px 8px}
 table.bp-table td{border:none;padding:1px 0}
 table.bp-table td:first-child{font-weight:600}
 table.bp-table td[data-label]:not(:first-child)::before{content:attr(data-label) ": ";color:#555;font-weight:600}
 table.bp-table td:empty{display:none}
}
</style>"""


def kind_label(kind: str, text: str | None = None) -> str:
    """A small inline badge "simulated" / "derived" (empty for observed data)."""
    if kind not in ("simulated", "derived"):
        return ""
    return f'<span class="bp-label bp-label-{kind}">{esc(text or kind)}</span>'


def _format(values: pd.Series, fmt: Formatter | None) -> list[str]:
    return [esc(v) for v in _unescaped(values, fmt)]


def _isna(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def html_table(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | Sequence[str],
    *,
    links: Mapping[str, str] | None = None,
    images: Mapping[str, str] | None = None,
    raw: Mapping[str, str] | None = None,
    formats: Mapping[str, Formatter] | None = None,
    highlight: str | None = None,
    caption: str = "",
    label: str = "",
    table_id: str = "",
) -> Html:
    """``frame`` as an HTML table.

    ``columns`` maps column -> header (or lists columns, headers = names). ``links`` maps a text column to the
    column holding its URL; ``images`` maps a column of image URLs to the column giving the alt text;
    ``raw`` maps a column of HTML this package built itself (e.g. ``sparkline`` output) -> header and is not
    escaped, so never put source text there. ``formats`` maps a column to a format string or function.
    Rows where the boolean column ``highlight`` is true get the ``bp-highlight`` class. ``label``
    ("simulated"/"derived") adds a visible badge to the caption. Put the columns a reader needs first: on a
    phone each row is a card led by its first cell. Quarto is told to leave the table as built
    (``data-quarto-disable-processing``): parsed into a Pandoc table it would lose the cells' labels and classes.
    """
    cols = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    links, images, raw, formats = links or {}, images or {}, raw or {}, formats or {}
    missing = [c for c in [*cols, *links.values(), *images.values()] if c not in frame.columns]
    if missing:
        raise KeyError(f"html_table: columns {missing} not in frame (has {list(frame.columns)})")
    cells: list[list[str]] = []
    for col in cols:
        if col in images:
            cells.append([img(u, a) for u, a in zip(frame[col], frame[images[col]], strict=True)])
        elif col in links:
            # link() escapes its text, so hand it the formatted but not yet escaped value
            text = _unescaped(frame[col], formats.get(col))
            cells.append([link(u, t) for u, t in zip(frame[links[col]], text, strict=True)])
        elif col in raw:
            cells.append([str(v) for v in frame[col]])
        else:
            cells.append(_format(frame[col], formats.get(col)))
    flags = (
        frame[highlight].fillna(False).astype(bool).to_numpy() if highlight else np.zeros(len(frame), bool)
    )
    head = "".join(f"<th>{esc(h)}</th>" for h in cols.values())
    labels = [f' data-label="{esc(h)}"' for h in cols.values()]
    open_tr = {True: '<tr class="bp-highlight">', False: "<tr>"}
    rows = (
        [
            open_tr[bool(flag)] + "".join(f"<td{lab}>{c}</td>" for lab, c in zip(labels, row, strict=True)) + "</tr>"
            for row, flag in zip(zip(*cells, strict=True), flags, strict=True)
        ]
        if cells
        else []
    )
    cap = ""
    if caption or label:
        cap = f"<caption>{esc(caption)}{kind_label(label)}</caption>"
    ident = f' id="{esc(table_id)}"' if table_id else ""
    body = "".join(rows) or f'<tr><td colspan="{len(cols)}">(no rows)</td></tr>'
    return Html(
        f'{TABLE_CSS}<table class="bp-table"{ident} data-quarto-disable-processing="true">{cap}'
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _unescaped(values: pd.Series, fmt: Formatter | None) -> list[Any]:
    if fmt is None:
        return ["" if _isna(v) else v for v in values]
    if isinstance(fmt, str):
        return ["" if _isna(v) else fmt.format(v) for v in values]
    return ["" if _isna(v) else fmt(v) for v in values]


MONTH_INITIALS = "JFMAMJJASOND"
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")  # fmt: skip
#: first day of each month in a 365-day year (0-based), for placing month letters under weekly values
_MONTH_START_DAY = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def sparkline(
    values: Sequence[float] | np.ndarray,
    *,
    width: int = 156,
    height: int = 26,
    mark: int | None = None,
    color: str = "#1f77b4",
    months: bool = True,
) -> str:
    """A small inline SVG line of ``values`` (e.g. 53 weekly counts), with an optional dot at index ``mark``
    (e.g. this week) and, with ``months``, the month initials under it (weekly values assumed). Only numbers go
    into the SVG (and its label is built from them), so it is safe to embed unescaped."""
    v = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    if v.size == 0:
        return ""
    top = v.max() if v.max() > 0 else 1.0
    x = np.linspace(1, width - 1, v.size) if v.size > 1 else np.array([width / 2])
    y = (height - 2) - (v / top) * (height - 4)
    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
    dot = ""
    if mark is not None and 0 <= mark < v.size:
        dot = f'<circle cx="{x[mark]:.1f}" cy="{y[mark]:.1f}" r="2.5" fill="#d62728"/>'
    safe_color = (
        color if color.startswith("#") and len(color) in (4, 7) and color[1:].isalnum() else "#1f77b4"
    )
    axis, total = "", height
    label = "sightings by week of the year"
    if months and v.size > 1:
        total = height + 11
        ticks = []
        for m, start in enumerate(_MONTH_START_DAY):
            xm = 1 + (width - 2) * min(start / 7.0, v.size - 1) / (v.size - 1)
            ticks.append(
                f'<text x="{xm + 1:.1f}" y="{height + 9}" font-size="8" fill="#666">{MONTH_INITIALS[m]}</text>'
            )
        axis = f'<line x1="1" y1="{height - 1}" x2="{width - 1}" y2="{height - 1}" stroke="#ccc"/>' + "".join(ticks)
        if v.max() > 0:
            peak = int(np.argmax(v)) * 7
            month = int(np.searchsorted(_MONTH_START_DAY, min(peak, 364), side="right")) - 1
            label += f", most in {MONTH_NAMES[month]}"
    if dot:
        label += "; red dot: this week"
    return (
        f'<svg width="{width}" height="{total}" viewBox="0 0 {width} {total}" role="img" '
        f'aria-label="{label}"><title>{label}</title>{axis}<polyline fill="none" stroke="{safe_color}" '
        f'stroke-width="1.5" points="{pts}"/>{dot}</svg>'
    )
