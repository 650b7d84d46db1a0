"""Matplotlib figures for the pages: season curve, 15-minute sunshine, 16-day outlook, flight windows,
hindcast skill.

Look here to change a chart. Every builder is pure (frames in, ``Figure`` out, no fetching), draws at phone
width (``style.FIGSIZE``) with large fonts, puts units on every axis and the data sources in a caption, and
stamps "SIMULATED ..." / "DERIVED ..." inside the figure whenever the data it shows is not observed (read from
the frames' provenance). Inputs are the frames ``butterfly_lib.sources`` and ``butterfly_lib.analysis`` return;
each docstring names the columns it reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from butterfly_lib.analysis.degree_days.accumulate import season_calendar
from butterfly_lib.presentation.style import (
    COOL,
    NORMAL,
    SUN,
    WARM,
    caption,
    house_style,
    kinds_of,
    new_figure,
    source_line,
    stamp,
)
from butterfly_lib.provenance import Provenance, provenance_of

MONTH_STARTS = np.array([1, 32, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335])
MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def month_ticks(season_start: str = "01-01") -> tuple[np.ndarray, list[str]]:
    """Season days (1..365) on which each month starts, in season order, with the months' names."""
    _, sday, _ = season_calendar(pd.DatetimeIndex([pd.Timestamp(2001, m, 1) for m in range(1, 13)]), season_start)
    order = np.argsort(sday)
    return sday[order], [MONTH_NAMES[i] for i in order]


def season_words(season_start: str = "01-01") -> tuple[str, str]:
    """The season's first and last day in words: ("1 January", "31 December"), ("1 July", "30 June")."""
    first = pd.Timestamp(f"2001-{season_start}") if season_start != "02-29" else pd.Timestamp("2001-03-01")
    last = first - pd.Timedelta(days=1)
    return f"{first.day} {first:%B}", f"{last.day} {last:%B}"


def season_name(label: int, season_start: str = "01-01") -> str:
    """A season's name: its year when it starts on 1 January ("2026"), else both years ("2025–26")."""
    return str(label) if season_start == "01-01" else f"{label}–{(label + 1) % 100:02d}"


def to_units(celsius: pd.Series | np.ndarray, units: str) -> np.ndarray:
    """°C values in the page's units (``"F"`` or ``"C"``)."""
    c = np.asarray(celsius, dtype=float)
    return c * 9.0 / 5.0 + 32.0 if units == "F" else c


def _stamp_kinds(ax, provs: Sequence[Provenance | None], what: str = "") -> None:
    kinds = kinds_of(provs)
    if "simulated" in kinds:
        stamp(ax, "simulated", f"SIMULATED {what}".strip())
    elif "derived" in kinds:
        stamp(ax, "derived", f"DERIVED {what}".strip())


def _naive(series: pd.Series) -> tuple[pd.DatetimeIndex, np.ndarray]:
    idx = pd.DatetimeIndex(series.index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx.normalize(), series.to_numpy(dtype=float)


def _dd_unit(units: str) -> str:
    return f"°{units}·days"


@house_style
def season_curve(
    cum: pd.Series,
    normals: pd.DataFrame,
    as_of: date | pd.Timestamp,
    *,
    units: str = "F",
    lower: float | None = None,
    method: str = "",
    last_year: pd.Series | None = None,
    forecast: pd.Series | None = None,
    sources: Sequence[Provenance | None] = (),
    season_start: str = "01-01",
) -> Figure:
    """This season's cumulative degree days against the normal band, on the season's days from
    ``season_start`` ("MM-DD": 1 January, or 1 July south of the equator).

    ``cum``: ``cum_dd`` on a DatetimeIndex (``analysis.degree_days.accumulate``), drawn up to ``as_of``;
    ``forecast``: optional continuation after ``as_of`` (e.g. from the 16-day forecast), drawn dotted. ``normals``: index season day 1..365, columns ``mean``, ``p10``,
    ``p90`` (``analysis.degree_days.normals``; ``attrs["period"]`` names the years). ``last_year``: optional
    earlier season for comparison. A marker shows ``as_of``.
    """
    fig, ax = new_figure()
    as_of = pd.Timestamp(as_of).normalize()
    doy = np.asarray(normals.index, dtype=int)
    period = normals.attrs.get("period")
    label = f"normal {period[0]}–{period[1]}" if period else "normal"
    ax.fill_between(
        doy,
        normals["p10"],
        normals["p90"],
        color=NORMAL,
        alpha=0.25,
        lw=0,
        label=f"{label}: 10th–90th percentile",
    )
    ax.plot(doy, normals["mean"], color=NORMAL, lw=1.5, ls="--", label=f"{label}: mean")
    (this,), _, _ = season_calendar(pd.DatetimeIndex([as_of]), season_start)
    idx, values = _naive(cum)
    seasons, sday, _ = season_calendar(idx, season_start)
    keep = (seasons == this) & (idx <= as_of)
    idx, values, sday = idx[keep], values[keep], sday[keep]
    ax.plot(sday, values, color=WARM, lw=2.5, label=season_name(this, season_start))
    if forecast is not None and len(forecast):
        f_idx, f_val = _naive(forecast)
        f_label, f_day, _ = season_calendar(f_idx, season_start)
        ahead = (f_idx >= as_of) & (f_label == this)
        ax.plot(f_day[ahead], f_val[ahead], color=WARM, lw=2, ls=":", label=f"{season_name(this, season_start)}, forecast")
    if last_year is not None and len(last_year):
        ly_idx, ly_val = _naive(last_year)
        ly_label, ly_day, _ = season_calendar(ly_idx, season_start)
        ax.plot(ly_day, ly_val, color=COOL, lw=1.2, alpha=0.8, label=season_name(int(ly_label[0]), season_start))
    hit = np.flatnonzero(idx == as_of)
    if hit.size:
        x, y = sday[hit[-1]], float(values[hit[-1]])
        ax.axvline(x, color="black", lw=0.8, alpha=0.6)
        ax.plot([x], [y], "o", color=WARM, ms=8, mec="black", zorder=5)
        ax.annotate(
            f"{as_of:%b %d}: {y:,.0f}",
            (x, y),
            xytext=(-8, 10),
            textcoords="offset points",
            ha="right",
            fontsize=11,
            fontweight="bold",
        )
    ax.set_xticks(*month_ticks(season_start))
    ax.set_xlim(1, 365)
    ax.set_ylim(bottom=0)
    first, _ = season_words(season_start)
    ax.set_xlabel("day of the season (month starts)" if season_start != "01-01" else "day of the year (month starts)")
    ax.set_ylabel(f"cumulative degree days ({_dd_unit(units)})")
    base = f" above {lower:g} °{units}" if lower is not None else ""
    ax.set_title(f"Growing degree days{base} since {first}")
    fig.legend(loc="outside upper center", ncol=3, fontsize=9, frameon=False)
    _stamp_kinds(ax, list(sources), "data")
    caption(
        fig, source_line(sources, "Source: see provenance below") + (f" · method: {method}" if method else "")
    )
    return fig


@house_style
def sunshine_timeline(
    minutely: pd.DataFrame, *, days: int = 3, sources: Sequence[Provenance | None] = ()
) -> Figure:
    """Sunshine minutes per quarter hour for the next ``days`` days, one row per day, night shaded.

    ``minutely``: ``time`` (tz-aware local), ``sunshine_min`` (0–15), ``is_day`` (1/0) as
    ``sources.open_meteo.forecast_minutely_15`` returns them.
    """
    frame = minutely.dropna(subset=["time"]).copy()
    local = pd.DatetimeIndex(frame["time"])
    frame["day"] = local.normalize()
    frame["hour"] = (local.hour + local.minute / 60.0).to_numpy()
    day_list = sorted(frame["day"].unique())[:days]
    sources = list(sources) or [provenance_of(minutely)]
    fig, axes = new_figure(
        figsize=(7.0, 1.6 + 1.5 * max(len(day_list), 1)),
        nrows=max(len(day_list), 1),
        sharex=True,
        squeeze=False,
    )
    axes = axes[:, 0]
    for ax, day in zip(axes, day_list, strict=False):
        part = frame[frame["day"] == day]
        night = part["is_day"].fillna(1).to_numpy() == 0 if "is_day" in part else np.zeros(len(part), bool)
        ax.bar(part["hour"] + 0.125, part["sunshine_min"], width=0.25, color=SUN, edgecolor="none")
        ax.bar(part["hour"][night] + 0.125, 15, width=0.25, color="#1b2a49", alpha=0.12, edgecolor="none")
        total = float(part["sunshine_min"].sum()) / 60.0
        ax.set_ylim(0, 15)
        ax.set_yticks([0, 5, 10, 15])
        if part["sunshine_min"].notna().any():
            ax.set_title(f"{pd.Timestamp(day):%a %b %d}: {total:.1f} h of sunshine", fontsize=12, loc="left")
        else:
            ax.set_title(f"{pd.Timestamp(day):%a %b %d}: no 15-minute values", fontsize=12, loc="left")
            ax.text(
                0.5,
                0.5,
                "not available for this day",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="#666666",
                fontsize=11,
            )
    for ax in axes:
        ax.set_ylabel("min", fontsize=11)
    axes[-1].set_xlim(0, 24)
    axes[-1].set_xticks(range(0, 25, 3), [f"{h:02d}:00" for h in range(0, 25, 3)])
    axes[-1].set_xlabel("local time (hours)")
    fig.suptitle("Sunshine per 15 minutes (minutes of sun, 0–15); shaded = night", fontsize=12)
    _stamp_kinds(axes[0], sources, "data")
    caption(fig, source_line(sources, "Source: Open-Meteo forecast, minutely_15 sunshine_duration"))
    return fig


def _ensemble_band(ensemble_q: pd.DataFrame | None, variable: str) -> pd.DataFrame | None:
    if ensemble_q is None or ensemble_q.empty or "variable" not in ensemble_q:
        return None
    part = ensemble_q[ensemble_q["variable"] == variable]
    if part.empty or not {"p10", "p90"} <= set(part.columns):
        return None
    return part.assign(day=pd.DatetimeIndex(part["date"]).tz_localize(None).normalize())


@house_style
def outlook_chart(
    daily: pd.DataFrame,
    *,
    units: str = "F",
    ensemble_q: pd.DataFrame | None = None,
    index: pd.Series | None = None,
    ensemble_source: Provenance | None = None,
    sources: Sequence[Provenance | None] = (),
) -> Figure:
    """The 16-day outlook: sunshine bars (daylight as outline) and high/low temperature lines, with the
    ensemble's 10th–90th percentile band of the daily high when ``ensemble_q`` is given.

    ``daily``: ``date``, ``sunshine_h``, ``daylight_h``, ``tmax_c``, ``tmin_c`` (``forecast_daily``).
    ``ensemble_q``: long frame ``variable, date, p10, p50, p90`` (``ensemble_quantiles``). ``index``: optional
    0–100 viewing index aligned with ``daily`` rows, printed above the bars. ``daily`` may instead be a
    ``viewing_index``/``daily_outlook`` frame: its ``tmax_c_p10``/``tmax_c_p90`` give the band and its
    ``viewing_index`` the numbers; then pass the ensemble's provenance as ``ensemble_source``.
    """
    days = pd.DatetimeIndex(daily["date"])
    days = days.tz_localize(None) if days.tz is not None else days
    x = mdates.date2num(days.normalize().to_pydatetime())
    sources = list(sources) or [provenance_of(daily)]
    fig, ax = new_figure(figsize=(7.0, 4.4))
    if "daylight_h" in daily:
        ax.bar(x, daily["daylight_h"], width=0.8, color="none", edgecolor="#bbbbbb", label="daylight (h)")
    ax.bar(x, daily["sunshine_h"], width=0.8, color=SUN, alpha=0.9, label="sunshine (h)")
    top = float(np.nanmax(daily.get("daylight_h", daily["sunshine_h"]))) if len(daily) else 16.0
    ax.set_ylim(0, max(top, 1.0) * 1.18)
    ax.set_ylabel("sunshine (hours per day)")
    if index is None and "viewing_index" in daily:
        index = daily["viewing_index"]
    if ensemble_q is None and {"tmax_c_p10", "tmax_c_p90"} <= set(daily.columns):
        ensemble_q = pd.DataFrame(
            {
                "variable": "tmax_c",
                "date": daily["date"],
                "p10": daily["tmax_c_p10"],
                "p90": daily["tmax_c_p90"],
            }
        ).dropna(subset=["p10", "p90"])
        if ensemble_source is not None:
            ensemble_q.attrs["provenance"] = ensemble_source
    if index is not None:
        for xi, v, h in zip(
            x, np.asarray(index, dtype=float), daily["sunshine_h"].to_numpy(float), strict=True
        ):
            if np.isfinite(v):
                ax.text(
                    xi,
                    (h if np.isfinite(h) else 0) + 0.3,
                    f"{v:.0f}",
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color="#333333",
                )
    t = ax.twinx()
    t.spines["right"].set_visible(True)
    t.grid(False)
    band = _ensemble_band(ensemble_q, "tmax_c")
    ens_provs = [ensemble_source or provenance_of(ensemble_q)] if ensemble_q is not None else []
    if band is not None:
        bx = mdates.date2num(band["day"].dt.to_pydatetime() if hasattr(band["day"], "dt") else band["day"])
        ens_kind = "simulated" if any(p and p.kind == "simulated" for p in ens_provs) else "ensemble"
        t.fill_between(
            bx,
            to_units(band["p10"], units),
            to_units(band["p90"], units),
            color=WARM,
            alpha=0.15,
            lw=0,
            label=f"high, {ens_kind} ensemble 10–90 %",
        )
    t.plot(x, to_units(daily["tmax_c"], units), color=WARM, marker="o", ms=4, lw=2, label=f"high (°{units})")
    t.plot(x, to_units(daily["tmin_c"], units), color=COOL, marker="o", ms=4, lw=2, label=f"low (°{units})")
    t.set_ylabel(f"temperature (°{units})")
    t.tick_params(labelsize=11)
    t.yaxis.label.set_fontsize(12)
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a\n%d"))
    ax.set_xlabel(f"date ({days.min():%b %Y})" if len(days) else "date")
    ax.set_title(
        "Next 16 days: sunshine and temperature"
        + (" (numbers: viewing index 0–100)" if index is not None else ""),
        fontsize=12,
    )
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = t.get_legend_handles_labels()
    ax.legend(
        h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=3, frameon=False, fontsize=9
    )
    if any(p and p.kind == "simulated" for p in ens_provs) and band is not None:
        stamp(ax, "simulated", "SIMULATED ensemble band")
    else:
        _stamp_kinds(ax, sources, "data")
    caption(fig, source_line([*sources, *ens_provs], "Source: Open-Meteo forecast"))
    return fig


def _doy_dates(doy: pd.Series | np.ndarray, year: int) -> np.ndarray:
    """Matplotlib date numbers of 365-day-calendar days of year in ``year``."""
    d = np.asarray(doy, dtype=float)
    base = mdates.date2num(pd.Timestamp(year, 1, 1))
    leap = pd.Timestamp(year, 12, 31).day_of_year == 366
    return base + d - 1 + np.where(leap & (d >= 60), 1, 0)


def _season_dates(doy: pd.Series | np.ndarray, first: pd.Timestamp) -> np.ndarray:
    """Matplotlib date numbers of calendar days of year inside the season starting ``first``."""
    d = np.asarray(doy, dtype=float)
    out = _doy_dates(d, first.year)
    later = out < mdates.date2num(first)  # before the season start: the season's second calendar year
    out[later] = _doy_dates(d[later], first.year + 1)
    return out


def _dates(values: pd.Series) -> np.ndarray:
    idx = pd.DatetimeIndex(values)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    out = np.full(len(idx), np.nan)
    ok = ~idx.isna()
    out[ok] = mdates.date2num(idx[ok].to_pydatetime())
    return out


@house_style
def flight_windows(
    windows: pd.DataFrame,
    as_of: date | pd.Timestamp,
    *,
    profiles: pd.DataFrame | None = None,
    units: str = "F",
    max_species: int = 25,
    sources: Sequence[Provenance | None] = (),
    season_start: str = "01-01",
) -> Figure:
    """Each species' flight window in degree days (left) and as dates this season (right; from
    ``season_start``, "MM-DD").

    ``windows``: ``analysis.emergence_forecast.emergence_windows`` output (``scientific_name, common_name,
    dd_p10, dd_p50, dd_p90, cum_dd_as_of, window_start, window_end, earliest_start, latest_end, status``).
    ``profiles`` (optional, ``emergence_profiles``): adds the historical calendar window ``doy_p10``–``doy_p90``
    in grey behind this year's predicted dates. Species are ordered by ``dd_p10``; at most ``max_species``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    w = windows.sort_values("dd_p10", kind="stable").head(max_species).reset_index(drop=True)
    if profiles is not None and "doy_p10" in profiles:
        w = w.merge(
            profiles[["scientific_name", "doy_p10", "doy_p50", "doy_p90"]], on="scientific_name", how="left"
        )
    n = len(w)
    fig, (a1, a2) = new_figure(
        figsize=(7.0, 1.9 + 0.34 * max(n, 1)), ncols=2, sharey=True, gridspec_kw={"width_ratios": [1, 1]}
    )
    y = np.arange(n)[::-1]
    names = [
        str(c) if isinstance(c, str) and c else str(s)
        for c, s in zip(w["common_name"], w["scientific_name"], strict=True)
    ]
    names = [nm if len(nm) <= 24 else nm[:23] + "…" for nm in names]
    status_color = {
        "flying now": "#2ca02c",
        "expected soon": "#ff7f0e",
        "later": "#1f77b4",
        "season over": "#7f7f7f",
    }
    colors = [status_color.get(s, "#1f77b4") for s in w.get("status", pd.Series(["later"] * n))]
    a1.hlines(y, w["dd_p10"], w["dd_p90"], color=colors, lw=6, alpha=0.55)
    a1.plot(w["dd_p50"], y, "|", color="black", ms=10, mew=2)
    now = float(w["cum_dd_as_of"].iloc[0]) if n and "cum_dd_as_of" in w else np.nan
    if np.isfinite(now):
        a1.axvline(now, color=WARM, lw=1.5)
        a1.annotate(
            f"now {now:,.0f}",
            (now, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, -2),
            textcoords="offset points",
            color=WARM,
            fontsize=9,
            va="top",
        )
    a1.set_yticks(y, names, fontsize=9)
    a1.set_xlabel(f"cumulative degree days ({_dd_unit(units)})", fontsize=11)
    a1.set_title("by degree days\n10th–90th pct, | = median", fontsize=10)
    a1.set_xlim(left=0)
    (this,), _, _ = season_calendar(pd.DatetimeIndex([as_of]), season_start)
    first = pd.Timestamp(f"{this}-{season_start}") if season_start != "02-29" else pd.Timestamp(this, 3, 1)
    last = first + pd.DateOffset(years=1) - pd.Timedelta(days=1)
    if "doy_p10" in w:
        hist0, hist1 = _season_dates(w["doy_p10"], first), _season_dates(w["doy_p90"], first)
        a2.hlines(
            y,
            hist0,
            np.maximum(hist1, hist0),
            color=NORMAL,
            lw=8,
            alpha=0.25,
            label="usual dates (10th–90th pct)",
        )
    e0, e1 = _dates(w["earliest_start"]), _dates(w["latest_end"])
    s0, s1 = _dates(w["window_start"]), _dates(w["window_end"])
    a2.hlines(y, e0, e1, color="black", lw=1, label="earliest start – latest peak")
    a2.hlines(y, s0, s1, color=colors, lw=5, label=f"{season_name(this, season_start)}: opening → peak")
    a2.axvline(mdates.date2num(as_of.to_pydatetime()), color=WARM, lw=1.5)
    a2.xaxis.set_major_locator(mdates.MonthLocator(bymonth=[1, 4, 7, 10]))
    a2.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    a2.set_xlim(mdates.date2num(first), mdates.date2num(last))
    a2.set_xlabel(f"date in {season_name(this, season_start)}", fontsize=11)
    a2.set_title(f"by date ({as_of:%b %d} = red line)", fontsize=10)
    handles, labels = a2.get_legend_handles_labels()
    for status, col in status_color.items():
        handles.append(Line2D([], [], color=col, lw=5, alpha=0.8))
        labels.append(status)
    fig.legend(handles, labels, loc="outside upper center", ncol=3, fontsize=8, frameon=False)
    for ax in (a1, a2):
        ax.tick_params(axis="x", labelsize=9)
    _stamp_kinds(a1, list(sources), "")
    caption(fig, source_line(sources, "Source: iNaturalist sightings × degree days (see provenance)"))
    return fig


@house_style
def hindcast_skill(
    summary: pd.DataFrame, *, max_species: int = 20, sources: Sequence[Provenance | None] = ()
) -> Figure:
    """Mean absolute error (days) of the degree-day prediction against the calendar baseline, per species and
    over all species (``analysis.hindcast.hindcast_summary`` output: ``scientific_name, common_name,
    n_seasons, dd_mae_days, calendar_mae_days``; the last row "(all species)" is the overall figure).
    """
    s = summary.dropna(subset=["dd_mae_days", "calendar_mae_days"])
    overall = s[s["scientific_name"] == "(all species)"]
    per = (
        s[s["scientific_name"] != "(all species)"].sort_values("n_seasons", ascending=False).head(max_species)
    )
    per = per.sort_values("calendar_mae_days", kind="stable")
    rows = pd.concat([per, overall], ignore_index=True)
    n = len(rows)
    fig, ax = new_figure(figsize=(7.0, 1.8 + 0.34 * max(n, 1)))
    y = np.arange(n)[::-1]
    names = [
        ("ALL SPECIES" if sci == "(all species)" else (c if isinstance(c, str) and c else sci)) + f" ({k})"
        for c, sci, k in zip(rows["common_name"], rows["scientific_name"], rows["n_seasons"], strict=True)
    ]
    h = 0.38
    ax.barh(y + h / 2, rows["dd_mae_days"], height=h, color=WARM, label="degree days")
    ax.barh(
        y - h / 2, rows["calendar_mae_days"], height=h, color=NORMAL, label="calendar (same dates every year)"
    )
    ax.set_yticks(y, names, fontsize=9)
    ax.set_xlabel("mean absolute error (days), lower is better", fontsize=11)
    target = summary.attrs.get("target", "")
    what = {"first": "first sighting", "p10": "start of the flight (10th percentile)"}.get(target, "timing")
    ax.set_title(
        f"Hindcast: predicting each season's {what}\nleaving that season out (n seasons)", fontsize=11
    )
    fig.legend(loc="outside upper center", ncol=2, fontsize=9, frameon=False)
    _stamp_kinds(ax, list(sources), "")
    caption(fig, source_line(sources, "Source: iNaturalist sightings × degree days (see provenance)"))
    return fig


@house_style
def station_vs_gridded(
    cum_by_source: dict[str, pd.Series],
    *,
    units: str = "F",
    years: int = 10,
    sources: Sequence[Provenance | None] = (),
    season_start: str = "01-01",
) -> Figure:
    """Season totals of degree days from two (or more) temperature sources side by side, over the last ``years``
    seasons that every source covers completely (``cum_by_source``: name -> ``cum_dd`` series; seasons from
    ``season_start``, "MM-DD")."""
    totals = {}
    for name, cum in cum_by_source.items():
        idx, val = _naive(cum)
        label, sday, _ = season_calendar(idx, season_start)
        # a season counts only when its last day has a value (no partial seasons)
        end = sday == 365  # 29 February shares 28 February's number: the later of the two is the last day
        s = pd.Series(val[end], index=label[end])
        totals[name] = s[~s.index.duplicated(keep="last")].dropna()
    common = sorted(set.intersection(*(set(t.index) for t in totals.values())))[-years:] if totals else []
    fig, ax = new_figure()
    width = 0.8 / max(len(totals), 1)
    palette = [WARM, COOL, NORMAL, SUN]
    for k, (name, t) in enumerate(totals.items()):
        ax.bar(
            np.arange(len(common)) + (k - (len(totals) - 1) / 2) * width,
            t.reindex(common).to_numpy(),
            width=width,
            color=palette[k % 4],
            label=name,
        )
    ax.set_xticks(
        np.arange(len(common)), [season_name(int(y), season_start) for y in common], rotation=45 if len(common) > 6 else 0
    )
    first, last = season_words(season_start)
    ax.set_xlabel(f"season ({first} – {last})")
    ax.set_ylabel(f"degree days in the season ({_dd_unit(units)})")
    ax.set_title("Station vs gridded temperatures: yearly degree days", fontsize=12)
    if not common:
        ax.text(0.5, 0.5, "no complete season in common", transform=ax.transAxes, ha="center")
    fig.legend(loc="outside upper center", ncol=len(totals) or 1, fontsize=9, frameon=False)
    _stamp_kinds(ax, list(sources), "data")
    caption(fig, source_line(sources, "Sources: see provenance below"))
    return fig
