"""The tables the pages show: species this week, the 16-day outlook, emergence windows, hindcast skill.

Look here to change a page's table columns. Each builder takes the frame a source or analysis returns and
calls ``tables.html_table`` (escaped text, http(s)-only links and photos). Units follow the page's ``units``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.pages.species import taxon_url
from butterfly_lib.presentation.safe import Html, esc
from butterfly_lib.presentation.style import species_color
from butterfly_lib.presentation.tables import html_table, sparkline


def species_table(
    rows: pd.DataFrame, *, window: str = "", caption: str = "", label: str = "", this_year: str = "this year"
) -> Html:
    """The species table of ``pages.species.species_rows``: name (linked to iNaturalist), the counts with their
    time frames (``window``: the month-days counted in every year, e.g. "30 May – 20 Jun"; ``this_year``: the
    header of this year's count), the weekly seasonality as a sparkline with a month axis (this week marked;
    the reason when there is none), scientific name and photo. Species seen this year are highlighted."""
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
    return html_table(
        frame,
        {
            "name": "species",
            "count": around,
            "count_this_year": this_year,
            "seasonality": "through the year (all years, by week)",
            "scientific_name": "scientific name",
            "photo_url": "photo",
        },
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


def emergence_table(windows: pd.DataFrame, *, units: str = "F", caption: str = "", label: str = "") -> Html:
    """Emergence windows (``emergence_windows``): species, status, the dates this year, the degree-day window."""
    t = windows.copy()
    fmt = lambda v: "" if pd.isna(v) else pd.Timestamp(v).strftime("%b %d")  # noqa: E731
    t["opens"] = [fmt(v) for v in t["window_start"]]
    t["peak"] = [fmt(v) for v in t["window_end"]]
    t["range"] = [
        f"{fmt(a)} – {fmt(b)}" if pd.notna(a) and pd.notna(b) else ""
        for a, b in zip(t["earliest_start"], t["latest_end"], strict=True)
    ]
    t["dd"] = [
        f"{a:,.0f} / {b:,.0f} / {c:,.0f}"
        for a, b, c in zip(t["dd_p10"], t["dd_p50"], t["dd_p90"], strict=True)
    ]
    t["url"] = [taxon_url(v) for v in t["taxon_id"]] if "taxon_id" in t else None
    t["name"] = t["common_name"].where(t["common_name"].astype(str).str.len() > 0, t["scientific_name"])
    return html_table(
        t,
        {
            "name": "species",
            "scientific_name": "scientific name",
            "status_text": "status",
            "opens": "window opens",
            "peak": "peak",
            "range": "earliest – latest",
            "dd": f"degree days 10th / 50th / 90th pct (°{units}·days)",
        },
        links={"name": "url"} if "taxon_id" in t else None,
        highlight=None,
        caption=caption,
        label=label,
        table_id="emergence-table",
    )


def hindcast_table(summary: pd.DataFrame, *, caption: str = "", label: str = "") -> Html:
    """Hindcast summary (``hindcast_summary``): MAE in days by degree days and by calendar, per species."""
    t = summary.copy()
    t["name"] = np.where(t["scientific_name"] == "(all species)", "ALL SPECIES", t["common_name"].fillna(""))
    return html_table(
        t,
        {
            "name": "species",
            "scientific_name": "scientific name",
            "n_seasons": "seasons",
            "dd_mae_days": "MAE degree days (days)",
            "calendar_mae_days": "MAE calendar (days)",
            "skill": "skill (1 − DD/calendar)",
            "n_unreached": "seasons not reached",
        },
        formats={"dd_mae_days": "{:.1f}", "calendar_mae_days": "{:.1f}", "skill": "{:+.2f}"},
        highlight="dd_better",
        caption=caption,
        label=label,
        table_id="hindcast-table",
    )
