"""The emergence page's figures and tables: flight windows this year, what the record holds and where its gaps
are, the hindcast's differences with their intervals, and the windows and hindcast tables.

Look here to change how the emergence page shows its results. Inputs are ``pages.emergence`` results: the window
rows (``window_rows``), the phenology's gaps, sightings and skill. Every figure draws at phone width with units
on its axes and its sources in a caption, and says "DERIVED" inside when its data is (the offline demo's sample
and its stand-ins are); every table escapes its text (``tables.html_table``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import cast

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from butterfly_lib.analysis.phenology.censoring import date_to_doy
from butterfly_lib.analysis.phenology.skill import ALL
from butterfly_lib.pages.species import taxon_url
from butterfly_lib.presentation.safe import Html, esc
from butterfly_lib.presentation.style import (
    COOL,
    NORMAL,
    WARM,
    caption,
    house_style,
    kinds_of,
    new_figure,
    source_line,
    stamp,
)
from butterfly_lib.presentation.tables import html_table
from butterfly_lib.provenance import Provenance

STATUS_COLORS = {
    "flying now": "#2ca02c",
    "expected soon": "#ff7f0e",
    "later": COOL,
    "between broods": "#9467bd",
    "overwintering": "#8c564b",
    "late in season": "#bcbd22",
    "season over": NORMAL,
}
GAP_COLOR = "#bbbbbb"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _stamp(ax: Axes, provs: Sequence[Provenance | None], what: str) -> None:
    kinds = kinds_of(provs)
    if "simulated" in kinds:
        stamp(ax, "simulated", f"SIMULATED {what}")
    elif "derived" in kinds:
        stamp(ax, "derived", f"DERIVED {what}")


def _num(values: pd.Series | Sequence) -> np.ndarray:
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Index(values)))
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    out = np.full(len(idx), np.nan)
    ok = ~idx.isna()
    out[ok] = mdates.date2num(idx[ok].to_pydatetime())
    return out


def month_span(flight_months: str) -> str:
    """``"2-10"`` -> ``"Feb–Oct"`` (the species table's flight months)."""
    try:
        a, b = (int(x) for x in str(flight_months).split("-"))
        return f"{MONTHS[a - 1]}–{MONTHS[b - 1]}"
    except (ValueError, IndexError):
        return str(flight_months)


def never_sampled_this_year(gaps: pd.DataFrame, year: int) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The never-sampled and recurring gaps of the record as spans of ``year`` (from the latest season that has
    them), for shading a calendar of this year."""
    if gaps is None or not len(gaps):
        return []
    every = gaps[gaps["kind"].isin(["never sampled", "recurring gap"])]
    if not len(every):
        return []
    last = int(every["start"].dt.year.max())
    ref = every[every["start"].dt.year >= last - 1]
    spans = []
    for s, e in zip(pd.DatetimeIndex(ref["start"]), pd.DatetimeIndex(ref["end"]), strict=True):
        shift = year - s.year
        a = s + pd.DateOffset(years=shift)
        b = e + pd.DateOffset(years=shift)
        spans.append((a, b))
    return spans


@house_style
def flight_windows(
    rows: pd.DataFrame,
    as_of: date | pd.Timestamp,
    *,
    gaps: pd.DataFrame | None = None,
    max_rows: int = 30,
    sources: Sequence[Provenance | None] = (),
) -> Figure:
    """Each species' (and brood's) window this year: a bar from onset (10 %) to end (90 %) coloured by its status
    today, the peak (50 %) marked, a thin line from the earliest opening to the latest end, "?" where a date is
    censored (not known), grey shading where the record never samples. ``rows``: ``pages.emergence.window_rows``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    w = rows.sort_values("start", kind="stable", na_position="last").head(max_rows).reset_index(drop=True)
    n = len(w)
    fig, axes = new_figure(figsize=(7.0, 1.6 + 0.36 * max(n, 1)))
    ax = cast(Axes, axes)
    year = as_of.year
    for a, b in never_sampled_this_year(gaps, year) if gaps is not None else []:
        ax.axvspan(mdates.date2num(a.to_pydatetime()), mdates.date2num(b.to_pydatetime()) + 1, color=GAP_COLOR,
                   alpha=0.35, lw=0, zorder=0)  # fmt: skip
    y = np.arange(n)[::-1]
    names = []
    for c, s, b, nb, m in zip(w["common_name"], w["scientific_name"], w["brood"], w["n_broods"], w["method"], strict=True):
        label = str(c) if isinstance(c, str) and c else str(s)
        label = label if len(label) <= 22 else label[:21] + "…"
        if int(nb) > 1:
            label += f" ({int(b)}/{int(nb)})"
        if m == "calendar":
            label += " ◷"
        names.append(label)
    colors = [STATUS_COLORS.get(s, COOL) for s in w["status"]]
    s0, s1 = _num(w["start"]), _num(w["end"])
    e0, e1 = _num(w["start_earliest"]), _num(w["end_latest"])
    e0 = np.fmin(e0, s0)
    e1 = np.fmax(e1, s1)
    ax.hlines(y, e0, e1, color="black", lw=0.8, alpha=0.7, zorder=2)
    censored = w["censored"].astype(str)
    solid = [0.85 if not c else 0.4 for c in censored]
    for yi, a, b, col, alpha in zip(y, s0, s1, colors, solid, strict=True):
        if np.isfinite(a) and np.isfinite(b):
            ax.hlines(yi, a, b, color=col, lw=7, alpha=alpha, zorder=3)
    peaks = _num(w["peak"])
    for yi, pk, c in zip(y, peaks, censored, strict=True):
        if np.isfinite(pk):
            ax.plot([pk], [yi], marker="|" if "peak" not in c else "$?$", color="black", ms=11, mew=2, zorder=4)
    for yi, a, b, c in zip(y, s0, s1, censored, strict=True):
        if "onset" in c and np.isfinite(a):
            ax.text(a, yi, "?", ha="right", va="center", fontsize=11, fontweight="bold", color="#444", zorder=5)
        if "end" in c and np.isfinite(b):
            ax.text(b, yi, "?", ha="left", va="center", fontsize=11, fontweight="bold", color="#444", zorder=5)
    ax.axvline(mdates.date2num(as_of.to_pydatetime()), color=WARM, lw=1.5, zorder=5)
    ax.set_yticks(y, names, fontsize=9)
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    ax.tick_params(axis="x", labelsize=9)
    ax.set_xlim(mdates.date2num(pd.Timestamp(year, 1, 1)), mdates.date2num(pd.Timestamp(year, 12, 31)))
    ax.set_xlabel(f"date in {year} (red line: {as_of:%b} {as_of.day})", fontsize=11)
    ax.set_title("Flight windows this year: onset (10 %) to end (90 %), | = peak", fontsize=11)
    if not n:
        ax.text(0.5, 0.5, "no species has enough past sightings here for a window", transform=ax.transAxes,
                ha="center", va="center")  # fmt: skip
    present = [s for s in STATUS_COLORS if s in set(w["status"])]
    handles: list = [Line2D([], [], color=STATUS_COLORS[s], lw=6, alpha=0.85) for s in present]
    labels = list(present)
    handles += [Line2D([], [], color="black", lw=0.8), Line2D([], [], color="black", ls="", marker="$?$", ms=9)]
    labels += ["earliest opening – latest end", "not known (censored)"]
    if gaps is not None and never_sampled_this_year(gaps, year):
        handles.append(Patch(color=GAP_COLOR, alpha=0.35))
        labels.append("never sampled by the record")
    fig.legend(handles, labels, loc="outside upper center", ncol=3, fontsize=8, frameon=False)
    _stamp(ax, sources, "sample")
    caption(fig, source_line(sources, "Source: iNaturalist record × degree days (see provenance)")
            + ". ◷ = calendar window (adult overwinterer or migrant)")  # fmt: skip
    return fig


@house_style
def record_coverage(
    sightings: pd.DataFrame, gaps: pd.DataFrame | None = None, *, sources: Sequence[Provenance | None] = ()
) -> Figure:
    """What the record holds: sightings per week of the year over all past seasons (bars, one colour per group
    of seasons) with the stretches the record never samples shaded, and sightings per season (right).
    ``sightings``: the phenology's past sightings (``observed_on``)."""
    days = pd.DatetimeIndex(pd.to_datetime(pd.Index(sightings["observed_on"])))
    fig, axes = new_figure(figsize=(7.0, 3.6), ncols=2, gridspec_kw={"width_ratios": [2.2, 1]})
    a1, a2 = cast(Sequence[Axes], axes)
    week = np.minimum((date_to_doy(days).astype(int) - 1) // 7, 51) if len(days) else np.array([], int)
    counts = np.bincount(week, minlength=52)[:52]
    if gaps is not None and len(gaps):
        every = gaps[gaps["kind"].isin(["never sampled", "recurring gap"])]
        blocked = np.zeros(52, bool)
        for s, e in zip(pd.DatetimeIndex(every["start"]), pd.DatetimeIndex(every["end"]), strict=True):
            d = date_to_doy(pd.date_range(s, e)).astype(int)
            blocked[np.minimum((d - 1) // 7, 51)] = True
        for k in np.flatnonzero(blocked):
            a1.axvspan(k + 0.5, k + 1.5, color=GAP_COLOR, alpha=0.35, lw=0)
    a1.bar(np.arange(1, 53), counts, color=COOL, width=0.9)
    a1.set_xticks([1 + 52 * (m / 12) for m in range(12)], [m[0] for m in MONTHS])
    a1.set_xlabel("week of the year", fontsize=10)
    a1.set_ylabel("sightings, all past seasons", fontsize=10)
    a1.set_title("When the record has sightings", fontsize=11)
    per_year = pd.Series(days.year).value_counts().sort_index() if len(days) else pd.Series(dtype=int)
    a2.bar(per_year.index, per_year.to_numpy(), color=NORMAL, width=0.8)
    a2.set_xlabel("season", fontsize=10)
    a2.set_title("Sightings per season", fontsize=11)
    a2.tick_params(axis="x", labelsize=8, rotation=45)
    handles = [Patch(color=GAP_COLOR, alpha=0.35)]
    fig.legend(handles, ["never sampled, or thin every year"], loc="outside upper center", fontsize=8, frameon=False)
    _stamp(a1, sources, "sample")
    caption(fig, source_line(sources, "Source: iNaturalist record (see provenance)"))
    return fig


def hindcast_intervals(
    skill: pd.DataFrame, *, max_species: int = 20, sources: Sequence[Provenance | None] = ()
) -> Figure | None:
    """How many days closer degree days come than the calendar (calendar error − degree-day error; right of 0:
    degree days better), with the 95 % bootstrap interval, per species and over all species, for the onset and
    the median. ``skill``: ``phenology.skill_summary`` output. None when there is no hindcast (the page says
    why in words)."""
    return _hindcast_figure(skill, max_species, list(sources)) if len(skill) else None


@house_style
def _hindcast_figure(skill: pd.DataFrame, max_species: int, sources: list[Provenance | None]) -> Figure:
    fig, axes = new_figure(figsize=(7.0, 2.0 + 0.32 * max(min(len(skill), max_species), 1)))
    ax = cast(Axes, axes)
    per = skill[skill["scientific_name"] != ALL].sort_values("n_years", ascending=False, kind="stable")
    keep = per.drop_duplicates(["scientific_name", "brood"]).head(max_species)[["scientific_name", "brood"]]
    per = per.merge(keep, on=["scientific_name", "brood"])
    rows = pd.concat([per, skill[skill["scientific_name"] == ALL]], ignore_index=True)
    labels = []
    for _, r in rows.iterrows():
        name = "ALL SPECIES" if r["scientific_name"] == ALL else (r["common_name"] or r["scientific_name"])
        labels.append(f"{name} ({'onset' if r['target'] == 10 else 'median'}, {int(r['n_years'])})")
    y = np.arange(len(rows))[::-1]
    d = rows["difference_days"].to_numpy(float)
    lo = rows["difference_low"].to_numpy(float)
    hi = rows["difference_high"].to_numpy(float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    ax.hlines(y[ok], lo[ok], hi[ok], color="black", lw=1.5)
    colors = [WARM if (a > 0) else (NORMAL if not (b < 0) else COOL) for a, b in zip(lo, hi, strict=True)]
    ax.scatter(d, y, color=colors, zorder=3, s=30)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_xlabel("days closer with degree days than with the calendar (95 % interval)", fontsize=10)
    ax.set_title("Hindcast, each past season left out (n species-seasons)", fontsize=11)
    legend = [Line2D([], [], color=c, marker="o", ls="") for c in (WARM, NORMAL, COOL)]
    fig.legend(legend, ["degree days better", "not distinguishable", "calendar better"], loc="outside upper center",
               ncol=3, fontsize=8, frameon=False)  # fmt: skip
    _stamp(ax, sources, "sample")
    caption(fig, source_line(sources, "Source: iNaturalist record × degree days (see provenance)"))
    return fig


def _name(rows: pd.DataFrame) -> list[str]:
    return [c if isinstance(c, str) and c else s for c, s in zip(rows["common_name"], rows["scientific_name"], strict=True)]


def windows_table(rows: pd.DataFrame, *, caption: str = "", label: str = "") -> Html:
    """The windows, narrow enough for a phone: species (linked), its status today, method, brood, onset / peak /
    end this year (ranges; "not known" where censored) and the sample behind it. Why a date is not known, and what
    the species table says, are in ``windows_notes``."""
    t = rows.copy()
    t["name"] = _name(t)
    t["url"] = [taxon_url(v) for v in t["taxon_id"]]
    t["brood_text"] = [
        (f"{int(b)} of {int(nb)}" if int(nb) > 1 else ("several, not separated" if "several broods" in str(note) else "one"))
        for b, nb, note in zip(t["brood"], t["n_broods"], t["brood_note"], strict=True)
    ]  # fmt: skip
    t["sample"] = [
        f"{int(n)} sightings, {int(y)} seasons (effective {e:.0f})"
        for n, y, e in zip(t["n"], t["n_years"], t["n_eff"], strict=True)
    ]
    return html_table(
        t,
        {
            "name": "species",
            "status": "today",
            "method": "by",
            "brood_text": "brood",
            "onset": "onset (10 %)",
            "peak_text": "peak (50 %)",
            "end_text": "end (90 %)",
            "sample": "sample",
        },
        links={"name": "url"},
        caption=caption,
        label=label,
        table_id="emergence-table",
    )


def windows_notes(rows: pd.DataFrame) -> Html:
    """Per window, in words: what is not known and why (censoring), whether it was widened, and what the species
    table says (flight months, note, sources, whether it was checked against a public account). Escaped."""
    items = []
    checked = rows["traits_checked"] if "traits_checked" in rows else pd.Series(True, index=rows.index)
    for (_, r), ok in zip(rows.iterrows(), checked, strict=True):
        name = esc(_name(r.to_frame().T)[0])
        brood = f" (brood {int(r['brood'])} of {int(r['n_broods'])})" if int(r["n_broods"]) > 1 else ""
        parts = []
        if r["censor_reason"]:
            parts.append(f"<b>not known:</b> {esc(r['censor_reason'])}")
        if r["widened"]:
            parts.append("widened to 7 days (a shorter window is not credible from sightings)")
        if r["brood_note"]:
            parts.append(esc(r["brood_note"]))
        facts = "; ".join(x for x in (f"flies {month_span(r['flight_months'])}" if r["flight_months"] else "",
                                      r["species_note"], r["sources"],
                                      "" if ok else "not yet checked against a public account") if x)  # fmt: skip
        if facts:
            parts.append(f"<i>species table:</i> {esc(facts)}")
        items.append(f"<li><b>{name}</b>{esc(brood)}: {'. '.join(parts) or 'every date known'}.</li>")
    return Html(f'<ul class="bp-window-notes">{"".join(items)}</ul>')


def statuses_table(statuses: pd.DataFrame, *, caption: str = "", label: str = "") -> Html:
    """One row per species: its status today in a few words and when it was last seen here this season (the same
    statuses the species page shows; the full text of what each rests on is in ``emergence-statuses.csv``)."""
    t = statuses.copy()
    t["name"] = _name(t)
    t["url"] = [taxon_url(v) for v in t["taxon_id"]]
    t["head"] = [str(x).split(" — ")[0] for x in t["status_text"]]
    t["seen"] = ["" if pd.isna(d) else f"{pd.Timestamp(d):%b} {pd.Timestamp(d).day}" for d in t["last_seen"]]
    return html_table(
        t, {"name": "species", "head": "today", "seen": "last seen here this season"}, links={"name": "url"},
        caption=caption, label=label, table_id="emergence-status-table",
    )  # fmt: skip


def hindcast_table(skill: pd.DataFrame, *, caption: str = "", label: str = "") -> Html:
    """The hindcast: per species and target, mean absolute errors of degree days and calendar, the difference
    with its 95 % bootstrap interval, and the verdict in words; the all-species rows last. Empty when there is no
    hindcast (the page says why in words)."""
    if not len(skill):
        return Html("")
    t = skill.copy()
    t["name"] = np.where(t["scientific_name"] == ALL, "ALL SPECIES", t["common_name"].fillna("").astype(str))
    t["what"] = np.where(t["target"] == 10, "onset (10 %)", "median")
    t["interval"] = [
        "" if not (np.isfinite(a) and np.isfinite(b)) else f"{a:+.1f} to {b:+.1f}"
        for a, b in zip(t["difference_low"], t["difference_high"], strict=True)
    ]
    return html_table(
        t,
        {
            "name": "species",
            "what": "target",
            "n_years": "seasons",
            "dd_mae_days": "degree days off by (days)",
            "calendar_mae_days": "calendar off by (days)",
            "difference_days": "difference (days)",
            "interval": "95 % interval",
            "verdict": "verdict",
        },
        formats={"dd_mae_days": "{:.1f}", "calendar_mae_days": "{:.1f}", "difference_days": "{:+.1f}"},
        caption=caption,
        label=label,
        table_id="hindcast-table",
    )


__all__ = ["STATUS_COLORS", "flight_windows", "hindcast_intervals", "hindcast_table", "month_span", "never_sampled_this_year",
           "record_coverage", "statuses_table", "windows_notes", "windows_table"]  # fmt: skip
