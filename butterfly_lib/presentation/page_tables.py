"""The tables the pages show: species this week, the 16-day outlook, emergence windows, hindcast skill.

Look here to change a page's table columns. Each builder takes the frame a source or analysis returns and
calls ``tables.html_table`` (escaped text, http(s)-only links and photos). Units follow the page's ``units``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from butterfly_lib.presentation.safe import Html
from butterfly_lib.presentation.style import species_color
from butterfly_lib.presentation.tables import html_table, sparkline

INAT_TAXON = "https://www.inaturalist.org/taxa/"


def taxon_url(taxon_id: object) -> str | None:
    """The iNaturalist page of a taxon id, or None when there is no valid id."""
    try:
        tid = int(taxon_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f"{INAT_TAXON}{tid}" if tid > 0 else None


def species_rows(
    this_week: pd.DataFrame,
    this_year: pd.DataFrame | None = None,
    seasonality: Mapping[int, pd.DataFrame] | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """One row per species seen around this week (all years): ``taxon_id, common_name, scientific_name, count,
    count_this_year, seen_this_year, photo_url, url, seasonality`` (inline SVG of weekly counts, or "")."""
    out = this_week[["taxon_id", "common_name", "scientific_name", "count", "photo_url"]].copy()
    year_counts = (
        this_year.set_index("taxon_id")["count"]
        if this_year is not None and len(this_year)
        else pd.Series(dtype=float)
    )
    out["count_this_year"] = out["taxon_id"].map(year_counts).fillna(0).astype(int)
    out["seen_this_year"] = out["count_this_year"] > 0
    out["url"] = [taxon_url(t) for t in out["taxon_id"]]
    week = int(pd.Timestamp(as_of).isocalendar().week) - 1 if as_of is not None else None
    spark = []
    for tid in out["taxon_id"]:
        h = (seasonality or {}).get(int(tid)) if pd.notna(tid) else None
        if h is None or h.empty:
            spark.append("")
            continue
        weekly = np.zeros(53)
        weekly[h["week"].to_numpy(int) - 1] = h["count"].to_numpy(float)
        spark.append(sparkline(weekly, mark=week, color=species_color(int(tid))))
    out["seasonality"] = spark
    return out.reset_index(drop=True)


def species_table(rows: pd.DataFrame, *, caption: str = "", label: str = "") -> Html:
    """The species table of ``species_rows``: photo, names (linked to iNaturalist), counts, seasonality;
    species also seen this year are highlighted."""
    return html_table(
        rows,
        {
            "photo_url": "photo",
            "common_name": "species",
            "scientific_name": "scientific name",
            "count": "sightings this week (all years)",
            "count_this_year": "this year",
            "seasonality": "by week",
        },
        links={"common_name": "url"},
        images={"photo_url": "common_name"},
        raw={"seasonality": "by week"},
        highlight="seen_this_year",
        caption=caption,
        label=label,
        table_id="species-table",
    )


def outlook_table(scored: pd.DataFrame, *, units: str = "F", caption: str = "", label: str = "") -> Html:
    """The 16-day table of a ``viewing_index`` frame: date, weather, sunshine of daylight, high/low in the
    page's units, rain, wind, index and its reason."""
    t = scored.copy()
    t["day"] = pd.DatetimeIndex(t["date"]).strftime("%a %b %d")
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
    return html_table(
        t,
        {
            "day": "date",
            "weather": "weather",
            "sun": "sunshine",
            "temp": f"high / low (°{units})",
            "rain": "rain",
            "wind": f"max wind ({'mph' if units == 'F' else 'km/h'})",
            "viewing_index": "index (0–100)",
            "reason": "why",
        },
        formats={"viewing_index": "{:.0f}"},
        highlight="good_day_rule" if "good_day_rule" in t else None,
        caption=caption,
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
