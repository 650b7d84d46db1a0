"""Viewing index: how good each day is for seeing butterflies, 0-100, with its components and a reason.

Look here for ``viewing_index`` (score the days of a ``daily_outlook``), ``rank_days`` and
``rank_place_days`` (best days, or best place × day when several places are configured), and ``WEIGHTS``:
the one place where every weight and threshold lives (``ViewingWeights``).

Inputs: an outlook frame (``outlook.daily_outlook``: ``date, sunshine_h, daylight_h, tmax_f,
wind_speed_max_mph, precipitation_probability_pct, precipitation_mm``) and optionally ``species_flying``, a
Series of the number of species expected flying around each date (``emergence_forecast.flying_counts``).

Method: each component is scored 0-1 (see ``ViewingWeights`` for the curves):
- sun: the better of sunshine hours against ``sun_full_hours`` (12 h) and the fraction of daylight against
  ``sun_full_fraction`` (85 %), so short winter days are not punished for their length alone, and a day of
  broken cloud (60 % sun) scores below a clear one; the old "good day" rule (3 h or 40 %) sits at 0.25-0.47;
- temperature: the day's high, 0 at ``temp_zero_f``, rising to 1 at ``temp_good_f`` (butterflies fly little
  below about 60 °F), 1 through ``temp_best_high_f``, falling to ``hot_floor`` at ``temp_hot_f``;
- wind: 1 up to ``wind_calm_mph``, 0 at ``wind_zero_mph``;
- rain: ``(1 - probability) * (1 - precipitation / rain_mm_zero)``, either factor alone when the other is
  missing;
- species: species expected flying that week over ``species_full``.
The index is ``100 * weighted mean of the available components * (limiting_floor + (1 - limiting_floor) *
min(temperature, rain))``: a cold or rainy day cannot be rescued by sunshine alone. Missing components drop
out of the mean (their weight is shared by the others). The index therefore never falls when sunshine rises
and never rises when the rain probability rises (tested with hypothesis), and stays within 0-100.
``good_day_rule`` reproduces the earlier planner's rule "good day = at least 3 h of sun or at least 40 % of
daylight" as a baseline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput

COMPONENTS = ("sun", "temperature", "wind", "rain", "species")


@dataclass(frozen=True)
class ViewingWeights:
    """Weights of the components in the index, and the thresholds of each component's 0-1 curve.

    Weights (``sun``, ``temperature``, ``wind``, ``rain``, ``species``) are relative; they need not sum to 1.
    Temperatures in °F (the day's high), wind in mph (daily maximum), rain probability in % and amount in mm.
    ``limiting_floor``: how much of the score a day keeps when its worst of temperature/rain is 0.
    """

    sun: float = 0.35
    temperature: float = 0.25
    wind: float = 0.10
    rain: float = 0.20
    species: float = 0.10
    sun_full_hours: float = 12.0
    sun_full_fraction: float = 0.85
    temp_zero_f: float = 55.0
    temp_good_f: float = 70.0
    temp_best_high_f: float = 85.0
    temp_hot_f: float = 100.0
    hot_floor: float = 0.3
    wind_calm_mph: float = 8.0
    wind_zero_mph: float = 25.0
    rain_mm_zero: float = 5.0
    species_full: float = 10.0
    limiting_floor: float = 0.4
    good_rule_hours: float = 3.0
    good_rule_fraction: float = 0.4

    def __post_init__(self) -> None:
        for name in COMPONENTS:
            if not getattr(self, name) >= 0:
                raise InvalidInput(f"weight {name}", getattr(self, name), "a number >= 0")
        if not sum(getattr(self, n) for n in COMPONENTS) > 0:
            raise InvalidInput("weights", asdict(self), "at least one positive component weight")
        if not (self.temp_zero_f < self.temp_good_f <= self.temp_best_high_f < self.temp_hot_f):
            raise InvalidInput("temperature thresholds", asdict(self), "zero < good <= best_high < hot")
        if not 0 <= self.limiting_floor <= 1:
            raise InvalidInput("limiting_floor", self.limiting_floor, "a number in [0, 1]")


WEIGHTS = ViewingWeights()


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    return (
        pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        if name in frame
        else np.full(len(frame), np.nan)
    )


def component_scores(
    outlook: pd.DataFrame, species_flying: pd.Series | None = None, weights: ViewingWeights = WEIGHTS
) -> pd.DataFrame:
    """The five component scores (0-1, NaN when unknown) of each day: columns ``<component>_score``."""
    w = weights
    sun_h = _col(outlook, "sunshine_h")
    day_h = _col(outlook, "daylight_h")
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(day_h > 0, sun_h / day_h, np.nan)
    by_hours = np.clip(sun_h / w.sun_full_hours, 0, 1)
    by_frac = np.clip(frac / w.sun_full_fraction, 0, 1)
    sun = np.fmax(by_hours, by_frac)
    tmax = _col(outlook, "tmax_f")
    temp = np.interp(
        tmax, [w.temp_zero_f, w.temp_good_f, w.temp_best_high_f, w.temp_hot_f], [0.0, 1.0, 1.0, w.hot_floor]
    )
    temp = np.where(np.isnan(tmax), np.nan, temp)
    wind_mph = _col(outlook, "wind_speed_max_mph")
    wind = np.clip((w.wind_zero_mph - wind_mph) / (w.wind_zero_mph - w.wind_calm_mph), 0, 1)
    prob = np.clip(_col(outlook, "precipitation_probability_pct") / 100.0, 0, 1)
    amount = np.clip(1.0 - _col(outlook, "precipitation_mm") / w.rain_mm_zero, 0, 1)
    rain = np.where(np.isnan(prob), amount, np.where(np.isnan(amount), 1.0 - prob, (1.0 - prob) * amount))
    if species_flying is not None and "date" in outlook:
        counts = pd.Series(
            species_flying.to_numpy(dtype=float), index=pd.DatetimeIndex(species_flying.index).normalize()
        )
        n = counts.reindex(pd.DatetimeIndex(outlook["date"]).normalize()).to_numpy()
        species = np.clip(n / w.species_full, 0, 1)
    else:
        species = np.full(len(outlook), np.nan)
    return pd.DataFrame(
        {
            "sun_score": sun,
            "temperature_score": temp,
            "wind_score": wind,
            "rain_score": rain,
            "species_score": species,
        },
        index=outlook.index,
    )


def _reason(row: pd.Series) -> str:
    parts = []
    if pd.notna(row.get("sunshine_h")):
        frac = row.get("sun_fraction")
        parts.append(
            f"{row['sunshine_h']:.1f} h sun" + (f" ({frac:.0%} of daylight)" if pd.notna(frac) else "")
        )
    if pd.notna(row.get("tmax_f")):
        parts.append(f"high {row['tmax_f']:.0f} °F")
    if pd.notna(row.get("wind_speed_max_mph")):
        parts.append(f"wind {row['wind_speed_max_mph']:.0f} mph")
    if pd.notna(row.get("precipitation_probability_pct")):
        parts.append(f"{row['precipitation_probability_pct']:.0f} % rain chance")
    if pd.notna(row.get("species_flying")):
        parts.append(f"{int(row['species_flying'])} species flying")
    scores = {c: row[f"{c}_score"] for c in COMPONENTS if pd.notna(row[f"{c}_score"])}
    idx = row["viewing_index"]
    grade = "excellent" if idx >= 80 else "good" if idx >= 60 else "fair" if idx >= 40 else "poor"
    line = f"{grade.capitalize()}: " + ", ".join(parts) if parts else grade.capitalize()
    if scores:
        worst = min(scores, key=scores.get)
        if scores[worst] < 0.5:
            line += f"; held back by {worst}"
    return line


def viewing_index(
    outlook: pd.DataFrame, species_flying: pd.Series | None = None, *, weights: ViewingWeights = WEIGHTS
) -> pd.DataFrame:
    """Copy of ``outlook`` with ``<component>_score`` columns, ``species_flying`` (when given),
    ``viewing_index`` (0-100), ``good_day_rule`` (baseline bool) and ``reason`` (one line)."""
    scores = component_scores(outlook, species_flying, weights)
    wvec = np.array([getattr(weights, c) for c in COMPONENTS])
    s = scores[[f"{c}_score" for c in COMPONENTS]].to_numpy()
    known = ~np.isnan(s)
    wsum = (known * wvec).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(wsum > 0, np.nansum(s * wvec, axis=1) / wsum, 0.0)
    limit = np.fmin(scores["temperature_score"].to_numpy(), scores["rain_score"].to_numpy())
    limit = np.where(np.isnan(limit), 1.0, limit)
    index = 100.0 * mean * (weights.limiting_floor + (1.0 - weights.limiting_floor) * limit)
    out = outlook.copy()
    for col in scores:
        out[col] = scores[col].to_numpy()
    if species_flying is not None and "date" in out:
        counts = pd.Series(
            species_flying.to_numpy(), index=pd.DatetimeIndex(species_flying.index).normalize()
        )
        out["species_flying"] = counts.reindex(pd.DatetimeIndex(out["date"]).normalize()).to_numpy()
    out["viewing_index"] = np.clip(index, 0.0, 100.0)
    sun_h = _col(out, "sunshine_h")
    day_h = _col(out, "daylight_h")
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(day_h > 0, sun_h / day_h, np.nan)
    out["good_day_rule"] = (sun_h >= weights.good_rule_hours) | (frac >= weights.good_rule_fraction)
    if "sun_fraction" not in out:
        out["sun_fraction"] = frac
    out["reason"] = [_reason(r) for _, r in out.iterrows()] if len(out) else []
    out.attrs["weights"] = asdict(weights)
    return out


def rank_days(scored: pd.DataFrame, *, top: int | None = None) -> pd.DataFrame:
    """Days sorted best first (ties: earlier date first) with a ``rank`` column 1..n; ``top`` keeps the first."""
    order = scored.sort_values(["viewing_index", "date"], ascending=[False, True], kind="stable")
    order = order.assign(rank=np.arange(1, len(order) + 1))
    return (order.head(top) if top else order).reset_index(drop=True)


def rank_place_days(scored_by_place: dict[str, pd.DataFrame], *, top: int | None = None) -> pd.DataFrame:
    """Every place × day ranked together (a ``place`` column first), best first."""
    if not scored_by_place:
        raise InvalidInput("scored_by_place", {}, "at least one place's scored days")
    frames = [f.assign(place=name) for name, f in scored_by_place.items()]
    joined = pd.concat(frames, ignore_index=True)
    joined = joined[["place"] + [c for c in joined.columns if c != "place"]]
    order = joined.sort_values(
        ["viewing_index", "date", "place"], ascending=[False, True, True], kind="stable"
    )
    order = order.assign(rank=np.arange(1, len(order) + 1))
    return (order.head(top) if top else order).reset_index(drop=True)
