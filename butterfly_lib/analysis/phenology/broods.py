"""Broods: which species fly in more than one flight a year here, and where to split their sightings.

Look here for ``detect_broods`` (per species: number of broods and the day-of-year cuts between them, from the
record and the species table) and ``assign_broods`` (each sighting's brood number).

Method: the species' sightings, pooled over years with their effort weights (``w_pooled``), are smoothed into
a density over the 365-day calendar (Gaussian kernel, half of Silverman's bandwidth for the effective sample
size, at least ``min_bandwidth`` days). Local maxima are candidate broods; the shallowest valley is merged
away, again and again, until every remaining valley is deeper than ``valley`` (0.6) of the lower of its two
peaks, the peaks are at least ``min_separation`` (28) days apart, and each side holds at least ``min_share``
(15 %) of the weight and ``min_sightings`` (10) sightings. The cuts are the valleys' days.

The species table decides what the result means: a univoltine species keeps one window even when the record
shows two peaks (then the note says so: two habitats or elevations, not two broods); a species with several
broods that the record does not separate keeps one window whose note says it spans several broods; for adult
overwinterers the first "brood" of the year is the spring flight of hibernated adults. Days are on the
365-day calendar of ``degree_days``; a species flying across New Year is not split there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.analysis.phenology.censoring import date_to_doy
from butterfly_lib.analysis.phenology.traits import match_traits, several_broods
from butterfly_lib.errors import InvalidInput

BROOD_COLUMNS = ("scientific_name", "n_broods", "cuts", "peaks", "source", "note")


def _density(doy: np.ndarray, w: np.ndarray, bandwidth: float) -> np.ndarray:
    hist = np.bincount(np.clip(doy.astype(int), 1, 365) - 1, weights=w, minlength=365)[:365]
    half = int(np.ceil(4 * bandwidth))
    t = np.arange(-half, half + 1)
    kern = np.exp(-0.5 * (t / bandwidth) ** 2)
    dens = np.convolve(np.r_[np.zeros(half), hist, np.zeros(half)], kern, mode="same")[half:-half]
    return dens / max(dens.sum(), 1e-300)


def _split(doy, w, *, min_bandwidth, valley, min_separation, min_share, min_sightings, blocked=None):  # noqa: ANN001
    """Cuts (days) and peaks (days) of one species' weighted day-of-year sample; no cut on a ``blocked`` day
    (a boolean array over days 1..365)."""
    tot = w.sum()
    n_eff = tot**2 / max((w * w).sum(), 1e-300)
    mean = (w * doy).sum() / tot
    sd = np.sqrt((w * (doy - mean) ** 2).sum() / tot)
    bw = max(min_bandwidth, 0.5 * 1.06 * sd * max(n_eff, 2) ** (-0.2))
    dens = _density(doy, w, bw)
    d = np.r_[-1.0, dens, -1.0]
    peaks = list(np.flatnonzero((d[1:-1] > d[:-2]) & (d[1:-1] >= d[2:])) + 1)  # days 1..365
    cum_w = np.cumsum(np.bincount(np.clip(doy.astype(int), 1, 365) - 1, weights=w, minlength=365)[:365])
    cum_n = np.cumsum(np.bincount(np.clip(doy.astype(int), 1, 365) - 1, minlength=365)[:365])

    def valley_of(a: int, b: int) -> int:
        return a + int(np.argmin(dens[a - 1 : b])) if b > a else a

    while len(peaks) > 1:
        scores = []
        for i in range(len(peaks) - 1):
            a, b = peaks[i], peaks[i + 1]
            v = valley_of(a, b)
            depth = dens[v - 1] / max(min(dens[a - 1], dens[b - 1]), 1e-300)
            # weight and count on each side of this valley, within the neighbouring valleys
            left_edge = valley_of(peaks[i - 1], a) if i > 0 else 0
            right_edge = valley_of(b, peaks[i + 2]) if i + 2 < len(peaks) else 365
            wl = cum_w[v - 1] - (cum_w[left_edge - 1] if left_edge else 0.0)
            wr = cum_w[right_edge - 1] - cum_w[v - 1]
            nl = cum_n[v - 1] - (cum_n[left_edge - 1] if left_edge else 0)
            nr = cum_n[right_edge - 1] - cum_n[v - 1]
            ok = (
                depth < valley and b - a >= min_separation and min(wl, wr) >= min_share * tot
                and min(nl, nr) >= min_sightings and not (blocked is not None and blocked[v - 1])
            )  # fmt: skip
            scores.append((ok, depth, i))
        bad = [s for s in scores if not s[0]]
        if not bad:
            break
        _, _, i = max(bad, key=lambda s: s[1])  # shallowest failing valley goes first
        a, b = peaks[i], peaks[i + 1]
        peaks.pop(i if dens[a - 1] < dens[b - 1] else i + 1)
    cuts = [valley_of(peaks[i], peaks[i + 1]) for i in range(len(peaks) - 1)]
    return cuts, peaks


def detect_broods(
    sightings: pd.DataFrame,
    weights: pd.Series | np.ndarray | None = None,
    *,
    traits: pd.DataFrame | None = None,
    min_bandwidth: float = 7.0,
    valley: float = 0.6,
    min_separation: int = 28,
    min_share: float = 0.15,
    min_sightings: int = 10,
    gaps: pd.DataFrame | None = None,
    gap_margin_days: int = 7,
) -> pd.DataFrame:
    """Per species (``scientific_name``): ``n_broods`` (windows to estimate), ``cuts`` (tuple of days of the
    365-day calendar between them), ``peaks`` (days), ``source`` (``record``, ``record (one flight kept: the
    species table says univoltine)``, ``one flight in the record``) and ``note`` (plain words for pages).

    ``gaps`` (``effort.sampling_gaps``): a valley inside a recurring or never-sampled gap of the year, or within
    ``gap_margin_days`` of one, is where nobody looked, not a pause between broods: no cut is made there."""
    if "observed_on" not in sightings.columns or "scientific_name" not in sightings.columns:
        raise InvalidInput("sightings", list(sightings.columns), "a frame with observed_on and scientific_name")
    w_all = np.ones(len(sightings)) if weights is None else np.asarray(weights, dtype=float)
    doy_all = date_to_doy(sightings["observed_on"])
    names = sightings["scientific_name"].astype(str).to_numpy()
    species = pd.unique(names)
    tr = match_traits(species, traits)
    blocked = _blocked_days(gaps, gap_margin_days)
    rows = []
    for name, (_, t) in zip(species, tr.iterrows(), strict=True):
        sel = (names == name) & np.isfinite(w_all) & (w_all > 0)
        cuts, peaks = ([], [])
        if sel.sum() >= 2 * min_sightings:
            cuts, peaks = _split(doy_all[sel], w_all[sel], min_bandwidth=min_bandwidth, valley=valley,
                                 min_separation=min_separation, min_share=min_share,
                                 min_sightings=min_sightings, blocked=blocked)  # fmt: skip
        univoltine = t["voltinism"] == "univoltine"
        adult = t["overwinter_stage"] == "adult"
        if cuts and univoltine and not adult:
            note = (
                f"one brood a year (species table), but the record shows {len(cuts) + 1} peaks: probably "
                "different habitats or elevations; one window spans them"
            )
            rows.append((name, 1, (), tuple(peaks), "record (one flight kept: the species table says univoltine)", note))
            continue
        if cuts:
            what = "flights" if adult else "broods"
            note = f"{len(cuts) + 1} {what} a year in the record; each has its own window"
            if adult:
                note += " (the first is adults that overwintered)"
            rows.append((name, len(cuts) + 1, tuple(cuts), tuple(peaks), "record", note))
            continue
        note = ""
        if several_broods(t):
            note = (
                f"{t['voltinism']} (species table): several broods a year that the record does not separate; "
                "the window spans them"
            )
        rows.append((name, 1, (), tuple(peaks[:1]), "one flight in the record", note))
    return pd.DataFrame(rows, columns=list(BROOD_COLUMNS))


def _blocked_days(gaps: pd.DataFrame | None, margin: int) -> np.ndarray | None:
    """Days 1..365 lying in (or within ``margin`` days of) a gap that recurs every year."""
    if gaps is None or not len(gaps):
        return None
    every_year = gaps[gaps["kind"].isin(["recurring gap", "never sampled"])] if "kind" in gaps else gaps.iloc[0:0]
    blocked = np.zeros(365, bool)
    for start, end in zip(pd.DatetimeIndex(every_year["start"]), pd.DatetimeIndex(every_year["end"]), strict=True):
        days = pd.date_range(start - pd.Timedelta(days=margin), end + pd.Timedelta(days=margin))
        blocked[date_to_doy(days).astype(int) - 1] = True
    return blocked


def assign_broods(sightings: pd.DataFrame, broods: pd.DataFrame | None) -> np.ndarray:
    """Brood number (1, 2, ...) of every sighting from ``detect_broods`` cuts (1 where no cuts or species)."""
    out = np.ones(len(sightings), dtype=int)
    if broods is None or not len(broods):
        return out
    doy = date_to_doy(sightings["observed_on"])
    names = sightings["scientific_name"].astype(str).to_numpy()
    for name, cuts in zip(broods["scientific_name"], broods["cuts"], strict=True):
        if cuts:
            sel = names == name
            out[sel] = 1 + np.searchsorted(np.asarray(cuts, dtype=float), doy[sel], side="right")
    return out
