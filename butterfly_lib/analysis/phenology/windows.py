"""This season's flight windows (onset to end, peak marked) and each species' one status on the as-of date.

Look here for ``season_windows`` (per species and brood: dates this year from the pooled percentiles and the
season projection, with their uncertainty, sample sizes, censoring and method) and ``species_status`` (per
species: exactly one of ``STATUSES`` and the plain-words text a page shows, saying what it rests on).

Inputs: ``pooled`` from ``estimates.pooled_percentiles``; ``projection`` from
``emergence_forecast.season_projection`` (``date``, ``cum_dd_low``, ``cum_dd_mid``, ``cum_dd_high``, ``part``
and ``attrs["as_of"]``), in the same degree-day units and method as the sightings' ``cum_dd``; the species
table (``traits``); the broods (``broods.detect_broods``) for their notes.

Windows. Degree-day species: the window opens on the day the middle path (observed, then forecast, then the
normal) reaches the 10th percentile, peaks at the 50th and ends at the 90th; the earliest opening is the warm
path reaching the interval's lower bound of the 10th percentile, the latest opening the cool path reaching its
upper bound, and likewise for the peak and the end. Calendar species (adult overwinterers, migrants; ``traits``): the same
percentiles of the day of year, put on this year's dates, the bounds from their intervals. A window is never
shorter than ``min_window_days`` (7): a shorter one is widened around its peak and marked ``widened``.
Every window carries ``n``, ``n_eff``, ``n_years``, censoring per percentile with the reason, and ``method``.

Statuses (``STATUSES``), in this order of precedence:
- ``flying now``: the date is inside a window (start to end);
- ``expected soon``: the next window opens (earliest opening) within ``soon_days`` (14);
- ``between broods``: a window is over and another one is still to come this year;
- ``overwintering``: an adult overwinterer before its first window of the year (hibernating adults fly on
  warm days), or after its last window once its flight months have ended;
- ``later``: the first window of the year opens later;
- ``late in season``: past the last window's end but not past the species' usual flight months (table);
  no species is "season over" before its flight months end;
- ``season over``: past the last window and past the flight months (or none are known).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.analysis.phenology.censoring import doy_to_date
from butterfly_lib.analysis.phenology.estimates import wide
from butterfly_lib.analysis.phenology.traits import flight_months, match_traits, source_text, window_method
from butterfly_lib.errors import InvalidInput

STATUSES = (
    "flying now", "expected soon", "between broods", "overwintering", "later", "late in season", "season over",
)  # fmt: skip
WINDOW_COLUMNS = (
    "scientific_name", "common_name", "taxon_id", "brood", "n_broods", "method", "start", "peak", "end",
    "start_earliest", "start_latest", "peak_earliest", "peak_latest", "end_earliest", "end_latest", "dd_p10", "dd_p50", "dd_p90", "doy_p10",
    "doy_p50", "doy_p90", "n", "n_eff", "n_years", "censored_start", "censored_peak", "censored_end",
    "censor_reason", "widened", "flight_months", "note",
)  # fmt: skip
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _reach(dates: np.ndarray, path: np.ndarray, values: np.ndarray) -> np.ndarray:
    """First date each value is reached along a path (made non-decreasing); NaT if never."""
    p = np.fmax.accumulate(np.nan_to_num(np.asarray(path, dtype=float), nan=-np.inf))
    v = np.asarray(values, dtype=float)
    i = np.searchsorted(p, np.where(np.isfinite(v), v, np.inf), side="left")
    ok = (i < len(p)) & np.isfinite(v)
    out = np.full(v.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    out[ok] = dates[i[ok]]
    return out


def _col(frame: pd.DataFrame, name: str, default=np.nan) -> np.ndarray:  # noqa: ANN001
    return frame[name].to_numpy() if name in frame else np.full(len(frame), default)


def season_windows(
    pooled: pd.DataFrame,
    projection: pd.DataFrame,
    *,
    traits: pd.DataFrame | None = None,
    broods: pd.DataFrame | None = None,
    min_window_days: int = 7,
) -> pd.DataFrame:
    """One row per species and brood (``WINDOW_COLUMNS``); see the module docstring."""
    if int(min_window_days) < 2:
        raise InvalidInput("min_window_days", min_window_days, "a whole number of days >= 2")
    for col in ("date", "cum_dd_low", "cum_dd_mid", "cum_dd_high"):
        if col not in projection.columns:
            raise InvalidInput("projection", list(projection.columns), "season_projection output")
    if pooled.empty:
        return pd.DataFrame(columns=list(WINDOW_COLUMNS))
    w = wide(pooled)
    as_of = pd.Timestamp(projection.attrs.get("as_of", projection["date"].iloc[0]))
    year = int(pd.Timestamp(projection["date"].iloc[0]).year)
    dates = pd.DatetimeIndex(projection["date"]).to_numpy()
    tr = match_traits(w["scientific_name"], traits)
    method = np.array([window_method(r) for _, r in tr.iterrows()], dtype=object)
    dd_ok = np.isfinite(_col(w, "dd_p10").astype(float)) & np.isfinite(_col(w, "dd_p90").astype(float))
    method = np.where((method == "degree days") & ~dd_ok, "calendar", method)
    out = pd.DataFrame({"scientific_name": w["scientific_name"], "common_name": w["common_name"],
                        "taxon_id": w["taxon_id"], "brood": w["brood"].astype(int)})  # fmt: skip
    nb = out.groupby("scientific_name")["brood"].transform("max")
    out["n_broods"] = nb.astype(int)
    out["method"] = method.astype(str)
    paths = {k: projection[f"cum_dd_{k}"].to_numpy(dtype=float) for k in ("low", "mid", "high")}
    f = lambda c: _col(w, c).astype(float)  # noqa: E731
    dd_dates = {
        "start": _reach(dates, paths["mid"], f("dd_p10")),
        "peak": _reach(dates, paths["mid"], f("dd_p50")),
        "end": _reach(dates, paths["mid"], f("dd_p90")),
        "start_earliest": _reach(dates, paths["high"], f("dd_p10_lo")),
        "start_latest": _reach(dates, paths["low"], f("dd_p10_hi")),
        "peak_earliest": _reach(dates, paths["high"], f("dd_p50_lo")),
        "peak_latest": _reach(dates, paths["low"], f("dd_p50_hi")),
        "end_earliest": _reach(dates, paths["high"], f("dd_p90_lo")),
        "end_latest": _reach(dates, paths["low"], f("dd_p90_hi")),
    }
    yrs = np.full(len(w), year)
    cal_dates = {
        "start": doy_to_date(yrs, f("doy_p10")), "peak": doy_to_date(yrs, f("doy_p50")),
        "end": doy_to_date(yrs, f("doy_p90")),
        "start_earliest": doy_to_date(yrs, f("doy_p10_lo")), "start_latest": doy_to_date(yrs, f("doy_p10_hi")),
        "peak_earliest": doy_to_date(yrs, f("doy_p50_lo")), "peak_latest": doy_to_date(yrs, f("doy_p50_hi")),
        "end_earliest": doy_to_date(yrs, f("doy_p90_lo")), "end_latest": doy_to_date(yrs, f("doy_p90_hi")),
    }  # fmt: skip
    cal = method == "calendar"
    for k in dd_dates:
        out[k] = pd.DatetimeIndex(np.where(cal, pd.DatetimeIndex(cal_dates[k]).to_numpy(), dd_dates[k]))
    # never a single day: widen short windows around the peak
    span = (out["end"] - out["start"]).dt.days
    short = span.notna() & (span < int(min_window_days) - 1)
    half = pd.Timedelta(days=(int(min_window_days) - 1) // 2)
    centre = out["peak"].where(out["peak"].notna(), out["start"])
    out.loc[short, "start"] = centre[short] - half
    out.loc[short, "end"] = out.loc[short, "start"] + pd.Timedelta(days=int(min_window_days) - 1)
    out["peak"] = out["peak"].clip(lower=out["start"], upper=out["end"])
    out["widened"] = short.to_numpy()
    for p in (10, 50, 90):
        out[f"dd_p{p}"] = f(f"dd_p{p}")
        out[f"doy_p{p}"] = f(f"doy_p{p}")
    scale = np.where(cal, "doy", "dd")
    pick = lambda a, b: np.where(cal, _col(w, a), _col(w, b))  # noqa: E731
    out["n"] = pick("doy_n", "dd_n")
    out["n_eff"] = pick("doy_n_eff", "dd_n_eff").astype(float)
    out["n_years"] = pick("doy_n_years", "dd_n_years")
    reasons = []
    for i, s in enumerate(scale):
        for label, p in (("start", 10), ("peak", 50), ("end", 90)):
            c = w.get(f"{s}_p{p}_censored")
            out.loc[out.index[i], f"censored_{label}"] = bool(c.iloc[i]) if c is not None and pd.notna(c.iloc[i]) else False
        why = [f"{label}: {w[f'{s}_p{p}_reason'].iloc[i]}" for label, p in (("onset", 10), ("peak", 50), ("end", 90))
               if f"{s}_p{p}_censored" in w and bool(w[f"{s}_p{p}_censored"].iloc[i])]  # fmt: skip
        reasons.append("; ".join(why))
    for label in ("start", "peak", "end"):
        out[f"censored_{label}"] = out[f"censored_{label}"].astype(bool)
    out["censor_reason"] = reasons
    out["flight_months"] = tr["flight_months"].to_numpy()
    notes = {}
    if broods is not None and len(broods):
        notes = dict(zip(broods["scientific_name"], broods["note"], strict=True))
    out["note"] = [notes.get(n, "") for n in out["scientific_name"]]
    out = out[list(WINDOW_COLUMNS)].sort_values(["start", "scientific_name", "brood"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs.update({"as_of": as_of, "year": year, "min_window_days": int(min_window_days)})
    return out


def _d(x) -> str:  # noqa: ANN001
    return "not reached this season" if pd.isna(x) else f"{pd.Timestamp(x):%b} {pd.Timestamp(x).day}"


def _months(text: str) -> str:
    fm = flight_months(text)
    return f"{_MONTHS[fm[0] - 1]}–{_MONTHS[fm[1] - 1]}" if fm else ""


def _rests_on(win: pd.Series, now_dd: float, tr: pd.Series, min_days: int) -> str:
    start = "not known" if win["censored_start"] else _d(win["start"])
    end = "not known" if win["censored_end"] else _d(win["end"])
    peak = "not known" if win["censored_peak"] else _d(win["peak"])
    size = (f"{int(win['n'])} sightings over {int(win['n_years'])} years, effective sample size "
            f"{win['n_eff']:.0f}")  # fmt: skip
    if win["method"] == "degree days":
        base = (f"on degree days: this season is at {now_dd:,.0f}; its flight here runs from {win['dd_p10']:,.0f} "
                f"(10 % of sightings) to {win['dd_p90']:,.0f} (90 %), peak {win['dd_p50']:,.0f}")  # fmt: skip
    else:
        why = "an adult overwinterer" if tr.get("overwinter_stage") == "adult" else "a migrant"
        base = f"on the calendar ({why}: degree days since 1 January do not time its flights)"
    text = f"{base}; this year {start} – {end}, peak {peak}; from {size}"
    if win["censor_reason"]:
        text += f"; not shown as fact: {win['censor_reason']}"
    if win["widened"]:
        text += f"; widened to {min_days} days (a shorter window is not credible from sightings)"
    return text


def species_status(
    windows: pd.DataFrame,
    as_of,  # noqa: ANN001 (date-like)
    *,
    projection: pd.DataFrame | None = None,
    traits: pd.DataFrame | None = None,
    soon_days: int = 14,
) -> pd.DataFrame:
    """Exactly one row per species: ``scientific_name, common_name, status`` (one of ``STATUSES``),
    ``brood`` (the window it refers to, NA if none), ``method``, ``status_text`` (what a page shows, with what
    it rests on: method, numbers, sample sizes, censoring, the species table and its sources)."""
    if int(soon_days) < 0:
        raise InvalidInput("soon_days", soon_days, "a whole number of days >= 0")
    when = pd.Timestamp(as_of).normalize()
    now_dd = np.nan
    if projection is not None:
        hit = projection.loc[pd.DatetimeIndex(projection["date"]) == when, "cum_dd_mid"]
        now_dd = float(hit.iloc[0]) if len(hit) else np.nan
    rows = []
    names = list(dict.fromkeys(windows["scientific_name"]))
    tr_all = match_traits(names, traits)
    for name, (_, tr) in zip(names, tr_all.iterrows(), strict=True):
        g = windows[windows["scientific_name"] == name].sort_values("start", na_position="last")
        adult = tr["overwinter_stage"] == "adult"
        fm = flight_months(tr["flight_months"])
        start, end = pd.DatetimeIndex(g["start"]), pd.DatetimeIndex(g["end"])
        opened = np.asarray(start <= when) & ~np.asarray(start.isna())
        inside = opened & (np.asarray(end >= when) | np.asarray(end.isna()))
        future = np.asarray(start > when)
        past = np.asarray(end < when) & ~np.asarray(end.isna())
        ref = None
        if inside.any():
            status, ref = "flying now", np.flatnonzero(inside)[0]
        elif future.any():
            ref = np.flatnonzero(future)[0]
            first_open = g["start_earliest"].iloc[ref]
            first_open = g["start"].iloc[ref] if pd.isna(first_open) else min(first_open, g["start"].iloc[ref])
            if (first_open - when).days <= int(soon_days):
                status = "expected soon"
            elif past.any():
                status = "between broods"
            elif adult:
                status = "overwintering"
            else:
                status = "later"
        elif fm and when.month <= fm[1]:
            status, ref = "late in season", len(g) - 1
        elif adult:
            status, ref = "overwintering", len(g) - 1
        else:
            status, ref = "season over", len(g) - 1
        win = g.iloc[ref]
        head = {
            "flying now": "flying now",
            "expected soon": f"expected soon: opens about {_d(win['start']) if not win['censored_start'] else '(date not known)'}",
            "between broods": f"between broods: the next brood from about {_d(win['start'])}",
            "overwintering": "overwintering as adults: they may fly on warm days",
            "later": f"later: from about {_d(win['start']) if not win['censored_start'] else '(date not known)'}",
            "late in season": "late in its season: past the usual end, but still within its flight months",
            "season over": "season over for this year",
        }[status]
        if g["n_broods"].iloc[0] > 1:
            head += f" (brood {int(win['brood'])} of {int(g['n_broods'].iloc[0])})"
        text = f"{head} — {_rests_on(win, now_dd, tr, int(windows.attrs.get('min_window_days', 7)))}"
        if win["note"]:
            text += f"; {win['note']}"
        if tr["flight_months"] or tr["voltinism"]:
            facts = ", ".join(x for x in (
                f"flies {_months(tr['flight_months'])}" if tr["flight_months"] else "",
                tr["voltinism"], f"overwinters as {tr['overwinter_stage']}" if tr["overwinter_stage"] not in ("", "none") else "",
                tr["migrant_status"],
            ) if x)  # fmt: skip
            text += f"; species table: {facts} ({source_text(tr['sources'])})"
        rows.append({"scientific_name": name, "common_name": win["common_name"], "status": status,
                     "brood": int(win["brood"]), "method": win["method"], "status_text": text})  # fmt: skip
    out = pd.DataFrame(rows, columns=["scientific_name", "common_name", "status", "brood", "method", "status_text"])
    out.attrs["as_of"] = when
    return out
