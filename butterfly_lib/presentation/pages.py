"""Page glue the notebooks call: temperatures to this season's degree days, the index-card summaries, and
writing a page's data files next to it.

Look here for what a page writes into ``params.output_dir``: ``<name>-<table>.csv`` for its data,
``<name>-provenance.json`` and ``<name>-summary.json`` (the index cards; keys fixed by the site contract:
degree_days {as_of, cum_dd, normal_mean, diff_dd, days_ahead, percentile_rank, method, units,
partly_derived ("" or the label saying how much of cum_dd stands in for filled days)}; forecast
{best_days}; species {flying_now}; emergence {expected_soon}). No fetching here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from butterfly_lib.analysis.degree_days import season_cum_dd
from butterfly_lib.analysis.emergence import sighting_degree_days
from butterfly_lib.analysis.hindcast import hindcast, hindcast_summary
from butterfly_lib.analysis.real_profiles import noaa_cum_dd, real_emergence_profiles, upstream_as_sightings
from butterfly_lib.analysis.season import Season, season_state
from butterfly_lib.presentation.page_tables import taxon_url
from butterfly_lib.presentation.provenance import provenance_rows
from butterfly_lib.presentation.safe import Html, esc


def season_degree_days(frame: pd.DataFrame, params: Any) -> pd.Series:
    """Cumulative degree days from 1 January of a source's daily frame with the page's thresholds, method,
    cutoff and units (``params``: ``PageParams``); see ``analysis.degree_days.season_cum_dd``."""
    return season_cum_dd(
        frame,
        lower=params.dd_lower,
        upper=params.dd_upper,
        method=params.dd_method,
        cutoff=params.dd_cutoff,
        units=params.units,
    )


def season_for(params: Any, temperatures: pd.DataFrame, forecast: pd.DataFrame) -> Season:
    """``analysis.season.season_state`` with the page's as-of date, thresholds, method, cutoff, units and normals."""
    return season_state(
        temperatures,
        forecast,
        params.as_of_date,
        lower=params.dd_lower,
        upper=params.dd_upper,
        method=params.dd_method,
        cutoff=params.dd_cutoff,
        units=params.units,
        normals_period=(params.normals_start, params.normals_end),
    )


def profiles_for(params: Any, upstream: pd.DataFrame, noaa: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Emergence profiles of the real sightings against the NOAA record with the page's method and thresholds:
    ``(profiles in the page's units, profiles in °F·days as computed, coverage)``."""
    lower_f, upper_f = fahrenheit_thresholds(params)
    profiles_f, coverage = real_emergence_profiles(
        upstream, noaa, lower=lower_f, upper=upper_f, method=params.dd_method, cutoff=params.dd_cutoff
    )
    return profiles_in_units(profiles_f, params.units), profiles_f, coverage


def hindcast_for(params: Any, upstream: pd.DataFrame, noaa: pd.DataFrame) -> pd.DataFrame:
    """Leave-one-season-out skill (degree days against the calendar) of the real sightings on the NOAA record,
    with the page's method and thresholds (``analysis.hindcast``)."""
    lower_f, upper_f = fahrenheit_thresholds(params)
    cum = noaa_cum_dd(noaa, lower=lower_f, upper=upper_f, method=params.dd_method, cutoff=params.dd_cutoff)
    return hindcast_summary(hindcast(sighting_degree_days(upstream_as_sightings(upstream), cum), cum))


def _num(v: Any, digits: int = 1) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, digits) if math.isfinite(f) else None


def degree_days_summary(comparison: Mapping[str, Any], params: Any) -> dict[str, Any]:
    """The degree-days card from ``compare_to_normal``'s dict."""
    return {
        "as_of": pd.Timestamp(comparison["as_of"]).date().isoformat(),
        "cum_dd": _num(comparison["cum_dd"]),
        "normal_mean": _num(comparison["normal_mean"]),
        "diff_dd": _num(comparison["diff_dd"]),
        "days_ahead": _num(comparison["days_ahead"]),
        "percentile_rank": _num(comparison["percentile_rank"]),
        "method": f"{params.dd_method}, {params.dd_cutoff} cutoff, {params.dd_lower:g}–{params.dd_upper:g} °{params.units}",
        "units": f"°{params.units}·days",
        "partly_derived": str((comparison.get("partly_derived") or {}).get("text", "")),
    }


def forecast_summary(scored: pd.DataFrame, top: int = 3) -> dict[str, Any]:
    """The best-days card: the ``top`` days by viewing index (``rank_days``: ties to the nearer, surer day)."""
    from butterfly_lib.analysis.viewing_index import rank_days

    best = rank_days(scored, top=top)
    return {
        "best_days": [
            {"date": pd.Timestamp(d).date().isoformat(), "index": _num(i, 0), "reason": str(r)}
            for d, i, r in zip(best["date"], best["viewing_index"], best["reason"], strict=True)
        ]
    }


def species_summary(rows: pd.DataFrame, top: int = 8) -> dict[str, Any]:
    """The flying-now card: the most-seen species around this week (``species_rows`` or ``species_counts``)."""
    head = rows.sort_values("count", ascending=False, kind="stable").head(top)
    return {
        "flying_now": [
            {
                "common_name": str(c) if isinstance(c, str) else "",
                "scientific_name": str(s),
                "count": int(n),
                "url": taxon_url(t),
            }
            for c, s, n, t in zip(
                head["common_name"], head["scientific_name"], head["count"], head["taxon_id"], strict=True
            )
        ]
    }


def emergence_summary(windows: pd.DataFrame, top: int = 8) -> dict[str, Any]:
    """The expected-soon card: species whose window opens soon, soonest first, then the next ones due later
    (species already flying belong to the flying-now card, not here)."""
    upcoming = windows[windows["status"].isin(["expected soon", "later"])]
    soon = upcoming.assign(_later=upcoming["status"] == "later").sort_values(
        ["_later", "days_until"], kind="stable"
    ).head(top)
    fmt = lambda v: None if pd.isna(v) else pd.Timestamp(v).date().isoformat()  # noqa: E731
    return {
        "expected_soon": [
            {
                "common_name": str(c) if isinstance(c, str) else "",
                "scientific_name": str(s),
                "status": str(st),
                "window_start": fmt(a),
                "window_end": fmt(b),
            }
            for c, s, st, a, b in zip(
                soon["common_name"],
                soon["scientific_name"],
                soon["status"],
                soon["window_start"],
                soon["window_end"],
                strict=True,
            )
        ]
    }


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.attrs = {}
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
    return out


def write_page_data(
    params: Any,
    name: str,
    tables: Mapping[str, pd.DataFrame],
    summary: Mapping[str, Any] | None = None,
    datasets: Mapping[str, Any] | None = None,
) -> Html:
    """Write ``<name>-<key>.csv`` per table, ``<name>-provenance.json`` (each dataset's provenance and the
    page parameters) and ``<name>-summary.json`` into ``params.output_dir``; return a list of links to them."""
    out: Path = params.out
    written: list[str] = []
    for key, frame in tables.items():
        path = out / f"{name}-{key}.csv"
        _plain(frame).to_csv(path, index=False)
        written.append(path.name)
    from butterfly_lib.http import REQUEST_LOG

    prov = {
        "page": name,
        "parameters": params.to_dict(),
        "datasets": provenance_rows(datasets or tables),
        "requests": REQUEST_LOG.rows(),  # this kernel's requests so far, per source (the runner totals them)
    }
    (out / f"{name}-provenance.json").write_text(json.dumps(prov, indent=2, default=str))
    written.append(f"{name}-provenance.json")
    if summary is not None:
        (out / f"{name}-summary.json").write_text(json.dumps(dict(summary), indent=2, default=str))
        written.append(f"{name}-summary.json")
    links = " · ".join(f'<a href="{esc(p)}">{esc(p)}</a>' for p in written)
    return Html(f'<p class="bp-data-files"><b>Data on this page:</b> {links}</p>')


def apply_mode(params: Any) -> tuple[Any, str]:
    """Honour ``params.offline`` and return ``(params, mode in words)``.

    When the run's environment already chose (the runner sets ``BUTTERFLY_OFFLINE``/``BUTTERFLY_SNAPSHOT``),
    that stands. Otherwise ``offline=True`` (a notebook opened in JupyterLab with no network) switches this
    kernel to the bundled snapshot: its cache is seeded and ``as_of`` becomes the snapshot's date, since the
    snapshot holds nothing else. Words: "live", "offline (cache only)" or "offline snapshot <date>".
    """
    import dataclasses
    import os

    from butterfly_lib.http import reset_sessions

    if params.offline and os.environ.get("BUTTERFLY_OFFLINE") != "1":
        from butterfly_lib.snapshot.use import snapshot_environment

        os.environ.update(snapshot_environment(log=lambda _msg: None))
        reset_sessions()
        params = dataclasses.replace(params, as_of=os.environ["BUTTERFLY_AS_OF"])
    snap = os.environ.get("BUTTERFLY_SNAPSHOT", "").strip()
    if snap:
        return params, f"offline snapshot {snap}"
    return params, ("offline (cache only)" if os.environ.get("BUTTERFLY_OFFLINE") == "1" else "live")


DD_COLUMNS = (
    "dd_p10",
    "dd_p50",
    "dd_p90",
    "rel_dd_p10",
    "rel_dd_p50",
    "rel_dd_p90",
    "first_dd_p10",
    "first_dd_p50",
    "first_dd_p90",
)


def fahrenheit_thresholds(params: Any) -> tuple[float, float]:
    """The page's degree-day thresholds in °F (profiles from the NOAA record are computed in °F)."""
    if params.units == "F":
        return float(params.dd_lower), float(params.dd_upper)
    return params.dd_lower * 1.8 + 32.0, params.dd_upper * 1.8 + 32.0


def profiles_in_units(profiles: pd.DataFrame, units: str) -> pd.DataFrame:
    """Emergence profiles computed in °F·days expressed in the page's units. Every degree-day method is linear
    in the temperature scale when the thresholds are converted too, so °C·days = °F·days / 1.8 exactly."""
    if units == "F":
        return profiles
    out = profiles.copy()
    for col in DD_COLUMNS:
        if col in out:
            out[col] = out[col] / 1.8
    return out
