"""The sightings map: ipyleaflet markers coloured per species, popups, the place and its radius, a heat-map
layer, a layer control, and the legend and the reader's sentence that go beside it.

Look here to change what a sighting's popup says or how the map is layered. ``sightings_map`` takes the
sightings frame (columns as ``butterfly_lib.sources.inaturalist`` returns them: id, taxon_id, scientific_name,
common_name, observed_on, latitude, longitude, photo_url, url, user_login, place_guess, license, ...) optionally
joined with the weather of each sighting's day (``tmax_c``, ``tmin_c``, ``precipitation_mm``, ``sunshine_h``,
``daylight_h``, ``sky``, ``condition``/``weather``; a ``weather_kind`` column of "derived" marks values that were
not observed). ``species_colors`` gives the species on the map distinct colours (most seen first); ``map_legend``
is the legend as HTML to show under the map (collapsible, so it never covers markers on a phone);
``map_intro`` says what the layers are and how many sightings each holds. Everything that reaches HTML is
escaped: popups (``ipywidgets.HTML``), the legend and the layer names, which jupyter-leaflet inserts as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipyleaflet
import ipywidgets
import numpy as np
import pandas as pd

from butterfly_lib.analysis.sky import sky_label
from butterfly_lib.presentation.safe import Html, esc, img, link
from butterfly_lib.presentation.words import day, names, plural

#: colours the map gives to single species, most distinct first (Sasha Trubetskoy's "20 simple, distinct
#: colours", without its grey, which stands for "other species"); markers carry a dark outline, so the light ones
#: read on the map too
MAP_COLORS: tuple[str, ...] = (
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#ffe119", "#42d4f4", "#f032e6", "#800000",
    "#469990", "#9a6324", "#bfef45", "#000075", "#808000", "#fabed4", "#dcbeff", "#aaffc3", "#ffd8b1", "#fffac8",
)  # fmt: skip
OTHER_COLOR = "#c8c8c8"
BASE_LAYER_NAME = "Street map (OpenStreetMap)"
NO_SIGHTINGS = (
    "No sightings to show: iNaturalist holds no observations of this taxon within the place's radius for "
    "these days of the year, in any year. The map is empty, not broken."
)
LEGEND_CSS = """<style>
.bp-legend{font-size:0.9em;margin:6px 0 12px 0;border:1px solid #ddd;border-radius:6px;padding:4px 10px}
.bp-legend summary{cursor:pointer;font-weight:600}
.bp-legend ul{list-style:none;padding:0;margin:4px 0;columns:3 220px;column-gap:16px}
.bp-legend li{margin:2px 0;break-inside:avoid}
.bp-swatch{display:inline-block;width:12px;height:12px;border-radius:50%;border:1px solid #222;
 vertical-align:-1px;margin-right:6px}
.bp-swatch-ring{background:transparent;border:2px dashed #333}
</style>"""


def _get(row: Mapping[str, Any], key: str) -> Any:
    v = row.get(key)
    try:
        return None if v is None or pd.isna(v) else v
    except (TypeError, ValueError):
        return v


def weather_text(row: Mapping[str, Any], units: str = "F") -> str:
    """Plain text for the weather on a sighting's day, the site's units first, e.g. "sunny · 77/55 °F (25/13 °C)
    · 14.2 h sun · 2.1 mm rain"; empty when the row has no weather. The sky is said from the day's sunshine
    (``sky``, or ``sunshine_h``/``daylight_h``); without sunshine, Open-Meteo's daily code is named for what it
    is, the day's worst hour ("worst hour: overcast"). Marked "(derived)" when ``weather_kind`` says so."""
    parts: list[str] = []
    # the sky is said only where the day's sunshine is known (without it a label could rest on the rain alone)
    sky = _get(row, "sky") if _get(row, "sunshine_h") is not None else None
    if not sky and _get(row, "sunshine_h") is not None and _get(row, "daylight_h") is not None:
        sky = str(sky_label([row["sunshine_h"]], [row["daylight_h"]], [_get(row, "precipitation_mm")])[0])
    worst = _get(row, "condition") or _get(row, "weather")
    if sky:
        parts.append(str(sky))
    hi, lo = _get(row, "tmax_c"), _get(row, "tmin_c")
    if hi is not None and lo is not None:
        f_txt = f"{hi * 9 / 5 + 32:.0f}/{lo * 9 / 5 + 32:.0f} °F"
        c_txt = f"{hi:.0f}/{lo:.0f} °C"
        parts.append(f"{f_txt} ({c_txt})" if units == "F" else f"{c_txt} ({f_txt})")
    sun = _get(row, "sunshine_h")
    if sun is not None:
        parts.append(f"{sun:.1f} h sun")
    rain = _get(row, "precipitation_mm")
    if rain is not None and rain > 0:
        parts.append(f"{rain:.1f} mm rain")
    if worst and not sky:
        parts.append(f"worst hour of the day: {worst}")
    if parts and _get(row, "weather_kind") in ("derived", "simulated"):
        parts.append(f"({_get(row, 'weather_kind')})")
    return " · ".join(parts)


def popup_html(row: Mapping[str, Any], units: str = "F") -> str:
    """The popup of one sighting: photo, common and scientific name, date (with weekday), place, and, only when
    the record has them, observer and licence; the weather that day; a link to iNaturalist. All text escaped;
    photo and link only from http(s) URLs."""
    common = _get(row, "common_name") or _get(row, "scientific_name") or "unknown species"
    sci = _get(row, "scientific_name") or ""
    observed = _get(row, "observed_on")
    date_txt = day(observed, year=True) if observed is not None else "date unknown"
    lines = [f"<b>{esc(common)}</b>" + (f" <i>({esc(sci)})</i>" if sci and sci != common else "")]
    lines.append(
        f"Seen {esc(date_txt)}" + (f" near {esc(_get(row, 'place_guess'))}" if _get(row, "place_guess") else "")
    )
    who = _get(row, "user_login")
    lic = _get(row, "license")
    if who and lic:
        lines.append(f"by {esc(who)} · licence {esc(lic)}")
    elif who:
        lines.append(f"by {esc(who)}")
    elif lic:
        lines.append(f"licence {esc(lic)}")
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


def _species_counts(sightings: pd.DataFrame) -> pd.Series:
    """Sightings per (taxon_id, scientific name, shown name), most first."""
    name = sightings["common_name"].fillna(sightings["scientific_name"]).fillna("unknown")
    return (
        pd.DataFrame({"taxon_id": sightings["taxon_id"], "sci": sightings["scientific_name"], "name": name})
        .groupby(["taxon_id", "sci", "name"], dropna=False)
        .size()
        .sort_values(ascending=False, kind="stable")
    )


def species_colors(sightings: pd.DataFrame, max_species: int = len(MAP_COLORS)) -> dict[str, str]:
    """``{scientific name: colour}`` for the map: the ``max_species`` most-seen species get distinct colours, in
    ``MAP_COLORS`` order (the most seen the most distinct); the rest are grey (``OTHER_COLOR``). Colours follow
    this map's ranking, so they are distinct on the map rather than fixed per species across pages."""
    out: dict[str, str] = {}
    for k, ((_taxon, sci, _name), _n) in enumerate(_species_counts(sightings).items()):
        out.setdefault(str(sci), MAP_COLORS[k] if k < min(max_species, len(MAP_COLORS)) else OTHER_COLOR)
    return out


def legend_entries(sightings: pd.DataFrame, max_entries: int = len(MAP_COLORS)) -> dict[str, str]:
    """``{escaped species name (count): colour}`` for the most-seen species, most first, and, last, one entry
    for the rest ("+ N more species (grey)"); names are escaped here (the legend is inserted as HTML)."""
    if sightings.empty:
        return {}
    colors = species_colors(sightings, max_entries)
    counts = _species_counts(sightings)
    entries: dict[str, str] = {}
    for (_taxon, sci, nm), n in counts.head(max_entries).items():
        entries[f"{esc(nm)} ({n})"] = colors[str(sci)]
    others = len(counts) - min(len(counts), max_entries)
    if others > 0:
        rest = int(counts.iloc[max_entries:].sum())
        entries[f"+ {plural(others, 'more species', 'more species')} ({rest}, grey)"] = OTHER_COLOR
    return entries


def map_legend(sightings: pd.DataFrame, *, place_name: str = "", radius_km: float | None = None) -> Html:
    """The legend to show under the map: one swatch per species (most seen first, "+ N more" last), and the
    place's marker and radius ring. Collapsible (open by default)."""
    valid = sightings.dropna(subset=["latitude", "longitude"]) if len(sightings) else sightings
    entries = legend_entries(valid)
    items = [
        f'<li><span class="bp-swatch" style="background:{c}"></span>{label}</li>' for label, c in entries.items()
    ]
    if place_name:
        ring = f" and the {radius_km:g} km radius searched" if radius_km else ""
        items.append(
            f'<li><span class="bp-swatch bp-swatch-ring"></span>{esc(place_name)}{esc(ring)} (dashed ring)</li>'
        )
    n_species = len(_species_counts(valid)) if len(valid) else 0
    title = f"Legend: {plural(n_species, 'species', 'species')}, {plural(len(valid), 'sighting')}"
    return Html(
        f'{LEGEND_CSS}<details class="bp-legend" open><summary>{esc(title)}</summary>'
        f"<ul>{''.join(items)}</ul></details>"
    )


def _years(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["observed_on"], errors="coerce", utc=True).dt.year


def _span(years: pd.Series) -> str:
    ys = years.dropna().astype(int)
    if ys.empty:
        return ""
    return str(ys.min()) if ys.min() == ys.max() else f"{ys.min()}–{ys.max()}"


def layer_groups(valid: pd.DataFrame, this_year: int | None) -> dict[str, pd.DataFrame]:
    """``{layer name: sightings}``, only non-empty layers: this year's and earlier years' when ``this_year`` is
    given and both have sightings, else one layer named by its years."""
    years = _years(valid)
    if this_year is not None:
        now, before = valid[years == this_year], valid[years != this_year]
        if len(now) and len(before):
            return {
                f"Sightings this year ({this_year}): {len(now)}": now,
                f"Earlier years ({_span(years[years != this_year])}): {len(before)}": before,
            }
    span = _span(years)
    return {f"Sightings{f' ({span})' if span else ''}: {len(valid)}": valid} if len(valid) else {}


def map_intro(
    sightings: pd.DataFrame, *, this_year: int | None = None, window: str = "", units: str = "F"
) -> Html:
    """What the map shows, in words fitted to the data: how many sightings from which years, whether any is from
    this year (and that those are the larger circles), what a popup holds (the observer and licence only when the
    records have them), and what the layers are."""
    valid = sightings.dropna(subset=["latitude", "longitude"]) if len(sightings) else sightings
    if valid.empty:
        return Html(f"<p>{esc(NO_SIGHTINGS)}</p>")
    years = _years(valid)
    n_species = len(_species_counts(valid))
    when_txt = f" on {window}" if window else " around this date"
    said = [
        f"Each circle is one research-grade iNaturalist sighting{when_txt} in any year: "
        f"{plural(len(valid), 'sighting')} of {plural(n_species, 'species', 'species')} from {_span(years)}."
    ]
    if this_year is not None:
        now = int((years == this_year).sum())
        said.append(
            f"{plural(now, 'is', 'are')} from {this_year}: the larger circles."
            if now
            else f"None is from {this_year} yet."
        )
    grey = n_species > len(MAP_COLORS)
    said.append(f"Colours stand for species (legend under the map{'; grey: the less-seen ones' if grey else ''}).")
    has = [w for w, col in (("the observer", "user_login"), ("the licence", "license"))
           if col in valid and valid[col].notna().any()]  # fmt: skip
    popup = ["the photo" if "photo_url" in valid and valid["photo_url"].notna().any() else "", "the date", *has,
             "the weather that day at that spot"]  # fmt: skip
    said.append(f"Click a circle for {names(p for p in popup if p)}.")
    groups = list(layer_groups(valid, this_year))
    layers = names([*(f"“{g.split(':')[0]}”" for g in groups), "a heat map of where sightings cluster",
                    "the place with its search radius"])  # fmt: skip
    said.append(f"The layer button (top right) switches {layers} on and off.")
    said.append(
        "Clusters show where people look (parks, trails, towns) as much as where butterflies are; some "
        "coordinates are blurred by iNaturalist (their popups say so)."
    )
    return Html("<p>" + esc(" ".join(said)) + "</p>")


def sightings_map(
    sightings: pd.DataFrame,
    *,
    center: tuple[float, float] | None = None,
    zoom: int = 8,
    units: str = "F",
    this_year: int | None = None,
    weather_kind: str = "observed",
    height: str = "480px",
    empty_note: str = NO_SIGHTINGS,
    place_name: str = "",
    radius_km: float | None = None,
) -> ipyleaflet.Map:
    """An interactive map of ``sightings``: one CircleMarker per sighting coloured by species
    (``species_colors``), with a popup; layers for this year and earlier years (only those with sightings; this
    year's circles larger), a heat map of all sightings, the place (``center``, ``place_name``) with a dashed
    ring of ``radius_km``; a layer control and a scale. The legend goes under the map (``map_legend``).
    ``weather_kind`` ("derived" when the weather frame's provenance says so) is shown in every popup's weather
    line. With no sighting to place, the map is drawn empty around ``center`` with ``empty_note`` on it."""
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
        scroll_wheel_zoom=False,
        layout=ipywidgets.Layout(height=height, width="100%"),
    )
    m.layers[0].name = BASE_LAYER_NAME
    colors = species_colors(valid)
    if len(valid):
        locations = np.column_stack(
            [valid["latitude"].to_numpy(float), valid["longitude"].to_numpy(float), np.ones(len(valid))]
        ).tolist()
        m.add(
            ipyleaflet.Heatmap(
                locations=locations, radius=18, blur=12, max=3.0, name=f"Heat map ({len(valid)} sightings)"
            )
        )
    groups = layer_groups(valid, this_year)
    for name, part in groups.items():
        big = this_year is not None and name.startswith("Sightings this year")
        markers = [
            ipyleaflet.CircleMarker(
                location=(float(r["latitude"]), float(r["longitude"])),
                radius=8 if big else 5,
                color="#222222",
                weight=2 if big else 1,
                fill_color=colors.get(str(r.get("scientific_name")), OTHER_COLOR),
                fill_opacity=0.85,
                popup=ipywidgets.HTML(value=popup_html(r, units)),
            )
            for r in part.to_dict("records")
        ]
        m.add(ipyleaflet.LayerGroup(layers=markers, name=esc(name)))
    if place_name or radius_km:  # last, so it stays visible; unfilled, so the sightings under it can be tapped
        ring = []
        if radius_km:
            ring.append(
                ipyleaflet.Circle(
                    location=center, radius=int(radius_km * 1000), color="#333333", weight=2, fill=False,
                    dash_array="6 6",
                )  # fmt: skip
            )
        ring.append(
            ipyleaflet.CircleMarker(
                location=center, radius=10, color="#000000", weight=3, fill=False,
                popup=ipywidgets.HTML(
                    value=f"<b>{esc(place_name or 'The place')}</b>"
                    + (f"<br>Sightings are searched within {esc(f'{radius_km:g}')} km (dashed ring)." if radius_km else "")
                ),
            )  # fmt: skip
        )
        m.add(ipyleaflet.LayerGroup(layers=ring, name=esc(f"{place_name or 'Place'} and its radius")))
    if valid.empty:
        note = ipywidgets.HTML(value=f'<p class="bp-map-empty" style="margin:4px 8px;max-width:260px">{esc(empty_note)}</p>')
        m.add(ipyleaflet.WidgetControl(widget=note, position="topright"))
    m.add(ipyleaflet.LayersControl(position="topright", collapsed=True))
    m.add(ipyleaflet.ScaleControl(position="bottomright", imperial=units == "F"))
    return m
