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

TABLE_CSS = """<style>
.bp-table{border-collapse:collapse;font-size:0.95em;margin:0.5em 0;max-width:100%;display:block;overflow-x:auto}
.bp-table th,.bp-table td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:middle}
.bp-table th{background:#f4f4f4}
.bp-table tr.bp-highlight td{background:#fff6d6}
.bp-table caption{caption-side:bottom;text-align:left;color:#555;font-size:0.85em;padding-top:4px}
.bp-label{display:inline-block;padding:0 6px;border-radius:4px;font-size:0.8em;font-weight:bold;margin-left:6px}
.bp-label-simulated{background:#fde7ea;color:#b00020;border:1px solid #b00020}
.bp-label-derived{background:#fff4d6;color:#6a4c00;border:1px solid #6a4c00}
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
    ("simulated"/"derived") adds a visible badge to the caption. ``table_id`` goes on a ``div`` around the
    table, not on the table: Quarto turns a captioned table that has an id into a numbered cross-reference
    float (and reads ``name-...`` ids as the cross-reference type ``name``, warning when it is not ``tbl``).
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
    open_tr = {True: '<tr class="bp-highlight">', False: "<tr>"}
    rows = (
        [
            open_tr[bool(flag)] + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
            for row, flag in zip(zip(*cells, strict=True), flags, strict=True)
        ]
        if cells
        else []
    )
    cap = ""
    if caption or label:
        cap = f"<caption>{esc(caption)}{kind_label(label)}</caption>"
    body = "".join(rows) or f'<tr><td colspan="{len(cols)}">(no rows)</td></tr>'
    table = f'<table class="bp-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    if table_id:
        table = f'<div class="bp-table-wrap" id="{esc(table_id)}">{table}</div>'
    return Html(TABLE_CSS + table)


def _unescaped(values: pd.Series, fmt: Formatter | None) -> list[Any]:
    if fmt is None:
        return ["" if _isna(v) else v for v in values]
    if isinstance(fmt, str):
        return ["" if _isna(v) else fmt.format(v) for v in values]
    return ["" if _isna(v) else fmt(v) for v in values]


def sparkline(
    values: Sequence[float] | np.ndarray,
    *,
    width: int = 120,
    height: int = 24,
    mark: int | None = None,
    color: str = "#1f77b4",
) -> str:
    """A tiny inline SVG line of ``values`` (e.g. 53 weekly counts), with an optional dot at index ``mark``
    (e.g. this week). Only numbers go into the SVG, so it is safe to embed unescaped."""
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
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="seasonality"><polyline fill="none" stroke="{safe_color}" stroke-width="1.5" '
        f'points="{pts}"/>{dot}</svg>'
    )
