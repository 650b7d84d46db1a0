"""Observer effort: the week key, effort weights for sightings, and the sampling gaps of the record.

Look here to turn the effort table (research-grade observations of a reference group per week) into a
weight for every sighting (``effort_weights``) and into the list of sampling gaps (``sampling_gaps``) that
``censoring`` uses.

The week
--------
Weeks are ISO 8601 weeks: Monday to Sunday, keyed by ISO year and ISO week number 1..53 (``week_key``;
``datetime.date.isocalendar``). A week start (its Monday) and ``(year, week)`` name the same week, so the
effort table may carry either ``year, week`` or ``week_start``. iNaturalist's histogram with
``interval=week`` returns week starts, which map exactly; its ``week_of_year`` counts filtered by calendar
``year`` differ only for the few days around New Year that belong to the neighbouring ISO year.

Why weights, and which
----------------------
A sighting is a butterfly *and* an observer. With ``E`` the observer effort of a week and ``a`` the species'
flight activity, sightings arrive at a rate ``E * a``; weighting each sighting by ``1 / E`` makes the weighted
sightings follow ``a`` alone, so busy weeks (sunny weekends, bioblitzes, the summer crowd, a year after an app
became popular) do not pull the percentiles towards themselves. ``E`` is measured by the reference group's
count ``R`` in the sighting's week and year (``n_reference``), smoothed over the week and its two neighbours
(``R`` of one week is noisy, and a weekend spike is a within-week matter that a weekly count cannot see);
a floor of one observation keeps weights finite.

What ``1 / R`` cannot separate: the reference group's own season. ``R = E * a_ref``; weighting by ``1 / R``
also divides by ``a_ref``, which tilts a species' distribution away from the reference group's peak. For a
flight of spread ``s`` days during which ``a_ref`` changes by a factor ``f`` per 30 days the shift is about
``-ln(f) / 30 * s**2`` days (exponential tilting of a normal curve): two days for ``s = 10`` and a doubling.
A reference group with a flat season (all observations of all taxa) has the least of it.

Years
-----
Within a year the weights above are all that matter. Where years are pooled (a species' profile), each
year's weights are rescaled to total ``n_y / (n_y + half_weight_sightings)`` with ``n_y`` the species'
sightings that year: a well-sampled year counts as one year however many observers it had (the 10-fold growth
of iNaturalist must not make recent years the profile), and a year with one or two sightings counts for less
(the random-effects weighting of a meta-analysis, with ``half_weight_sightings`` the ratio of within-year to
between-year variance; a year with that many sightings weighs half as much as a well-sampled one). Plain
``1 / (all sightings that year)`` gave one sighting from 2000 65 % of a species' weight.

Sampling gaps
-------------
A week is *low* when its effort is below ``fraction`` (default 0.2) of the effort on both sides of it: the
lesser of the busiest week in the ``reach`` (10) weeks before and the busiest in the 10 weeks after; and that
level is at least ``min_level`` (10) observations, so a quiet week in a sparse year or season is not called a
gap (with an expected 10, seeing 2 or fewer has a chance of 0.3 %). Runs of low weeks are gaps when their
edges are abrupt (the busier of the two weeks on each side at least ``(run mean + 1) / fraction``): a gap
starts and stops, a quiet winter fades in and out. A week of the
year that is low in the profile pooled over all years (each year's weekly shares, averaged) is a *recurring*
gap (e.g. a sample that never covers mid-April to mid-May), judged where that level is at least a tenth of
the busiest week's; it makes a gap in every year in which that week's
own effort is low or too sparse to judge. The season's slow start and end are not gaps: one side is low.
Weeks of the year in which the reference group has no observation at all, in any year of a record of three
years or more, are *never sampled*: whatever their neighbours look like, nothing can be said about what flew
then (a real reference group such as all insects has some observations every week near a town; a sample that
covers only part of the year, like the offline demo's, does not), so they censor what lies near them too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput

EFFORT_COLUMNS = ("year", "week", "n_reference")
GAP_COLUMNS = ("start", "end", "weeks", "kind", "n_reference", "expected")


def _days(values) -> pd.DatetimeIndex:  # noqa: ANN001
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Index(values)))
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx.normalize()


def week_key(dates) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001 (date-likes)
    """ISO year and ISO week (1..53) of each local date."""
    iso = _days(dates).isocalendar()
    return iso["year"].to_numpy(dtype=int), iso["week"].to_numpy(dtype=int)


def week_monday(year, week) -> pd.DatetimeIndex:  # noqa: ANN001 (array-likes)
    """The Monday that starts each ISO ``(year, week)``."""
    y = np.asarray(year, dtype=int)
    w = np.asarray(week, dtype=int)
    jan4 = pd.to_datetime(pd.DataFrame({"year": y, "month": 1, "day": 4}))
    monday1 = jan4 - pd.to_timedelta(jan4.dt.day_of_week, unit="D")
    return pd.DatetimeIndex(monday1 + pd.to_timedelta((w - 1) * 7, unit="D"))


def _week_index(monday: pd.DatetimeIndex) -> np.ndarray:
    """A running week number (Mondays since 1970-01-05)."""
    return ((monday - pd.Timestamp("1970-01-05")).days // 7).to_numpy(dtype=np.int64)


def check_effort(effort: pd.DataFrame) -> pd.DataFrame:
    """The effort table as ``year, week, n_reference, week_start`` (validated; ``week_start`` may replace
    ``year, week`` on input). Raises ``InvalidInput`` naming the bad value."""
    if "week_start" in effort.columns and not {"year", "week"} <= set(effort.columns):
        y, w = week_key(effort["week_start"])
        mondays = week_monday(y, w)
        if not (mondays == _days(effort["week_start"])).all():
            bad = _days(effort["week_start"])[mondays != _days(effort["week_start"])][0]
            raise InvalidInput("effort.week_start", str(bad.date()), "Mondays (ISO week starts)")
        effort = effort.assign(year=y, week=w)
    missing = [c for c in EFFORT_COLUMNS if c not in effort.columns]
    if missing:
        raise InvalidInput("effort", list(effort.columns), f"columns {list(EFFORT_COLUMNS)} (missing {missing})")
    out = effort[list(EFFORT_COLUMNS)].copy()
    out["year"] = pd.to_numeric(out["year"], errors="raise").astype(int)
    out["week"] = pd.to_numeric(out["week"], errors="raise").astype(int)
    out["n_reference"] = pd.to_numeric(out["n_reference"], errors="raise").astype(float)
    if ((out["week"] < 1) | (out["week"] > 53)).any():
        raise InvalidInput("effort.week", int(out.loc[(out["week"] < 1) | (out["week"] > 53), "week"].iloc[0]), "ISO weeks 1..53")
    if (out["n_reference"] < 0).any() or out["n_reference"].isna().any():
        raise InvalidInput("effort.n_reference", "negative or missing", "counts >= 0")
    dup = out.duplicated(["year", "week"])
    if dup.any():
        r = out[dup].iloc[0]
        raise InvalidInput("effort", f"duplicate week {int(r['year'])}-W{int(r['week']):02d}", "one row per week")
    out["week_start"] = week_monday(out["year"], out["week"])
    # week 53 only exists in long ISO years
    bad53 = week_key(out["week_start"])[1] != out["week"].to_numpy()
    if bad53.any():
        r = out[bad53].iloc[0]
        raise InvalidInput("effort.week", f"{int(r['year'])}-W{int(r['week'])}", "a week that exists in that ISO year")
    return out.sort_values("week_start").reset_index(drop=True)


def record_span_of(effort: pd.DataFrame, record_span=None) -> tuple[pd.Timestamp, pd.Timestamp]:  # noqa: ANN001
    """``(first, last)`` day the record covers: ``record_span`` if given, else ``effort.attrs["record_span"]``."""
    span = record_span if record_span is not None else effort.attrs.get("record_span")
    if span is None or len(span) != 2:
        raise InvalidInput("record_span", span, "(first, last) dates the record covers")
    first, last = (pd.Timestamp(s).normalize() for s in span)
    if first > last:
        raise InvalidInput("record_span", (str(first.date()), str(last.date())), "first <= last")
    return first, last


def weekly_effort(effort: pd.DataFrame, record_span=None) -> pd.DataFrame:  # noqa: ANN001
    """Every week of the record span (weeks absent from the table count 0), with ``n_reference`` and the
    3-week smoothed ``smoothed`` (floor 1). Columns: ``week_start, year, week, n_reference, smoothed``."""
    eff = check_effort(effort)
    first, last = record_span_of(effort, record_span)
    y0, w0 = week_key([first])
    y1, w1 = week_key([last])
    weeks = pd.date_range(week_monday(y0, w0)[0], week_monday(y1, w1)[0], freq="7D")
    counts = eff.set_index("week_start")["n_reference"].reindex(weeks, fill_value=0.0).to_numpy()
    padded = np.r_[counts[:1], counts, counts[-1:]]
    smoothed = np.maximum((padded[:-2] + padded[1:-1] + padded[2:]) / 3.0, 1.0)
    y, w = week_key(weeks)
    return pd.DataFrame({"week_start": weeks, "year": y, "week": w, "n_reference": counts, "smoothed": smoothed})


def effort_weights(
    sightings: pd.DataFrame,
    effort: pd.DataFrame | None,
    *,
    record_span=None,  # noqa: ANN001
    half_weight_sightings: float = 5.0,
    by: str = "scientific_name",
) -> pd.DataFrame:
    """Weights for every sighting: ``w_week`` (1 / smoothed reference effort of its ISO week: within-year
    estimates use it) and ``w_pooled`` (the same, rescaled per ``by``-group and calendar year to total
    ``n_y / (n_y + half_weight_sightings)``: estimates across years use it). ``effort=None`` gives the
    uncorrected weights (every sighting 1 within a year; years still rescaled) for comparison.

    Sightings in weeks outside the effort table's span get NaN and are left out of weighted estimates;
    ``attrs["without_effort"]`` counts them. Index as ``sightings``.
    """
    if "observed_on" not in sightings.columns or by not in sightings.columns:
        raise InvalidInput("sightings", list(sightings.columns), f"a frame with 'observed_on' and {by!r}")
    if half_weight_sightings < 0:
        raise InvalidInput("half_weight_sightings", half_weight_sightings, "a number of sightings >= 0")
    days = _days(sightings["observed_on"])
    if effort is None:
        w_week = np.ones(len(sightings))
    else:
        weekly = weekly_effort(effort, record_span)
        y, w = week_key(days)
        key = pd.MultiIndex.from_arrays([y, w])
        table = weekly.set_index(["year", "week"])["smoothed"]
        w_week = 1.0 / table.reindex(key).to_numpy()
    cal_year = np.asarray(days.year)
    frame = pd.DataFrame({"g": sightings[by].to_numpy(), "y": cal_year, "w": w_week})
    ok = np.isfinite(frame["w"])
    n_y = frame[ok].groupby(["g", "y"])["w"].transform("size").reindex(frame.index)
    tot = frame[ok].groupby(["g", "y"])["w"].transform("sum").reindex(frame.index)
    target = n_y / (n_y + float(half_weight_sightings))
    out = pd.DataFrame({"w_week": frame["w"].to_numpy(), "w_pooled": (frame["w"] / tot * target).to_numpy()},
                       index=sightings.index)  # fmt: skip
    out.attrs["without_effort"] = int((~ok).sum())
    return out


def _side_levels(e: np.ndarray, reach: int) -> np.ndarray:
    """min(max of the ``reach`` values before, max of the ``reach`` after) along the last axis (0 at edges)."""
    n = e.shape[-1]
    pad = np.zeros(e.shape[:-1] + (reach,))
    full = np.concatenate([pad, e, pad], axis=-1)
    win = np.lib.stride_tricks.sliding_window_view(full, reach, axis=-1)  # window j covers full[j:j+reach]
    before = win[..., 0:n, :].max(axis=-1)
    after = win[..., reach + 1 : reach + 1 + n, :].max(axis=-1)
    return np.minimum(before, after)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1


def _abrupt(e: np.ndarray, mask: np.ndarray, fraction: float, eps: float, circular: bool = False) -> np.ndarray:
    """Keep the runs of ``mask`` whose edges are abrupt: the busier of the two weeks just before the run, and
    of the two just after, both at least ``(run mean + eps) / fraction``. A gap starts and stops; a quiet
    season fades in and out."""
    n = e.size
    keep = np.zeros(n, bool)
    ext = np.r_[e, e, e] if circular else e
    off = n if circular else 0
    for a, b in zip(*_runs(mask), strict=True):
        before = ext[max(a + off - 2, 0) : a + off]
        after = ext[b + off + 1 : b + off + 3]
        if before.size == 0 or after.size == 0:
            continue
        need = (e[a : b + 1].mean() + eps) / fraction
        if before.max() >= need and after.max() >= need:
            keep[a : b + 1] = True
    return keep


def sampling_gaps(
    effort: pd.DataFrame,
    record_span=None,  # noqa: ANN001
    *,
    fraction: float = 0.2,
    min_level: float = 10.0,
    reach: int = 10,
) -> pd.DataFrame:
    """The sampling gaps of the record (module docstring): one row per gap with ``start`` (a Monday),
    ``end`` (a Sunday), ``weeks``, ``kind`` (``"gap"``: that year only; ``"recurring gap"``: a week of the
    year missing in the pooled profile; ``"never sampled"``: weeks of the year with no reference observation in
    any year of a record of at least three years), ``n_reference`` (observations in it) and ``expected`` (the
    both-sides level it was compared with, summed over its weeks). ``attrs``: the thresholds and span."""
    if not 0 < fraction < 1:
        raise InvalidInput("fraction", fraction, "a fraction strictly between 0 and 1")
    if int(reach) < 1 or min_level < 0:
        raise InvalidInput("reach/min_level", (reach, min_level), "reach >= 1 week, min_level >= 0")
    weekly = weekly_effort(effort, record_span)
    e = weekly["n_reference"].to_numpy()
    level = _side_levels(e, int(reach))
    low = _abrupt(e, (e < fraction * level) & (level >= min_level), fraction, 1.0)
    # recurring gaps: each year's weekly shares averaged over years, on a circular week-of-year axis
    woy = np.minimum(weekly["week"].to_numpy(), 52) - 1
    yr = weekly["year"].to_numpy()
    totals = pd.Series(e).groupby(yr).transform("sum").to_numpy()
    share = np.where(totals > 0, e / np.where(totals > 0, totals, 1.0), np.nan)
    prof = pd.Series(share).groupby(woy).mean().reindex(range(52)).to_numpy()
    n_years = int(pd.Series(yr[totals > 0]).nunique())
    recurring = np.zeros(52, bool)
    if n_years >= 3:
        p = np.nan_to_num(prof)
        lev = _side_levels(np.r_[p, p, p], int(reach))[52:104]
        # judged only where the season is busy enough to tell: a level of at least 10 % of the busiest week
        recurring = (p < fraction * lev) & (lev >= 0.1 * p.max())
        recurring = _abrupt(p, recurring, fraction, 0.01 * p.max(), circular=True)
    rec_week = recurring[woy]
    judged_ok = (level >= min_level) & (e >= fraction * level)
    low_rec = rec_week & ~judged_ok & ~low
    # a week of the year without a single reference observation in any year: the record cannot say what flew
    # then, whether or not the weeks around it look like a season's edge
    per_woy = pd.Series(e).groupby(woy).sum().reindex(range(52), fill_value=0.0).to_numpy()
    never = (per_woy == 0) if n_years >= 3 and per_woy.sum() > 0 else np.zeros(52, bool)
    unsampled = never[woy] & ~low & ~low_rec
    rows = []
    for mask, kind in ((low, "gap"), (low_rec, "recurring gap"), (unsampled, "never sampled")):
        s, t = _runs(mask)
        for a, b in zip(s, t, strict=True):
            rows.append(
                {
                    "start": weekly["week_start"].iloc[a],
                    "end": weekly["week_start"].iloc[b] + pd.Timedelta(days=6),
                    "weeks": int(b - a + 1),
                    "kind": kind,
                    "n_reference": float(e[a : b + 1].sum()),
                    "expected": float(level[a : b + 1].sum()),
                }
            )
    out = pd.DataFrame(rows, columns=list(GAP_COLUMNS)).sort_values("start").reset_index(drop=True)
    first, last = record_span_of(effort, record_span)
    out.attrs.update({"fraction": fraction, "min_level": min_level, "reach": int(reach),
                      "record_span": (first, last)})  # fmt: skip
    return out

