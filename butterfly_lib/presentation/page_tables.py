"""The tables the pages show: species this week (with each species' status this season), the 16-day outlook
(the emergence page's own tables are in ``presentation.emergence``).

Look here to change a page's table columns. Each builder takes the frame a source or analysis returns and
calls ``tables.html_table`` (escaped text, http(s)-only links and photos). Units follow the page's ``units``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.presentation.safe import Html, esc
from butterfly_lib.presentation.style import species_color
from butterfly_lib.presentation.tables import html_table, sparkline


def species_table(
    rows: pd.DataFrame, *, window: str = "", caption: str = "", label: str = "", this_year: str = "this year"
) -> Html:
    """The species table of ``pages.species.species_rows``: name (linked to iNaturalist), the counts with their
    time frames (``window``: the month-days counted in every year, e.g. "30 May – 20 Jun"; ``this_year``: the
    header of this year's count), the weekly seasonality as a sparkline with a month axis (this week marked;
    the reason when there is none), each species' status this season (the emergence page's, so the two pages
    agree), scientific name and photo. Species seen this year are highlighted."""
    week = rows.attrs.get("week")
    notes = rows["seasonality_note"] if "seasonality_note" in rows else pd.Series("", index=rows.index)
    spark = [
        sparkline(np.asarray(curve, dtype=float), mark=week, color=species_color(int(t)))
        if len(curve)
        else f'<span class="bp-note">{esc(note or "no weekly counts")}</span>'
        for curve, t, note in zip(rows["seasonality"], rows["taxon_id"], notes, strict=True)
    ]
    frame = rows.assign(seasonality=spark, name=rows["common_name"].where(rows["common_name"].notna(), rows["scientific_name"]))
    around = f"sightings {window}, all years" if window else "sightings around this date, all years"
    columns = {
        "name": "species",
        "count": around,
        "count_this_year": this_year,
        "seasonality": "through the year (all years, by week)",
    }
    if "status" in rows:
        frame["status"] = frame["status"].fillna("").replace("", "no window (few sightings here)")
        columns["status"] = "this season (emergence page)"
    columns.update({"scientific_name": "scientific name", "photo_url": "photo"})
    return html_table(
        frame,
        columns,
        links={"name": "url"},
        images={"photo_url": "name"},
        raw={"seasonality": "through the year"},
        highlight="seen_this_year",
        caption=caption,
        label=label,
        table_id="species-table",
    )


def common_clauses(reasons: pd.Series) -> tuple[list[str], list[str]]:
    """``(clauses every reason shares, each reason without them)``: a viewing-index reason is "; "-separated
    clauses; what holds for every day is said once under the table instead of on every row."""
    split = [[c.strip() for c in str(r).split(";") if c.strip()] for r in reasons]
    if not split:
        return [], []
    shared = [c for c in split[0] if all(c in s for s in split[1:])]
    return shared, ["; ".join(c for c in s if c not in shared) for s in split]


def outlook_table(
    scored: pd.DataFrame, *, units: str = "F", caption: str = "", label: str = "", highlight: str = "best_day"
) -> Html:
    """The 16-day table of a ``viewing_index`` frame, led by what a reader decides on: date (with weekday; a
    star on the best days), index and its reason, then the sky in words (``sky`` column, see
    ``analysis.sky``), sunshine of daylight, high/low in the page's units, rain and wind. Rows where
    ``highlight`` is true are highlighted (the best days; say so in the caption). Reason clauses shared by every
    day are moved under the table."""
    t = scored.copy()
    best = t[highlight].fillna(False).astype(bool) if highlight in t else pd.Series(False, index=t.index)
    days = pd.DatetimeIndex(t["date"])
    t["day"] = [("★ " if b else "") + f"{d:%a} {d.day} {d:%b}" for d, b in zip(days, best, strict=True)]
    t["sun"] = [
        f"{s:.1f} of {d:.1f} h" if pd.notna(s) and pd.notna(d) else ""
        for s, d in zip(t["sunshine_h"], t["daylight_h"], strict=True)
    ]
    hi, lo = ("tmax_f", "tmin_f") if units == "F" else ("tmax_c", "tmin_c")
    t["temp"] = [
        f"{a:.0f} / {b:.0f}" if pd.notna(a) and pd.notna(b) else "" for a, b in zip(t[hi], t[lo], strict=True)
    ]
    # unknown values are said, never left blank or filled (the reason says how the index treated them)
    rain_pct = t.get("precipitation_probability_pct", pd.Series(np.nan, index=t.index))
    t["rain"] = [
        (f"{mm:.1f} mm" if pd.notna(mm) else "amount unknown")
        + (f" ({p:.0f} %)" if pd.notna(p) else " (chance unknown)")
        for mm, p in zip(t.get("precipitation_mm", pd.Series(np.nan, index=t.index)), rain_pct, strict=True)
    ]
    wind = t.get(
        "wind_speed_max_mph" if units == "F" else "wind_speed_max_kmh", pd.Series(np.nan, index=t.index)
    )
    t["wind"] = ["unknown" if pd.isna(w) else f"{w:.0f}" for w in wind]
    shared, t["why"] = common_clauses(t["reason"])
    if "sky" not in t:
        t["sky"] = ""
    note = (" Every day: " + "; ".join(shared) + ".") if shared else ""
    return html_table(
        t,
        {
            "day": "date",
            "viewing_index": "index (0–100)",
            "why": "why",
            "sky": "sky",
            "sun": "sunshine",
            "temp": f"high / low (°{units})",
            "rain": "rain",
            "wind": f"max wind ({'mph' if units == 'F' else 'km/h'})",
        },
        formats={"viewing_index": "{:.0f}"},
        highlight=highlight if highlight in t else None,
        caption=(caption + note).strip(),
        label=label,
        table_id="outlook-table",
    )
