"""Viewing index: hypothesis properties (monotone in sun and rain chance, bounded) and ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from butterfly_lib.analysis.viewing_index import WEIGHTS, rank_days, rank_place_days, viewing_index

finite = dict(allow_nan=False, allow_infinity=False)
day = st.fixed_dictionaries(
    {
        "sunshine_h": st.floats(0, 16, **finite),
        "daylight_h": st.floats(8, 16, **finite),
        "tmax_f": st.floats(20, 110, **finite),
        "wind_speed_max_mph": st.floats(0, 50, **finite),
        "precipitation_probability_pct": st.floats(0, 100, **finite),
        "precipitation_mm": st.floats(0, 30, **finite),
    }
)


def _one(d: dict, species: float | None = None) -> float:
    frame = pd.DataFrame([{**d, "date": pd.Timestamp("2025-06-01")}])
    flying = None if species is None else pd.Series([species], index=[pd.Timestamp("2025-06-01")])
    return float(viewing_index(frame, flying)["viewing_index"].iloc[0])


@settings(max_examples=150, deadline=None)
@given(day, st.floats(0, 16, **finite), st.one_of(st.none(), st.integers(0, 30)))
def test_more_sun_never_lowers_the_index(d, extra, species):
    more = {**d, "sunshine_h": min(d["sunshine_h"] + extra, d["daylight_h"] + extra)}
    assert _one(more, species) >= _one(d, species) - 1e-9


@settings(max_examples=150, deadline=None)
@given(day, st.floats(0, 100, **finite))
def test_higher_rain_probability_never_raises_the_index(d, p):
    lo, hi = sorted([d["precipitation_probability_pct"], p])
    assert (
        _one({**d, "precipitation_probability_pct": hi})
        <= _one({**d, "precipitation_probability_pct": lo}) + 1e-9
    )


@settings(max_examples=150, deadline=None)
@given(day, st.one_of(st.none(), st.integers(0, 40)))
def test_index_is_between_0_and_100(d, species):
    value = _one(d, species)
    assert 0.0 <= value <= 100.0


def _days() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.date_range("2025-06-01", periods=4),
            "sunshine_h": [10.0, 2.0, 1.0, 6.0],
            "daylight_h": [15.5, 15.5, 2.0, 15.5],
            "tmax_f": [78.0, 58.0, 75.0, 72.0],
            "wind_speed_max_mph": [5.0, 20.0, 5.0, 6.0],
            "precipitation_probability_pct": [5.0, 90.0, 10.0, 60.0],
            "precipitation_mm": [0.0, 12.0, 0.0, 1.0],
        }
    )


def test_components_reason_baseline_and_ranking():
    scored = viewing_index(_days())
    assert scored["viewing_index"].iloc[0] > 80  # sunny, 78 °F, calm, dry
    assert scored["viewing_index"].iloc[1] < 25  # cool, windy, wet
    assert (
        "held back by rain" in scored["reason"].iloc[1]
        or "held back by temperature" in scored["reason"].iloc[1]
    )
    assert scored["reason"].iloc[0].startswith("Excellent: 10.0 h sun (65% of daylight), high 78 °F")
    # the old rule: >= 3 h sun or >= 40 % of daylight (day 3 has 1 h of a 2 h day)
    assert scored["good_day_rule"].tolist() == [True, False, True, True]
    ranked = rank_days(scored, top=2)
    # day 3: half of its (short) daylight sunny, warm and dry; day 4: 60 % rain chance
    assert ranked["date"].tolist() == [pd.Timestamp("2025-06-01"), pd.Timestamp("2025-06-03")]
    assert ranked["rank"].tolist() == [1, 2]


def test_species_component_and_two_places():
    days = _days()
    flying = pd.Series([12, 0, 0, 0], index=days["date"])
    with_species = viewing_index(days, flying)
    assert with_species["species_flying"].tolist() == [12, 0, 0, 0]
    assert with_species["species_score"].iloc[0] == 1.0
    other = viewing_index(days.assign(sunshine_h=days["sunshine_h"] + 2))
    both = rank_place_days({"Portland": viewing_index(days), "Hood River": other})
    assert len(both) == 8 and both.columns[0] == "place"
    assert both["viewing_index"].is_monotonic_decreasing
    assert both["place"].iloc[0] == "Hood River"  # same day, more sun


def test_weights_live_in_one_documented_place():
    assert WEIGHTS.__doc__ and "Weights" in WEIGHTS.__doc__
    scored = viewing_index(_days())
    assert scored.attrs["weights"]["sun"] == WEIGHTS.sun
    assert np.isfinite(scored["viewing_index"]).all()
