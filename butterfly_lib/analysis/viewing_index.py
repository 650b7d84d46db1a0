"""Viewing index: how good each day is for seeing butterflies, 0-100, with its components and a reason.

Look here for ``viewing_index`` (score the days of a ``daily_outlook``), ``rank_days`` and
``rank_place_days`` (best days, or best place × day when several places are configured), ``protocol_met``
and ``WEIGHTS``: the one place where every weight and threshold lives (``ViewingWeights``).

Inputs: an outlook frame (``outlook.daily_outlook``: ``date, sunshine_h, daylight_h, tmax_f,
wind_speed_max_mph, precipitation_probability_pct, precipitation_mm`` and, when an ensemble was merged,
``tmax_c_p10/_p90`` and ``sunshine_h_p10/_p90``) and optionally ``species_flying``, a Series of the number of
species expected flying around each date (``phenology.place.species_flying``).

The protocol the thresholds come from
-------------------------------------
Butterflies are counted by the Pollard walk of the UK Butterfly Monitoring Scheme (Pollard 1977; Pollard &
Yates 1993, *Monitoring butterflies for ecology and conservation*), whose weather rules say when a count is
valid, i.e. when butterflies fly well enough to be seen: walk only when the shade temperature is at least
**13 °C with at least 60 % sunshine**, or at least **17 °C in any sunshine**; **not when it is raining**; wind
**at most force 5 on the Beaufort scale** (fresh breeze, up to 38 km/h). Sources consulted: the UKBMS transect
instructions as Butterfly Conservation's Hertfordshire & Middlesex branch states them
(hertsmiddx-butterflies.org.uk/recording_transect.php: "13C or greater with at least 60% sunshine ... If the
temperature is 17C or greater the amount of sunshine does not matter; wind speed no greater than 5 on the
Beaufort scale") and the ECN butterfly protocol built on it (BioTIME study 596: "13-17°C if sunshine is at least
60%, but if the temperature is above 17°C recording can be carried out in any conditions, providing that it is
not raining"). The walk's temperature is taken between 10:45 and 15:45; the day's forecast high stands in for
it here, and the day's share of sunny daylight for the walk's sunshine.

Method
------
Each component is scored 0-1 (``ViewingWeights`` holds every number):

- sun: the share of daylight forecast sunny (``sunshine_h / daylight_h``; by hours against
  ``sun_full_hours`` only when daylight is unknown). It keeps rising to 100 %, so a 97 % day ranks below a
  99 % one and days of broken cloud below clear ones; short winter days are not punished for their length;
- temperature: the day's high: 0 at ``temp_zero_c`` (10 °C), ``temp_cold_limit_score`` at the protocol's
  13 °C, 1 at its 17 °C and up to ``temp_hot_c`` (29.4 °C = 85 °F), then down to ``hot_floor`` at
  ``temp_hottest_c`` (37.8 °C = 100 °F; many species rest in the shade through the hottest hours). Heat is
  judged here only. ``hot_floor`` equals the score at 13 °C (0.3) and may not be set below it, so a very hot
  day is judged no worse than the coolest day the protocol still walks. The protocol gives 13 and 17 °C; the
  10 °C zero and the 85-100 °F decline are this project's choices;
- wind: ``1 - wind / wind_zero_kmh`` (twice force 5's upper limit), 0.5 at the end of force 5;
- rain: ``(1 - probability) * (1 - precipitation / rain_mm_zero)``, either factor alone when the other is
  unknown;
- species: ``n / (n + species_half)``, half at ``species_half`` species and still rising beyond, so a day
  with 30 species flying beats one with 12.

The index is ``100 * weighted mean of the known components * (limiting_floor + (1 - limiting_floor) * gate)``
where ``gate`` is how far the day meets the protocol's cold, rain and wind rules, the worst of:

- cold: ``ramp(high; 10 -> 13 °C) * max(ramp(high; 13 -> 17 °C), ramp(sun share; 0 -> 60 %))``: 1 from 17 °C
  in any sun and from 13 °C with 60 % sun, falling to 0 at 10 °C (a margin below the rule, so the score does not
  jump);
- rain: the rain component;
- wind: 1 up to force 5 (38 km/h), 0 at the end of force 6 (49 km/h).

Heat is not in the gate: a hot day is held back by its temperature component alone, not twice.

Unknown values are never filled: a missing wind speed drops the wind component from the mean (its weight is
shared by the others) and from the gate; a missing rain probability leaves the rain component to the forecast
amount alone (both missing: dropped); a missing sunshine share leaves the cold rule to the temperature alone.
Each day's ``reason`` says which values were unknown and how the index treated them, and whether the day meets
the protocol (``protocol_met``).

Ranking (``rank_days``) sorts by the index as shown (whole numbers), then by what a reader cares about when two
days look equally good: the shorter forecast lead time (``lead_days``: days after the outlook's first day, the
issue day), then the smaller ensemble spread where it is known (``ensemble_spread``: the 10-90 % range of the
members' sunshine as a share of daylight plus their high's range over 10 °C, averaged over what is known), then
the date.

Properties (tested with hypothesis): the index stays within 0-100, never falls when sunshine rises, never rises
when the rain probability rises, and a hot day never scores below an otherwise identical day at the protocol's
cold limit. ``good_day_rule`` reproduces the earlier planner's rule "good day = at least 3 h of sun or at least
40 % of daylight" as a baseline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput
from butterfly_lib.units import f_to_c

COMPONENTS = ("sun", "temperature", "wind", "rain", "species")
KMH_PER_MPH = 1.609344


@dataclass(frozen=True)
class ViewingWeights:
    """Weights of the components in the index, and the thresholds of each component's 0-1 curve.

    Weights (``sun``, ``temperature``, ``wind``, ``rain``, ``species``) are relative; they need not sum to 1.
    Temperatures in °C (the day's high; the protocol's own unit), wind in km/h (daily maximum), rain
    probability in % and amount in mm. ``limiting_floor``: how much of the score a day keeps when it fails the
    protocol's cold, rain or wind rule outright. Protocol thresholds: UK Butterfly Monitoring Scheme (see the
    module docstring).
    """

    sun: float = 0.35
    temperature: float = 0.25
    wind: float = 0.10
    rain: float = 0.20
    species: float = 0.10
    sun_full_hours: float = 12.0
    # UKBMS: at least 13 °C with at least 60 % sun, or at least 17 °C in any sun
    protocol_cold_c: float = 13.0
    protocol_sun_share: float = 0.60
    protocol_warm_c: float = 17.0
    temp_zero_c: float = 10.0
    temp_cold_limit_score: float = 0.3
    temp_hot_c: float = 29.4
    temp_hottest_c: float = 37.8
    hot_floor: float = 0.3
    # UKBMS: wind at most force 5 (fresh breeze, 29-38 km/h); force 6 ends at 49 km/h
    protocol_wind_kmh: float = 38.0
    wind_stop_kmh: float = 49.0
    wind_zero_kmh: float = 76.0
    rain_mm_zero: float = 5.0
    species_half: float = 10.0
    limiting_floor: float = 0.4
    good_rule_hours: float = 3.0
    good_rule_fraction: float = 0.4

    def __post_init__(self) -> None:
        for name in COMPONENTS:
            if not getattr(self, name) >= 0:
                raise InvalidInput(f"weight {name}", getattr(self, name), "a number >= 0")
        if not sum(getattr(self, n) for n in COMPONENTS) > 0:
            raise InvalidInput("weights", asdict(self), "at least one positive component weight")
        if not (
            self.temp_zero_c < self.protocol_cold_c < self.protocol_warm_c <= self.temp_hot_c < self.temp_hottest_c
        ):
            raise InvalidInput("temperature thresholds", asdict(self), "zero < cold < warm <= hot < hottest")
        if not 0 <= self.temp_cold_limit_score <= self.hot_floor <= 1:
            raise InvalidInput(
                "hot_floor", self.hot_floor, f"a number in [temp_cold_limit_score ({self.temp_cold_limit_score}), 1]"
            )
        if not 0 < self.protocol_wind_kmh < self.wind_stop_kmh and self.protocol_wind_kmh < self.wind_zero_kmh:
            raise InvalidInput("wind thresholds", asdict(self), "0 < protocol_wind_kmh < wind_stop_kmh, wind_zero_kmh")
        if not 0 <= self.limiting_floor <= 1:
            raise InvalidInput("limiting_floor", self.limiting_floor, "a number in [0, 1]")
        if not self.species_half > 0:
            raise InvalidInput("species_half", self.species_half, "a number > 0")


WEIGHTS = ViewingWeights()


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    return (
        pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
        if name in frame
        else np.full(len(frame), np.nan)
    )


def _ramp(x: np.ndarray, zero: float, one: float) -> np.ndarray:
    """0 at ``zero``, 1 at ``one``, linear between, clipped; NaN stays NaN."""
    return np.clip((x - zero) / (one - zero), 0.0, 1.0)


def _inputs(outlook: pd.DataFrame) -> dict[str, np.ndarray]:
    """The values the index reads, in its units (°C, km/h, share of daylight)."""
    sun_h = _col(outlook, "sunshine_h")
    day_h = _col(outlook, "daylight_h")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(day_h > 0, np.clip(sun_h / day_h, 0.0, 1.0), np.nan)
    tmax_c = f_to_c(_col(outlook, "tmax_f"))
    if "tmax_f" not in outlook and "tmax_c" in outlook:
        tmax_c = _col(outlook, "tmax_c")
    wind = _col(outlook, "wind_speed_max_mph") * KMH_PER_MPH
    if "wind_speed_max_mph" not in outlook and "wind_speed_max_kmh" in outlook:
        wind = _col(outlook, "wind_speed_max_kmh")
    return {
        "sun_h": sun_h,
        "share": share,
        "tmax_c": tmax_c,
        "wind_kmh": wind,
        "prob": np.clip(_col(outlook, "precipitation_probability_pct") / 100.0, 0.0, 1.0),
        "rain_mm": _col(outlook, "precipitation_mm"),
    }


def _temperature_score(tmax_c: np.ndarray, w: ViewingWeights) -> np.ndarray:
    xs = [w.temp_zero_c, w.protocol_cold_c, w.protocol_warm_c, w.temp_hot_c, w.temp_hottest_c]
    ys = [0.0, w.temp_cold_limit_score, 1.0, 1.0, w.hot_floor]
    return np.where(np.isnan(tmax_c), np.nan, np.interp(tmax_c, xs, ys))


def _species_counts(outlook: pd.DataFrame, species_flying: pd.Series | None) -> np.ndarray:
    if species_flying is None or "date" not in outlook:
        return np.full(len(outlook), np.nan)
    counts = pd.Series(
        species_flying.to_numpy(dtype=float), index=pd.DatetimeIndex(species_flying.index).normalize()
    )
    return counts.reindex(pd.DatetimeIndex(outlook["date"]).normalize()).to_numpy()


def _rain_score(x: dict[str, np.ndarray], w: ViewingWeights) -> np.ndarray:
    amount = np.clip(1.0 - x["rain_mm"] / w.rain_mm_zero, 0.0, 1.0)
    prob = x["prob"]
    return np.where(np.isnan(prob), amount, np.where(np.isnan(amount), 1.0 - prob, (1.0 - prob) * amount))


def _scores(x: dict[str, np.ndarray], n: np.ndarray, w: ViewingWeights) -> dict[str, np.ndarray]:
    sun = np.where(np.isnan(x["share"]), np.clip(x["sun_h"] / w.sun_full_hours, 0.0, 1.0), x["share"])
    wind = np.clip(1.0 - x["wind_kmh"] / w.wind_zero_kmh, 0.0, 1.0)
    rain = _rain_score(x, w)
    with np.errstate(invalid="ignore"):
        species = np.where(np.isnan(n), np.nan, np.maximum(n, 0.0) / (np.maximum(n, 0.0) + w.species_half))
    return {
        "sun_score": sun,
        "temperature_score": _temperature_score(x["tmax_c"], w),
        "wind_score": wind,
        "rain_score": rain,
        "species_score": species,
    }


def _gates(x: dict[str, np.ndarray], rain_score: np.ndarray, w: ViewingWeights) -> dict[str, np.ndarray]:
    warm = _ramp(x["tmax_c"], w.protocol_cold_c, w.protocol_warm_c)
    sunny = _ramp(x["share"], 0.0, w.protocol_sun_share)
    cold = _ramp(x["tmax_c"], w.temp_zero_c, w.protocol_cold_c) * np.fmax(warm, sunny)
    wind = np.where(np.isnan(x["wind_kmh"]), np.nan, 1.0 - _ramp(x["wind_kmh"], w.protocol_wind_kmh, w.wind_stop_kmh))
    return {"cold_gate": cold, "rain_gate": rain_score, "wind_gate": wind}


def _met(x: dict[str, np.ndarray], w: ViewingWeights) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        warm = (x["tmax_c"] >= w.protocol_warm_c) | (
            (x["tmax_c"] >= w.protocol_cold_c) & (x["share"] >= w.protocol_sun_share)
        )
        dry = ~(x["prob"] >= 0.5) & ~(x["rain_mm"] >= 1.0)
        calm = ~(x["wind_kmh"] > w.protocol_wind_kmh)
    return np.asarray(warm & dry & calm)


def component_scores(
    outlook: pd.DataFrame, species_flying: pd.Series | None = None, weights: ViewingWeights = WEIGHTS
) -> pd.DataFrame:
    """The five component scores (0-1, NaN when unknown) of each day: columns ``<component>_score``."""
    return pd.DataFrame(
        _scores(_inputs(outlook), _species_counts(outlook, species_flying), weights), index=outlook.index
    )


def protocol_gates(outlook: pd.DataFrame, weights: ViewingWeights = WEIGHTS) -> pd.DataFrame:
    """How far each day meets the protocol's cold, rain and wind rules (0-1; NaN when unknown)."""
    x = _inputs(outlook)
    return pd.DataFrame(_gates(x, _rain_score(x, weights), weights), index=outlook.index)


def protocol_met(outlook: pd.DataFrame, weights: ViewingWeights = WEIGHTS) -> pd.Series:
    """Whether each day meets the UKBMS walk rules on what is known (unknown wind or rain: not held against it).

    At least 13 °C with at least 60 % of daylight sunny, or at least 17 °C; no rain expected (probability
    below 50 % where known, under 1 mm where known); wind at most Beaufort 5 where known.
    """
    return pd.Series(_met(_inputs(outlook), weights), index=outlook.index, name="protocol_met")


def _lead_days(outlook: pd.DataFrame) -> np.ndarray:
    if "lead_days" in outlook:
        return _col(outlook, "lead_days")
    if "date" not in outlook or not len(outlook):
        return np.full(len(outlook), np.nan)
    days = pd.DatetimeIndex(pd.to_datetime(outlook["date"])).normalize()
    return np.asarray((days - days.min()) / pd.Timedelta(days=1), dtype=float)


def _ensemble_spread(outlook: pd.DataFrame) -> np.ndarray:
    """Mean of the known normalised spreads: sunshine p90 - p10 over daylight, high p90 - p10 over 10 °C."""
    day_h = _col(outlook, "daylight_h")
    with np.errstate(divide="ignore", invalid="ignore"):
        sun = (_col(outlook, "sunshine_h_p90") - _col(outlook, "sunshine_h_p10")) / np.where(day_h > 0, day_h, np.nan)
    temp = (_col(outlook, "tmax_c_p90") - _col(outlook, "tmax_c_p10")) / 10.0
    both = np.vstack([sun, temp])
    known = (~np.isnan(both)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known > 0, np.nansum(both, axis=0) / np.maximum(known, 1), np.nan)


def _unknowns(row: pd.Series) -> list[str]:
    notes = []
    if pd.isna(row.get("wind_speed_max_mph")):
        notes.append("wind unknown (left out of the index)")
    prob_missing = pd.isna(row.get("precipitation_probability_pct"))
    mm_missing = pd.isna(row.get("precipitation_mm"))
    if prob_missing and mm_missing:
        notes.append("rain unknown (left out of the index)")
    elif prob_missing:
        notes.append("rain chance unknown (the index used the forecast amount only)")
    elif mm_missing:
        notes.append("rain amount unknown (the index used the rain chance only)")
    if pd.isna(row.get("sun_fraction")) and pd.notna(row.get("sunshine_h")):
        notes.append("daylight unknown (sun judged by hours)")
    return notes


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
        worst = min(scores, key=scores.__getitem__)
        if scores[worst] < 0.5:
            line += f"; held back by {worst}"
    line += "; meets the UKBMS walk conditions" if row["protocol_met"] else "; below the UKBMS walk conditions"
    unknown = _unknowns(row)
    if unknown:
        line += "; " + "; ".join(unknown)
    return line


def viewing_index(
    outlook: pd.DataFrame, species_flying: pd.Series | None = None, *, weights: ViewingWeights = WEIGHTS
) -> pd.DataFrame:
    """Copy of ``outlook`` with ``<component>_score`` columns, the protocol gates, ``species_flying`` (when
    given), ``viewing_index`` (0-100), ``protocol_met``, ``lead_days``, ``ensemble_spread``, ``good_day_rule``
    (baseline bool) and ``reason`` (one line)."""
    x = _inputs(outlook)
    n = _species_counts(outlook, species_flying)
    scores = _scores(x, n, weights)
    gates = _gates(x, scores["rain_score"], weights)
    wvec = np.array([getattr(weights, c) for c in COMPONENTS])
    s = np.column_stack([scores[f"{c}_score"] for c in COMPONENTS])
    known = ~np.isnan(s)
    wsum = (known * wvec).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(wsum > 0, np.nansum(s * wvec, axis=1) / wsum, 0.0)
    gate = np.fmin(np.fmin(gates["cold_gate"], gates["rain_gate"]), gates["wind_gate"])
    gate = np.where(np.isnan(gate), 1.0, gate)
    index = 100.0 * mean * (weights.limiting_floor + (1.0 - weights.limiting_floor) * gate)
    added: dict[str, np.ndarray] = {**scores, **gates}
    if species_flying is not None and "date" in outlook:
        added["species_flying"] = n
    added["viewing_index"] = np.clip(index, 0.0, 100.0)
    added["protocol_met"] = _met(x, weights)
    added["lead_days"] = _lead_days(outlook)
    added["ensemble_spread"] = _ensemble_spread(outlook)
    added["good_day_rule"] = (x["sun_h"] >= weights.good_rule_hours) | (x["share"] >= weights.good_rule_fraction)
    if "sun_fraction" not in outlook:
        added["sun_fraction"] = x["share"]
    # one concat instead of a column insert each: columns the outlook already has are replaced where they stand
    out = outlook.copy()
    attrs = out.attrs
    for col in [c for c in added if c in out]:
        out[col] = added.pop(col)
    out = pd.concat([out, pd.DataFrame(added, index=outlook.index)], axis=1)
    out.attrs = attrs
    out["reason"] = [_reason(r) for _, r in out.iterrows()] if len(out) else []
    out.attrs["weights"] = asdict(weights)
    return out


def _rank_order(frame: pd.DataFrame, first: list[str]) -> pd.DataFrame:
    keyed = frame.assign(
        _shown=frame["viewing_index"].round(0),
        _lead=frame["lead_days"] if "lead_days" in frame else _lead_days(frame),
        _spread=frame["ensemble_spread"] if "ensemble_spread" in frame else _ensemble_spread(frame),
    )
    by = ["_shown", "_lead", "_spread", "viewing_index", "date", *first]
    order = keyed.sort_values(
        by, ascending=[False, True, True, False, True] + [True] * len(first), kind="stable", na_position="last"
    )
    return order.drop(columns=["_shown", "_lead", "_spread"])


def rank_days(scored: pd.DataFrame, *, top: int | None = None) -> pd.DataFrame:
    """Days sorted best first with a ``rank`` column 1..n; ``top`` keeps the first.

    Order: the index as shown (whole numbers), then shorter lead time, then smaller ensemble spread (unknown
    last), then the exact index, then the earlier date (see the module docstring).
    """
    order = _rank_order(scored, [])
    order = order.assign(rank=np.arange(1, len(order) + 1))
    return (order.head(top) if top else order).reset_index(drop=True)


def rank_place_days(scored_by_place: dict[str, pd.DataFrame], *, top: int | None = None) -> pd.DataFrame:
    """Every place × day ranked together (a ``place`` column first), best first, in ``rank_days``' order."""
    if not scored_by_place:
        raise InvalidInput("scored_by_place", {}, "at least one place's scored days")
    frames = [f.assign(place=name) for name, f in scored_by_place.items()]
    joined = pd.concat(frames, ignore_index=True)
    joined = joined[["place"] + [c for c in joined.columns if c != "place"]]
    order = _rank_order(joined, ["place"])
    order = order.assign(rank=np.arange(1, len(order) + 1))
    return (order.head(top) if top else order).reset_index(drop=True)
