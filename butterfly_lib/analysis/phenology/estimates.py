"""Onset, peak and end (10th, 50th, 90th percentiles) per species and year, and per species over all years.

Look here for ``yearly_percentiles`` (one estimate per species, brood, year and scale: the hindcast's targets)
and ``pooled_percentiles`` (one per species, brood and scale over all years: the profile that this season's
windows come from). Both return a long, tidy frame (``ESTIMATE_COLUMNS``), one row per percentile.

Each estimate is the located Weibull-parameterized percentile (``weibull.grouped_percentiles``) of the
sightings' day of year (365-day calendar) or degree days (``cum_dd`` at the sighting's own grid cell), with
the effort weights of ``effort`` (``w_week`` within a year, ``w_pooled`` across years), a bias correction,
a bootstrap interval, the number of sightings ``n`` and the effective sample size ``n_eff``; then
``censoring`` marks what lies within ``margin_days`` of a sampling gap or of an edge of the record.

Across years, a percentile is censored when the years in which its date falls near a gap or an edge hold at
least ``pooled_censor_share`` (20 %) of the species' weight. Degree-day percentiles are put on dates through
the place's own accumulation of each year (``place_cum_dd``) when it is given; otherwise they take the
censoring of the same percentile on the day-of-year scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.analysis.phenology.broods import assign_broods
from butterfly_lib.analysis.phenology.censoring import censor_dates, date_to_doy, dd_to_date, doy_to_date
from butterfly_lib.analysis.phenology.effort import effort_weights, record_span_of, sampling_gaps
from butterfly_lib.analysis.phenology.weibull import PERCENTILES, grouped_percentiles
from butterfly_lib.errors import InvalidInput

SIGHTING_COLUMNS = ("id", "taxon_id", "scientific_name", "common_name", "observed_on", "latitude", "longitude",
                    "user_id", "cum_dd", "dd_source")  # fmt: skip
REQUIRED = ("scientific_name", "observed_on", "cum_dd")
SCALES = ("doy", "dd")
ESTIMATE_COLUMNS = (
    "scientific_name", "common_name", "taxon_id", "brood", "year", "scale", "percentile", "estimate",
    "ci_low", "ci_high", "date", "n", "n_eff", "n_years", "censored", "censor_reason", "effort_corrected",
)  # fmt: skip


def _prepare(sightings: pd.DataFrame, effort: pd.DataFrame | None, record_span, broods, correct_effort: bool,
             half_weight_sightings: float) -> pd.DataFrame:  # fmt: skip  # noqa: ANN001
    missing = [c for c in REQUIRED if c not in sightings.columns]
    if missing:
        raise InvalidInput("sightings", list(sightings.columns), f"the sightings columns {list(SIGHTING_COLUMNS)}")
    days = pd.DatetimeIndex(pd.to_datetime(sightings["observed_on"])).normalize()
    frame = pd.DataFrame(
        {
            "scientific_name": sightings["scientific_name"].astype(str).to_numpy(),
            "common_name": (sightings["common_name"].fillna("").astype(str).to_numpy()
                            if "common_name" in sightings else ""),  # fmt: skip
            "taxon_id": (pd.to_numeric(sightings["taxon_id"], errors="coerce").to_numpy()
                         if "taxon_id" in sightings else np.nan),  # fmt: skip
            "day": days,
            "year": np.asarray(days.year),
            "doy": date_to_doy(days),
            "cum_dd": pd.to_numeric(sightings["cum_dd"], errors="coerce").to_numpy(dtype=float),
        }
    )
    frame["brood"] = assign_broods(frame.rename(columns={"day": "observed_on"}), broods)
    frame["unit"] = frame["scientific_name"] + "\x1f" + frame["brood"].astype(str)
    w = effort_weights(
        frame.rename(columns={"day": "observed_on"}), effort if correct_effort else None,
        record_span=record_span, half_weight_sightings=half_weight_sightings, by="unit",
    )  # fmt: skip
    frame["w_week"] = w["w_week"].to_numpy()
    frame["w_pooled"] = w["w_pooled"].to_numpy()
    frame.attrs["without_effort"] = w.attrs["without_effort"]
    return frame


def _names(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    def mode(s: pd.Series):  # noqa: ANN202
        s = s[s.astype(str) != ""].dropna() if s.dtype == object else s.dropna()
        return s.mode().iloc[0] if len(s) else (np.nan if s.dtype != object else "")

    return frame.groupby(keys, sort=True).agg(common_name=("common_name", mode), taxon_id=("taxon_id", mode))


def _estimate(frame: pd.DataFrame, keys: list[str], weight: str, percentiles, min_sightings: int,  # noqa: ANN001
              n_boot: int, n_bias: int, conf: float, location: str, seed: int) -> pd.DataFrame:  # fmt: skip
    """Long rows (no censoring yet) for each group of ``keys`` and each scale."""
    rng = np.random.default_rng(seed)
    parts = []
    names = _names(frame, keys)
    for scale, col in (("doy", "doy"), ("dd", "cum_dd")):
        sub = frame[np.isfinite(frame[col]) & np.isfinite(frame[weight]) & (frame[weight] > 0)]
        if sub.empty:
            continue
        codes = sub.groupby(keys, sort=True).ngroup().to_numpy()
        labels = sub.groupby(keys, sort=True).size()
        n_years = sub.groupby(keys, sort=True)["year"].nunique().to_numpy()
        res = grouped_percentiles(
            sub[col].to_numpy(), codes, sub[weight].to_numpy(), percentiles=percentiles, n_bias=n_bias,
            n_boot=n_boot, conf=conf, min_n=min_sightings, location=location, seed=rng,
        )  # fmt: skip
        keep = np.flatnonzero(res.n >= min_sightings)
        P = len(res.percentiles)
        idx = labels.index[keep]
        block = pd.DataFrame(
            {
                **{k: np.repeat(idx.get_level_values(k) if len(keys) > 1 else idx, P) for k in keys},
                "scale": scale,
                "percentile": np.tile(np.rint(res.percentiles * 100).astype(int), keep.size),
                "estimate": res.estimate[keep].ravel(),
                "ci_low": res.ci_low[keep].ravel(),
                "ci_high": res.ci_high[keep].ravel(),
                "n": np.repeat(res.n[keep], P),
                "n_eff": np.repeat(res.n_eff[keep], P),
                "n_years": np.repeat(n_years[keep], P),
            }
        )
        parts.append(block)
    if not parts:
        return pd.DataFrame(columns=[*keys, "scale", "percentile", "estimate", "ci_low", "ci_high", "n", "n_eff",
                                     "n_years", "common_name", "taxon_id"])  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    return out.merge(names.reset_index(), on=keys, how="left")


def _gaps_and_span(effort, record_span, gaps):  # noqa: ANN001, ANN202
    if effort is None and (record_span is None or gaps is None):
        raise InvalidInput("effort", None, "an effort table, or both record_span and gaps")
    span = record_span_of(effort, record_span) if effort is not None else tuple(pd.Timestamp(x) for x in record_span)
    if gaps is None:
        gaps = sampling_gaps(effort, span)
    return gaps, span


def yearly_percentiles(
    sightings: pd.DataFrame,
    effort: pd.DataFrame | None,
    *,
    record_span=None,  # noqa: ANN001 ((first, last) dates; default effort.attrs["record_span"])
    gaps: pd.DataFrame | None = None,
    broods: pd.DataFrame | None = None,
    place_cum_dd: pd.Series | None = None,
    percentiles=PERCENTILES,  # noqa: ANN001
    min_sightings: int = 5,
    correct_effort: bool = True,
    n_boot: int = 500,
    n_bias: int = 250,
    conf: float = 0.95,
    margin_days: int = 14,
    location: str = "profile",
    seed: int = 0,
) -> pd.DataFrame:
    """Percentiles per species, brood and calendar year with at least ``min_sightings`` sightings, on the
    day-of-year (``scale="doy"``) and degree-day (``"dd"``) scales (``ESTIMATE_COLUMNS``; ``date`` is the
    estimate's date that year: the day itself, or where the place's accumulation reaches the degree days).

    ``gaps`` default: ``sampling_gaps(effort, record_span)``. ``correct_effort=False`` weighs every sighting
    alike (for comparison). Same inputs and ``seed``, same numbers.
    """
    gaps, span = _gaps_and_span(effort, record_span, gaps)
    frame = _prepare(sightings, effort, span, broods, correct_effort, 5.0)
    out = _estimate(frame, ["scientific_name", "brood", "year"], "w_week", percentiles, int(min_sightings),
                    n_boot, n_bias, conf, location, seed)  # fmt: skip
    out["date"] = pd.NaT
    doy = out["scale"] == "doy"
    out.loc[doy, "date"] = doy_to_date(out.loc[doy, "year"], out.loc[doy, "estimate"])
    dd = out["scale"] == "dd"
    if place_cum_dd is not None and dd.any():
        out.loc[dd, "date"] = dd_to_date(out.loc[dd, "year"], out.loc[dd, "estimate"], place_cum_dd)
    cens, why = censor_dates(pd.DatetimeIndex(out["date"]), gaps, span, margin_days=margin_days)
    out["censored"], out["censor_reason"] = cens, why
    if place_cum_dd is None and dd.any():
        _inherit(out, ["scientific_name", "brood", "year", "percentile"])
    out["year"] = out["year"].astype("Int64")
    return _finish(out, correct_effort, span, gaps, frame)


def _inherit(out: pd.DataFrame, keys: list[str]) -> None:
    """Degree-day rows take the censoring of the day-of-year row of the same group and percentile."""
    ref = out[out["scale"] == "doy"].set_index(keys)[["censored", "censor_reason"]]
    dd = out["scale"] == "dd"
    got = ref.reindex(pd.MultiIndex.from_frame(out.loc[dd, keys]))
    out.loc[dd, "censored"] = got["censored"].fillna(False).to_numpy(dtype=bool)
    out.loc[dd, "censor_reason"] = got["censor_reason"].fillna("").to_numpy()


def _finish(out: pd.DataFrame, correct_effort: bool, span, gaps, frame) -> pd.DataFrame:  # noqa: ANN001
    out["effort_corrected"] = bool(correct_effort)
    out["censored"] = out["censored"].astype(bool)
    out = out[list(ESTIMATE_COLUMNS)].sort_values(["scientific_name", "brood", "year", "scale", "percentile"],
                                                  kind="stable", na_position="first").reset_index(drop=True)  # fmt: skip
    out.attrs.update({"record_span": span, "gaps": gaps.to_dict("records"), "without_effort": frame.attrs.get("without_effort", 0),
                      "effort_corrected": bool(correct_effort)})  # fmt: skip
    return out


def pooled_percentiles(
    sightings: pd.DataFrame,
    effort: pd.DataFrame | None,
    *,
    record_span=None,  # noqa: ANN001
    gaps: pd.DataFrame | None = None,
    broods: pd.DataFrame | None = None,
    place_cum_dd: pd.Series | None = None,
    percentiles=PERCENTILES,  # noqa: ANN001
    min_sightings: int = 10,
    min_years: int = 3,
    half_weight_sightings: float = 5.0,
    pooled_censor_share: float = 0.2,
    correct_effort: bool = True,
    n_boot: int = 500,
    n_bias: int = 250,
    conf: float = 0.95,
    margin_days: int = 14,
    location: str = "profile",
    seed: int = 0,
) -> pd.DataFrame:
    """Percentiles per species and brood over all years (``year`` is NA; ``date`` NaT), for species-broods
    with at least ``min_sightings`` sightings in at least ``min_years`` years (``ESTIMATE_COLUMNS``).
    Weights: ``effort.effort_weights``' ``w_pooled``. Censoring: module docstring."""
    if not 0 < pooled_censor_share <= 1:
        raise InvalidInput("pooled_censor_share", pooled_censor_share, "a share in (0, 1]")
    gaps, span = _gaps_and_span(effort, record_span, gaps)
    frame = _prepare(sightings, effort, span, broods, correct_effort, half_weight_sightings)
    years = frame.groupby(["scientific_name", "brood"])["year"].nunique()
    ok_units = years[years >= int(min_years)].index
    frame_ok = frame.set_index(["scientific_name", "brood"]).loc[lambda f: f.index.isin(ok_units)].reset_index()
    out = _estimate(frame_ok, ["scientific_name", "brood"], "w_pooled", percentiles, int(min_sightings),
                    n_boot, n_bias, conf, location, seed)  # fmt: skip
    out["year"] = pd.NA
    out["date"] = pd.NaT
    # each estimate on a date in every year the species-brood has weight in
    share = frame_ok[np.isfinite(frame_ok["w_pooled"])].groupby(["scientific_name", "brood", "year"])["w_pooled"].sum()
    share = (share / share.groupby(level=[0, 1]).transform("sum")).rename("share").reset_index()
    rows = out.reset_index(names="row")[["row", "scientific_name", "brood", "scale", "estimate"]]
    flat = rows.merge(share, on=["scientific_name", "brood"], how="inner")
    flat["date"] = pd.NaT
    d = flat["scale"] == "doy"
    flat.loc[d, "date"] = doy_to_date(flat.loc[d, "year"], flat.loc[d, "estimate"])
    if place_cum_dd is not None:
        flat.loc[~d, "date"] = dd_to_date(flat.loc[~d, "year"], flat.loc[~d, "estimate"], place_cum_dd)
    cens, why = censor_dates(pd.DatetimeIndex(flat["date"]), gaps, span, margin_days=margin_days)
    flat["cshare"] = np.where(cens, flat["share"], 0.0)
    flat["why"] = np.where(cens, why, "")
    agg = flat.groupby("row").agg(cshare=("cshare", "sum"))
    # the reason shown is the one that weighs most (a gap every year outweighs one early season at the record's
    # start), with the season where it weighs most as the example
    hit = flat[flat["why"] != ""].assign(what=lambda f: f["why"].str.replace(r"\s*\(.*\)$", "", regex=True))
    by_what = hit.groupby(["row", "what"])["cshare"].sum().reset_index().sort_values(["row", "cshare"],
                                                                                      ascending=[True, False])
    top_what = by_what.drop_duplicates("row").set_index("row")["what"]
    hit = hit[hit["what"] == hit["row"].map(top_what)].sort_values(["row", "cshare"], ascending=[True, False])
    first_why = hit.drop_duplicates("row").set_index("row")["why"]
    yrs = flat[flat["why"] != ""].groupby("row")["year"].apply(lambda s: ", ".join(str(int(y)) for y in sorted(s)))
    cshare = agg["cshare"].reindex(out.index).fillna(0.0).to_numpy()
    censored = cshare >= pooled_censor_share
    reason = np.full(len(out), "", dtype=object)
    for i in np.flatnonzero(censored):
        reason[i] = (f"in years holding {cshare[i]:.0%} of the weight ({yrs.get(i, '')}) it falls "
                     f"{first_why.get(i, '')}")  # fmt: skip
    out["censored"], out["censor_reason"] = censored, reason.astype(str)
    if place_cum_dd is None:
        _inherit(out, ["scientific_name", "brood", "percentile"])
    return _finish(out, correct_effort, span, gaps, frame)


def wide(estimates: pd.DataFrame) -> pd.DataFrame:
    """One row per species, brood (and year) with ``{scale}_p{percentile}``, ``..._lo``, ``..._hi``,
    ``..._censored``, ``..._reason`` and, per scale, ``{scale}_n``, ``{scale}_n_eff``, ``{scale}_n_years``."""
    keys = ["scientific_name", "brood"] + (["year"] if estimates["year"].notna().any() else [])
    e = estimates.copy()
    e.attrs = {}
    e["tag"] = e["scale"] + "_p" + e["percentile"].astype(str)
    vals = {"": "estimate", "_lo": "ci_low", "_hi": "ci_high", "_censored": "censored", "_reason": "censor_reason"}
    parts = []
    for suffix, col in vals.items():
        p = e.pivot(index=keys, columns="tag", values=col)
        p.columns = [f"{c}{suffix}" for c in p.columns]
        parts.append(p)
    sizes = e.groupby(keys + ["scale"])[["n", "n_eff", "n_years"]].first().unstack("scale")
    sizes.columns = [f"{scale}_{what}" for what, scale in sizes.columns]
    names = e.groupby(keys)[["common_name", "taxon_id"]].first()
    return pd.concat([names, *parts, sizes], axis=1).reset_index()
