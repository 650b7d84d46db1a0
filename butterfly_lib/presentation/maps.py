"""The sightings map: ipyleaflet markers coloured per species, popups, a heat-map layer, layer control, legend.

Look here to change what a sighting's popup says or how the map is layered. ``sightings_map`` takes the
sightings frame (columns as ``butterfly_lib.sources.inaturalist`` returns them: id, taxon_id, scientific_name,
common_name, observed_on, latitude, longitude, photo_url, url, user_login, place_guess, license, ...) optionally
joined with the weather of each sighting's day (``tmax_c``, ``tmin_c``, ``precipitation_mm``, ``sunshine_h``,
``weather``; a ``weather_kind`` column of "derived" marks values that were not observed). Everything that
reaches HTML is escaped: popups (``ipywidgets.HTML``), the legend and the layer names, which jupyter-leaflet
inserts as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipyleaflet
import ipywidgets
import numpy as np
import pandas as pd

from butterfly_lib.presentation.safe import esc, img, link
from butterfly_lib.presentation.style import species_color

LEGEND_MAX = 8  # more would reach the zoom buttons on a 560 px map; the rest are named in popups
NO_SIGHTINGS = (
    "No sightings to show: iNaturalist holds no observations of this taxon within the place's radius for "
    "these days of the year, in any year. The map is empty, not broken."
)


def _get(row: Mapping[str, Any], key: str) -> Any:
    v = row.get(key)
    try:
        return None if v is None or pd.isna(v) else v
    except (TypeError, ValueError):
        return v


def weather_text(row: Mapping[str, Any], units: str = "F") -> str:
    """Plain text for the weather on a sighting's day, e.g. "partly cloudy · 77/55 °F · 2.1 mm rain";
    empty when the row has no weather. Marked "(derived)" when ``weather_kind`` says so."""
    parts: list[str] = []
    has_text = bool(_get(row, "weather_text"))
    if has_text:  # analysis.sighting_weather already wrote the line
        parts.append(str(_get(row, "weather_text")))
    label = None if has_text else (_get(row, "weather") or _get(row, "condition"))
    if label:
        parts.append(str(label))
    hi, lo = (None, None) if has_text else (_get(row, "tmax_c"), _get(row, "tmin_c"))
    if hi is not None and lo is not None:
        if units == "F":
            parts.append(f"{hi * 9 / 5 + 32:.0f}/{lo * 9 / 5 + 32:.0f} °F")
        else:
            parts.append(f"{hi:.0f}/{lo:.0f} °C")
    sun = None if has_text else _get(row, "sunshine_h")
    if sun is not None:
        parts.append(f"{sun:.1f} h sun")
    rain = None if has_text else _get(row, "precipitation_mm")
    if rain is not None and rain > 0:
        parts.append(f"{rain:.1f} mm rain")
    if parts and _get(row, "weather_kind") in ("derived", "simulated"):
        parts.append(f"({_get(row, 'weather_kind')})")
    return " · ".join(parts)


def popup_html(row: Mapping[str, Any], units: str = "F") -> str:
    """The popup of one sighting: photo, common and scientific name, date, place, observer, licence, weather,
    link to iNaturalist. All text escaped; photo and link only from http(s) URLs."""
    common = _get(row, "common_name") or _get(row, "scientific_name") or "unknown species"
    sci = _get(row, "scientific_name") or ""
    observed = _get(row, "observed_on")
    date_txt = pd.Timestamp(observed).strftime("%Y-%m-%d") if observed is not None else "date unknown"
    lines = [f"<b>{esc(common)}</b>" + (f" <i>({esc(sci)})</i>" if sci and sci != common else "")]
    lines.append(
        f"Seen {esc(date_txt)}"
        + (f" near {esc(_get(row, 'place_guess'))}" if _get(row, "place_guess") else "")
    )
    who = _get(row, "user_login")
    lic = _get(row, "license")
    if who or lic:
        lines.append("by " + esc(who or "unknown") + (f" · {esc(lic)}" if lic else ""))
    weather = weather_text(row, units)
    if weather:
        lines.append(f"Weather that day: {esc(weather)}")
    if bool(_get(row, "obscured")):
        lines.append("Location obscured by the observer or iNaturalist")
    photo = img(_get(row, "photo_url"), common, width=120)
    url = _get(row, "url")
    more = link(url, "View on iNaturalist") if url else ""
    return (
        f'<div class="bp-popup" style="max-width:240px">{photo}<div>'
        + "<br>".join(lines)
        + (f"<br>{more}" if more else "")
        + "</div></div>"
    )


def legend_entries(sightings: pd.DataFrame, max_entries: int = LEGEND_MAX) -> dict[str, str]:
    """``{escaped species name (count): colour}`` for the most-seen species, most first; the legend is
    inserted as HTML by jupyter-leaflet, so names are escaped here."""
    if sightings.empty:
        return {}
    name = sightings["common_name"].fillna(sightings["scientific_name"]).fillna("unknown")
    counts = (
        pd.DataFrame({"taxon_id": sightings["taxon_id"], "sci": sightings["scientific_name"], "name": name})
        .groupby(["taxon_id", "sci", "name"], dropna=False)
        .size()
        .sort_values(ascending=False, kind="stable")
    )
    entries: dict[str, str] = {}
    for (taxon, sci, nm), n in counts.head(max_entries).items():
        entries[f"{esc(nm)} ({n})"] = species_color(taxon, sci)
    others = len(counts) - min(len(counts), max_entries)
    if others > 0:
        entries[f"+ {others} more species (colours repeat; see popups)"] = "#ffffff"
    return entries


def sightings_map(
    sightings: pd.DataFrame,
    *,
    center: tuple[float, float] | None = None,
    zoom: int = 8,
    units: str = "F",
    this_year: int | None = None,
    weather_kind: str = "observed",
    height: str = "560px",
    empty_note: str = NO_SIGHTINGS,
) -> ipyleaflet.Map:
    """An interactive map of ``sightings``: one CircleMarker per sighting coloured by species (stable palette),
    with a popup; layers "this year" / "earlier years" (when ``this_year`` is given) and a heat map of all
    sightings; a layer control and a legend of the most-seen species. ``weather_kind`` ("derived" when the
    weather frame's provenance says so) is shown in every popup's weather line. With no sighting to place, the
    map is drawn empty around ``center`` with ``empty_note`` on it."""
    valid = sightings.dropna(subset=["latitude", "longitude"])
    if weather_kind != "observed" and "weather_kind" not in valid:
        valid = valid.assign(weather_kind=weather_kind)
    if center is None:
        center = (
            (float(valid["latitude"].median()), float(valid["longitude"].median()))
            if len(valid)
            else (0.0, 0.0)
        )
    m = ipyleaflet.Map(
        center=center,
        zoom=zoom,
        scroll_wheel_zoom=True,
        layout=ipywidgets.Layout(height=height, width="100%"),
    )
    years = pd.to_datetime(valid["observed_on"], errors="coerce").dt.year
    groups: dict[str, pd.DataFrame] = {}
    if this_year is not None:
        groups[f"Sightings {this_year}"] = valid[years == this_year]
        groups["Sightings, earlier years"] = valid[years != this_year]
    else:
        groups["Sightings"] = valid
    for name, part in groups.items():
        markers = [
            ipyleaflet.CircleMarker(
                location=(float(r["latitude"]), float(r["longitude"])),
                radius=7 if name.endswith(str(this_year)) else 5,
                color="#222222",
                weight=1,
                fill_color=species_color(r["taxon_id"], r.get("scientific_name")),
                fill_opacity=0.85,
                popup=ipywidgets.HTML(value=popup_html(r, units)),
            )
            for r in part.to_dict("records")
        ]
        m.add(ipyleaflet.LayerGroup(layers=markers, name=f"{esc(name)} ({len(markers)})"))
    if len(valid):
        locations = np.column_stack(
            [valid["latitude"].to_numpy(float), valid["longitude"].to_numpy(float), np.ones(len(valid))]
        ).tolist()
        m.add(
            ipyleaflet.Heatmap(
                locations=locations, radius=18, blur=12, max=3.0, name=f"Sighting density ({len(valid)})"
            )
        )
    if valid.empty:
        note = ipywidgets.HTML(value=f'<p class="bp-map-empty" style="margin:4px 8px;max-width:320px">{esc(empty_note)}</p>')
        m.add(ipyleaflet.WidgetControl(widget=note, position="topright"))
    m.add(ipyleaflet.LayersControl(position="topright"))
    m.add(ipyleaflet.LegendControl(legend_entries(valid), title="Species (sightings)", position="bottomleft"))
    m.add(ipyleaflet.ScaleControl(position="bottomright", imperial=units == "F"))
    return m
