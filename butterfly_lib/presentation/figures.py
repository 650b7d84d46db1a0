"""Matplotlib figures for the pages: season curve, 15-minute sunshine, 16-day outlook, station against grid
(the emergence page's own figures are in ``presentation.emergence``).

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
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from butterfly_lib.analysis.degree_days.accumulate import season_calendar
from butterfly_lib.presentation.chart import describe
from butterfly_lib.presentation.style import (
    COOL,
    NORMAL,
    SMALL,
    SUN,
    WARM,
    WIDTH,
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
    ``forecast``: optional continuation after ``as_of`` (e.g. from the 16-day forecast), drawn dotted. ``normals``:
    index season day 1..365, columns ``mean``, ``p10``, ``p90`` (``analysis.degree_days.normals``;
    ``attrs["period"]`` names the years). ``last_year``: optional earlier season for comparison. A marker shows
    ``as_of``.
    """
    fig, ax = new_figure(figsize=(WIDTH, 4.3))
    as_of = pd.Timestamp(as_of).normalize()
    doy = np.asarray(normals.index, dtype=int)
    period = normals.attrs.get("period")
    label = f"normal {period[0]}–{period[1]}" if period else "normal"
    ax.fill_between(
        doy, normals["p10"], normals["p90"], color=NORMAL, alpha=0.25, lw=0, label=f"{label} (10–90 %)"
    )
    ax.plot(doy, normals["mean"], color=NORMAL, lw=1.5, ls="--", label="normal mean")
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
        ax.plot(f_day[ahead], f_val[ahead], color=WARM, lw=2, ls=":", label="forecast")
    if last_year is not None and len(last_year):
        ly_idx, ly_val = _naive(last_year)
        ly_label, ly_day, _ = season_calendar(ly_idx, season_start)
        ax.plot(ly_day, ly_val, color=COOL, lw=1.2, alpha=0.8, label=season_name(int(ly_label[0]), season_start))
    hit = np.flatnonzero(idx == as_of)
    now = ""
    if hit.size:
        x, y = sday[hit[-1]], float(values[hit[-1]])
        ax.axvline(x, color="black", lw=0.8, alpha=0.6)
        ax.plot([x], [y], "o", color=WARM, ms=8, mec="black", zorder=5)
        ax.annotate(
            f"{as_of:%a} {as_of.day} {as_of:%b}: {y:,.0f}", (x, y), xytext=(-8, 10), textcoords="offset points", ha="right",
            fontsize=SMALL + 1, fontweight="bold",
        )  # fmt: skip
        now = f" On {as_of:%a %d %b} this season stands at {y:,.0f} {_dd_unit(units)}"
        mean = normals["mean"].reindex([int(x)])
        if mean.notna().all():
            now += f" against a normal of {float(mean.iloc[0]):,.0f}."
    ticks, names = month_ticks(season_start)
    ax.set_xticks(ticks[::2], names[::2])
    ax.set_xlim(1, 365)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("month")
    ax.set_ylabel(f"degree days ({_dd_unit(units)})")
    base = f" above {lower:g} °{units}" if lower is not None else ""
    first, _ = season_words(season_start)
    ax.set_title(f"Degree days{base}\nsince {first}")
    fig.legend(loc="outside upper center", ncol=2, fontsize=SMALL, frameon=False)
    _stamp_kinds(ax, list(sources), "data")
    caption(fig, source_line(sources, "Source: see provenance below") + (f" · {method}" if method else ""))
    return describe(
        fig,
        f"Line chart of growing degree days{base} accumulated since {first}, {season_name(this, season_start)} against the "
        f"{label} (mean and 10th–90th percentile band).{now}",
    )


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
        figsize=(WIDTH, 1.5 + 1.45 * max(len(day_list), 1)),
        nrows=max(len(day_list), 1),
        sharex=True,
        squeeze=False,
    )
    axes = axes[:, 0]
    said: list[str] = []
    for ax, day in zip(axes, day_list, strict=False):
        part = frame[frame["day"] == day]
        night = part["is_day"].fillna(1).to_numpy() == 0 if "is_day" in part else np.zeros(len(part), bool)
        ax.bar(part["hour"] + 0.125, part["sunshine_min"], width=0.25, color=SUN, edgecolor="none")
        ax.bar(part["hour"][night] + 0.125, 15, width=0.25, color="#1b2a49", alpha=0.12, edgecolor="none")
        total = float(part["sunshine_min"].sum()) / 60.0
        ax.set_ylim(0, 15)
        ax.set_yticks([0, 15])
        if part["sunshine_min"].notna().any():
            ax.set_title(f"{pd.Timestamp(day):%a %d %b}: {total:.1f} h of sunshine", fontsize=12, loc="left")
            said.append(f"{pd.Timestamp(day):%a %d %b} {total:.1f} hours")
        else:
            ax.set_title(f"{pd.Timestamp(day):%a %d %b}: no 15-minute values", fontsize=12, loc="left")
            said.append(f"{pd.Timestamp(day):%a %d %b} not forecast at this resolution")
            ax.text(
                0.5, 0.5, "not available for this day", transform=ax.transAxes, ha="center", va="center",
                color="#666666", fontsize=SMALL,
            )  # fmt: skip
    for ax in axes:
        ax.set_ylabel("min", fontsize=SMALL)
    axes[-1].set_xlim(0, 24)
    axes[-1].set_xticks(range(0, 25, 6), [f"{h:02d}:00" for h in range(0, 25, 6)])
    axes[-1].set_xlabel("local time")
    fig.suptitle("Minutes of sun per quarter hour (0–15)\nshaded: night", fontsize=12)
    _stamp_kinds(axes[0], sources, "data")
    caption(fig, source_line(sources, "Source: Open-Meteo forecast, minutely_15 sunshine_duration"))
    return describe(fig, "Bar charts of forecast sunshine per quarter hour, one per day: " + "; ".join(said) + ".")


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
    fig, ax = new_figure(figsize=(WIDTH, 4.9))
    if "daylight_h" in daily:
        ax.bar(x, daily["daylight_h"], width=0.8, color="none", edgecolor="#bbbbbb", label="daylight (h)")
    ax.bar(x, daily["sunshine_h"], width=0.8, color=SUN, alpha=0.9, label="sunshine (h)")
    top = float(np.nanmax(daily.get("daylight_h", daily["sunshine_h"]))) if len(daily) else 16.0
    ax.set_ylim(0, max(top, 1.0) * 1.45)
    ax.set_ylabel("sunshine (hours)")
    if index is None and "viewing_index" in daily:
        index = daily["viewing_index"]
    if ensemble_q is None and {"tmax_c_p10", "tmax_c_p90"} <= set(daily.columns):
        ensemble_q = pd.DataFrame(
            {"variable": "tmax_c", "date": daily["date"], "p10": daily["tmax_c_p10"], "p90": daily["tmax_c_p90"]}
        ).dropna(subset=["p10", "p90"])
        if ensemble_source is not None:
            ensemble_q.attrs["provenance"] = ensemble_source
    t = ax.twinx()
    t.spines["right"].set_visible(True)
    t.grid(False)
    band = _ensemble_band(ensemble_q, "tmax_c")
    ens_provs = [ensemble_source or provenance_of(ensemble_q)] if ensemble_q is not None else []
    if band is not None:
        bx = mdates.date2num(band["day"].dt.to_pydatetime() if hasattr(band["day"], "dt") else band["day"])
        ens_kind = "simulated" if any(p and p.kind == "simulated" for p in ens_provs) else "ensemble"
        t.fill_between(
            bx, to_units(band["p10"], units), to_units(band["p90"], units), color=WARM, alpha=0.15, lw=0,
            label=f"high, {ens_kind} ensemble 10–90 %",
        )  # fmt: skip
    t.plot(x, to_units(daily["tmax_c"], units), color=WARM, marker="o", ms=4, lw=2, label=f"high (°{units})")
    t.plot(x, to_units(daily["tmin_c"], units), color=COOL, marker="o", ms=4, lw=2, label=f"low (°{units})")
    t.set_ylabel(f"temperature (°{units})")
    if index is not None:
        # one row just above the daylight bars, drawn on the top axes so the temperature lines never hide it
        row = min(0.98, 1.03 * max(top, 1.0) / ax.get_ylim()[1])
        where = mtransforms.blended_transform_factory(t.transData, t.transAxes)
        for xi, v in zip(x, np.asarray(index, dtype=float), strict=True):
            if np.isfinite(v):
                t.text(
                    xi, row, f"{v:.0f}", transform=where, ha="center", va="bottom", rotation=90,
                    fontsize=SMALL - 1, color="#222222", zorder=6,
                    bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.7},
                )  # fmt: skip
    if len(x):
        ax.set_xlim(x.min() - 0.6, x.max() + 0.6)
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=3))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a\n%d"))
    ax.set_xlabel(f"date ({days.min():%B %Y})" if len(days) else "date")
    ax.set_title(
        "Next 16 days: sunshine and temperature" + ("\n(numbers: viewing index 0–100)" if index is not None else ""),
        fontsize=12,
    )
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = t.get_legend_handles_labels()
    fig.legend(h1 + h2, l1 + l2, loc="outside upper center", ncol=2, frameon=False, fontsize=SMALL)
    if any(p and p.kind == "simulated" for p in ens_provs) and band is not None:
        stamp(ax, "simulated", "SIMULATED ensemble band")
    else:
        _stamp_kinds(ax, sources, "data")
    caption(fig, source_line([*sources, *ens_provs], "Source: Open-Meteo forecast"))
    hi = to_units(daily["tmax_c"], units)
    sun = daily["sunshine_h"].to_numpy(float)
    desc = f"Bar and line chart of the {len(days)}-day forecast"
    if len(days):
        desc += (
            f" from {days.min():%a %d %b} to {days.max():%a %d %b}: sunshine {np.nanmin(sun):.1f} to "
            f"{np.nanmax(sun):.1f} hours a day, highs {np.nanmin(hi):.0f} to {np.nanmax(hi):.0f} °{units}."
        )
    return describe(fig, desc)


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
    ``season_start``, "MM-DD"; names "open-meteo" and "noaa" are shown as "Open-Meteo grid" and "NOAA station")."""
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
    shown = {"open-meteo": "Open-Meteo grid", "noaa": "NOAA station"}
    for k, (name, t) in enumerate(totals.items()):
        ax.bar(
            np.arange(len(common)) + (k - (len(totals) - 1) / 2) * width,
            t.reindex(common).to_numpy(),
            width=width,
            color=palette[k % 4],
            label=shown.get(name, name),
        )
    ticks = [f"'{y % 100:02d}" + (f"–{(y + 1) % 100:02d}" if season_start != "01-01" else "") for y in common]
    ax.set_xticks(np.arange(len(common)), ticks, rotation=45 if season_start != "01-01" and len(common) > 6 else 0)
    first, last = season_words(season_start)
    ax.set_xlabel(f"{'year' if season_start == '01-01' else 'season'} ({first} – {last})")
    ax.set_ylabel(f"degree days ({_dd_unit(units)})")
    ax.set_title("Yearly degree days: station and grid", fontsize=12)
    if not common:
        ax.text(0.5, 0.5, "no complete season in common", transform=ax.transAxes, ha="center")
    fig.legend(loc="outside upper center", ncol=len(totals) or 1, fontsize=SMALL, frameon=False)
    _stamp_kinds(ax, list(sources), "data")
    caption(fig, source_line(sources, "Sources: see provenance below"))
    diffs = ""
    if common and len(totals) == 2:
        a, b = (t.reindex(common).to_numpy(float) for t in totals.values())
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.nanmean(np.abs(a - b) / b) * 100
        diffs = f" The two differ by {rel:.1f} % on average."
    names = " and ".join(shown.get(n, n) for n in totals)
    span = f"{common[0]}–{common[-1]}" if common else "no common years"
    return describe(fig, f"Bar chart of yearly degree days from {names}, {span}.{diffs}")
