"""Viewing index: hypothesis properties (monotone in sun, rain chance and species, bounded, heat never below the
protocol's cold limit), the UKBMS protocol rules, unknown values, and ranking on the real snapshot forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from butterfly_lib.analysis.outlook import daily_outlook
from butterfly_lib.analysis.viewing_index import (
    WEIGHTS,
    protocol_met,
    rank_days,
    rank_place_days,
    viewing_index,
)
from butterfly_lib.http import build_session
from butterfly_lib.http.snapshot import seed_cache
from butterfly_lib.presentation import page_tables
from butterfly_lib.settings import DEFAULT_ENDPOINTS, PROJECT_ROOT, HttpSettings
from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND
from butterfly_lib.sources.open_meteo import ensemble, forecast_daily

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
    assert with_species["species_score"].iloc[0] == pytest.approx(12 / 22)  # n / (n + 10): no saturation
    assert with_species["species_score"].iloc[1] == 0.0
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


# ---- issue 13: protocol thresholds, heat, separation, unknowns ------------------------------------------------

SUMMER = {"sunshine_h": 15.5, "daylight_h": 15.6, "precipitation_probability_pct": 0.0, "precipitation_mm": 0.0,
          "wind_speed_max_mph": 0.0}


def _f(c: float) -> float:
    return c * 1.8 + 32.0


@settings(max_examples=200, deadline=None)
@given(
    st.floats(17, 45, **finite),
    st.floats(0.6, 1.0, **finite),
    st.one_of(st.none(), st.integers(0, 60)),
    st.booleans(),
)
def test_heat_never_scores_below_the_protocols_cold_limit(hot_c, share, species, wind_known):
    """An otherwise perfect day at any heat scores at least what it scores at 13 °C (the walk's cold limit)."""
    day = {**SUMMER, "sunshine_h": share * 15.6}
    if not wind_known:
        day["wind_speed_max_mph"] = float("nan")
    assert _one({**day, "tmax_f": _f(hot_c)}, species) >= _one({**day, "tmax_f": _f(13.0)}, species) - 1e-9


@settings(max_examples=150, deadline=None)
@given(day, st.integers(0, 60), st.integers(0, 60))
def test_more_species_never_lowers_the_index(d, a, b):
    lo, hi = sorted([a, b])
    assert _one(d, hi) >= _one(d, lo) - 1e-9


@settings(max_examples=150, deadline=None)
@given(day, st.floats(-5, 17, **finite), st.floats(0, 22, **finite))
def test_warming_towards_17_c_never_lowers_the_index(d, c, rise):
    warmer = min(c + rise, 17.0)
    assert _one({**d, "tmax_f": _f(warmer)}) >= _one({**d, "tmax_f": _f(c)}) - 1e-9


def test_heat_is_not_penalised_twice():
    """Issue 13: a sunny 100 °F day scored 46.7 ("fair") below a 68 °F day with 59 % sun (80.5)."""
    frame = pd.DataFrame([
        {**SUMMER, "date": pd.Timestamp("2026-06-01"), "tmax_f": 100.0},
        {**SUMMER, "date": pd.Timestamp("2026-06-02"), "tmax_f": 68.0, "sunshine_h": 0.59 * 15.6},
    ])  # fmt: skip
    scored = viewing_index(frame)
    hot, mild = scored.iloc[0], scored.iloc[1]
    assert hot["cold_gate"] == 1.0 and hot["viewing_index"] >= 75 and not hot["reason"].startswith(("Fair", "Poor"))
    assert "held back by temperature" in hot["reason"]
    # heat acts through the temperature component only: no gate, so the index is the weighted mean itself
    w = WEIGHTS
    mean = (w.sun * hot["sun_score"] + w.temperature * hot["temperature_score"] + w.wind * hot["wind_score"]
            + w.rain * hot["rain_score"]) / (w.sun + w.temperature + w.wind + w.rain)  # fmt: skip
    assert hot["viewing_index"] == pytest.approx(100 * mean)
    assert mild["protocol_met"] and mild["viewing_index"] > hot["viewing_index"] - 10


@pytest.mark.parametrize(
    ("high_c", "share", "changes", "met"),
    [
        (13.0, 0.60, {}, True),  # the cold limit with enough sun
        (12.9, 1.00, {}, False),  # below 13 °C however sunny
        (13.0, 0.59, {}, False),  # 13-17 °C needs 60 % sun
        (16.9, 0.59, {}, False),
        (17.0, 0.00, {}, True),  # from 17 °C any sunshine
        (20.0, 0.30, {"precipitation_probability_pct": 80.0}, False),  # rain expected
        (20.0, 0.30, {"precipitation_mm": 4.0}, False),
        (20.0, 0.80, {"wind_speed_max_mph": 39.0 / 1.609344}, False),  # Beaufort 6
        (20.0, 0.80, {"wind_speed_max_mph": 38.0 / 1.609344}, True),  # Beaufort 5, the protocol's limit
        (20.0, 0.80, {"wind_speed_max_mph": float("nan"), "precipitation_probability_pct": float("nan")}, True),
    ],
)
def test_ukbms_walk_conditions(high_c, share, changes, met):
    frame = pd.DataFrame([{**SUMMER, "date": pd.Timestamp("2026-06-01"), "tmax_f": _f(high_c),
                           "sunshine_h": share * 15.6, **changes}])  # fmt: skip
    assert bool(protocol_met(frame).iloc[0]) is met
    scored = viewing_index(frame)
    assert scored["reason"].iloc[0].endswith(
        "meets the UKBMS walk conditions" if met else "below the UKBMS walk conditions"
    ) or "unknown" in scored["reason"].iloc[0]
    if not met and high_c < 17 and not changes:
        assert scored["cold_gate"].iloc[0] < 1


def test_unknown_wind_and_rain_chance_are_said_and_not_filled():
    frame = pd.DataFrame([
        {**SUMMER, "date": pd.Timestamp("2026-06-01"), "tmax_f": 75.0, "wind_speed_max_mph": float("nan"),
         "precipitation_probability_pct": float("nan"), "precipitation_mm": 0.0},
        {**SUMMER, "date": pd.Timestamp("2026-06-02"), "tmax_f": 75.0, "wind_speed_max_mph": float("nan"),
         "precipitation_probability_pct": float("nan"), "precipitation_mm": float("nan")},
    ])  # fmt: skip
    scored = viewing_index(frame)
    assert np.isnan(scored["wind_score"]).all() and np.isnan(scored["wind_gate"]).all()
    assert scored["rain_score"].iloc[0] == 1.0 and np.isnan(scored["rain_score"].iloc[1])
    first, second = scored["reason"]
    assert "wind unknown (left out of the index)" in first
    assert "rain chance unknown (the index used the forecast amount only)" in first
    assert "rain unknown (left out of the index)" in second
    assert np.isnan(scored["wind_speed_max_mph"]).all()  # never filled
    table = str(page_tables.outlook_table(scored.assign(tmin_f=55.0, weather="Clear")))
    assert table.count("unknown") >= 4 and "chance unknown" in table


@pytest.fixture(scope="module")
def snapshot_outlook(tmp_path_factory):
    """The real Open-Meteo forecast issued 2026-06-13 and its (simulated) ensemble, from the bundled snapshot."""
    cache = tmp_path_factory.mktemp("snapshot") / "snapshot.sqlite"
    seed_cache(cache, PROJECT_ROOT / "data" / "snapshot")
    session = build_session(HttpSettings(cache, offline=True, endpoints=tuple(DEFAULT_ENDPOINTS.items())))
    try:
        outlook = daily_outlook(forecast_daily(PORTLAND, session=session), ensemble(PORTLAND, session=session))
    finally:
        session.close()
    return outlook


def test_real_forecast_days_are_separated_and_ties_go_to_the_nearer_surer_day(snapshot_outlook):
    """The 2026-06-13 forecast: five of sixteen days scored 100 before; now no day does, and days the page shows
    with the same whole-number index are ranked by lead time, then ensemble spread."""
    flying = pd.Series(np.linspace(12, 30, len(snapshot_outlook)).round(), index=snapshot_outlook["date"])
    scored = viewing_index(snapshot_outlook, flying)
    assert len(scored) == 16 and scored["viewing_index"].max() < 100
    assert (scored["viewing_index"].round(0) == scored["viewing_index"].round(0).max()).sum() <= 2
    assert scored["viewing_index"].round(0).nunique() >= 8
    assert scored["lead_days"].tolist() == list(range(16)) and scored["ensemble_spread"].notna().all()
    ranked = rank_days(scored)
    shown = ranked["viewing_index"].round(0)
    assert shown.is_monotonic_decreasing
    for _, group in ranked.groupby(shown, sort=False):
        assert group["lead_days"].is_monotonic_increasing
    # the hottest day (100 °F on 2026-06-24) is "good", held back by temperature, not dragged to "fair"
    hot = scored.loc[scored["tmax_f"].idxmax()]
    assert hot["tmax_f"] > 100 and 70 <= hot["viewing_index"] < 80 and hot["reason"].startswith("Good")
    assert all("wind unknown" in r for r in scored["reason"])  # the snapshot has no wind: said, not filled


def test_ties_in_the_shown_index_fall_to_the_smaller_ensemble_spread():
    days = pd.DataFrame({
        "date": pd.date_range("2026-06-01", periods=3), "sunshine_h": 15.0, "daylight_h": 15.5, "tmax_f": 75.0,
        "precipitation_mm": 0.0, "lead_days": [2, 2, 1],
        "tmax_c_p10": [20.0, 22.0, 18.0], "tmax_c_p90": [30.0, 26.0, 32.0],
    })  # fmt: skip
    ranked = rank_days(viewing_index(days))
    assert ranked["date"].dt.day.tolist() == [3, 2, 1]  # nearest first, then the surer of the two
