"""The tables the pages show: species this week, the 16-day outlook, emergence windows, hindcast skill.

Look here to change a page's table columns. Each builder takes the frame a source or analysis returns and
calls ``tables.html_table`` (escaped text, http(s)-only links and photos). Units follow the page's ``units``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.pages.species import taxon_url
from butterfly_lib.presentation.safe import Html
from butterfly_lib.presentation.style import species_color
from butterfly_lib.presentation.tables import html_table, sparkline


def species_table(rows: pd.DataFrame, *, caption: str = "", label: str = "") -> Html:
    """The species table of ``pages.species.species_rows``: photo, names (linked to iNaturalist), counts, and
    the weekly seasonality as a sparkline (this week marked); species also seen this year are highlighted."""
    week = rows.attrs.get("week")
    spark = [
        sparkline(np.asarray(curve, dtype=float), mark=week, color=species_color(int(t))) if len(curve) else ""
        for curve, t in zip(rows["seasonality"], rows["taxon_id"], strict=True)
    ]
    return html_table(
        rows.assign(seasonality=spark),
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
        table_id="species_table",
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
        table_id="outlook_table",
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
        table_id="emergence_table",
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
        table_id="hindcast_table",
    )
