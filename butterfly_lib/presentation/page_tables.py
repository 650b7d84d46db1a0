"""The tables the pages show: species this week (with each species' status this season), the 16-day outlook
(the emergence page's own tables are in ``presentation.emergence``).

Look here to change a page's table columns. Each builder takes the frame a source or analysis returns and
calls ``tables.html_table`` (escaped text, http(s)-only links and photos). Units follow the page's ``units``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.presentation.safe import Html
from butterfly_lib.presentation.style import species_color
from butterfly_lib.presentation.tables import html_table, sparkline


def species_table(rows: pd.DataFrame, *, caption: str = "", label: str = "") -> Html:
    """The species table of ``pages.species.species_rows``: photo, names (linked to iNaturalist), counts, the
    weekly seasonality as a sparkline (this week marked) and each species' status this season (the emergence
    page's, so the two pages agree); species also seen this year are highlighted."""
    week = rows.attrs.get("week")
    spark = [
        sparkline(np.asarray(curve, dtype=float), mark=week, color=species_color(int(t))) if len(curve) else ""
        for curve, t in zip(rows["seasonality"], rows["taxon_id"], strict=True)
    ]
    shown = rows.assign(seasonality=spark)
    columns = {
        "photo_url": "photo",
        "common_name": "species",
        "scientific_name": "scientific name",
        "count": "sightings this week (all years)",
        "count_this_year": "this year",
        "seasonality": "by week",
    }
    if "status" in rows:
        shown["status"] = shown["status"].fillna("").replace("", "no window (few sightings here)")
        columns["status"] = "this season (emergence page)"
    return html_table(
        shown,
        columns,
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
