"""Statuses and windows on hand-made cases: one status per species, the calendar species' rules, censoring
never shown as a date, windows never one day."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.analysis.phenology import STATUSES, season_windows, species_status
from butterfly_lib.analysis.phenology.windows import WINDOW_COLUMNS


def _window(name, brood, start, end, *, n_broods=1, method="calendar", peak=None, censored_start=False, reason=""):
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    row = {c: np.nan for c in WINDOW_COLUMNS}
    row.update({
        "scientific_name": name, "common_name": name, "taxon_id": 1, "brood": brood, "n_broods": n_broods,
        "method": method, "start": start, "end": end, "peak": peak or start + (end - start) / 2,
        "start_earliest": start - pd.Timedelta(days=5), "start_latest": start + pd.Timedelta(days=5),
        "end_earliest": end - pd.Timedelta(days=5), "end_latest": end + pd.Timedelta(days=5),
        "dd_p10": 100.0, "dd_p50": 200.0, "dd_p90": 300.0, "n": 40, "n_eff": 20.0, "n_years": 8,
        "censored_start": censored_start, "censored_peak": False, "censored_end": False, "censor_reason": reason,
        "widened": False, "flight_months": "", "note": "",
    })  # fmt: skip
    return row


def _status(rows, as_of):
    w = pd.DataFrame(rows)
    w.attrs["min_window_days"] = 7
    return species_status(w, as_of).set_index("scientific_name")


def test_adult_overwinterers_are_never_season_over_in_their_flight_months():
    rows = [_window("Nymphalis antiopa", 1, "2026-03-01", "2026-04-20", n_broods=2),
            _window("Nymphalis antiopa", 2, "2026-06-25", "2026-07-30", n_broods=2),
            _window("Polygonia satyrus", 1, "2026-02-20", "2026-05-30")]  # fmt: skip
    st = _status(rows, "2026-06-13")
    assert st.loc["Nymphalis antiopa", "status"] == "expected soon"
    assert st.loc["Polygonia satyrus", "status"] == "late in season"  # flies Feb-Oct (species table)
    assert _status(rows, "2026-05-20").loc["Nymphalis antiopa", "status"] == "between broods"
    assert _status(rows, "2026-11-20").loc["Nymphalis antiopa", "status"] == "overwintering"
    assert _status(rows, "2026-02-10").loc["Nymphalis antiopa", "status"] == "expected soon"
    assert _status(rows, "2026-01-20").loc["Nymphalis antiopa", "status"] == "overwintering"


def test_migrants_and_degree_day_species():
    rows = [_window("Vanessa cardui", 1, "2026-05-01", "2026-06-01"),
            _window("Papilio rutulus", 1, "2026-04-20", "2026-06-05", method="degree days"),
            _window("Ochlodes sylvanoides", 1, "2026-08-01", "2026-09-10", method="degree days")]  # fmt: skip
    st = _status(rows, "2026-06-13")
    assert st.loc["Vanessa cardui", "status"] == "late in season"  # its flight months run to October
    assert st.loc["Papilio rutulus", "status"] == "late in season"  # flies April-August (Butterflies of Oregon)
    assert st.loc["Ochlodes sylvanoides", "status"] == "later"
    assert _status(rows, "2026-09-20").loc["Papilio rutulus", "status"] == "season over"
    assert _status(rows, "2026-07-25").loc["Ochlodes sylvanoides", "status"] == "expected soon"


def test_one_status_per_species_and_text_says_what_it_rests_on():
    rows = [_window("Strymon melinus", 1, "2026-04-15", "2026-05-20", n_broods=2, method="degree days"),
            _window("Strymon melinus", 2, "2026-07-10", "2026-08-20", n_broods=2, method="degree days")]  # fmt: skip
    st = _status(rows, "2026-06-13")
    assert len(st) == 1 and st.iloc[0]["status"] in STATUSES
    text = st.iloc[0]["status_text"]
    assert "degree days" in text and "40 sightings over 8 years" in text and "effective sample size 20" in text
    assert "Pyle 2002" in text


def test_a_censored_onset_is_never_shown_as_a_date():
    rows = [_window("Papilio rutulus", 1, "2026-06-20", "2026-07-30", method="degree days", censored_start=True,
                    reason="onset: within 14 days of a sampling gap (2026-06-01 – 2026-06-14)")]  # fmt: skip
    st = _status(rows, "2026-06-13")
    text = st.iloc[0]["status_text"]
    assert "Jun 20" not in text and "not known" in text and "sampling gap" in text


def test_season_windows_from_pooled_estimates_are_never_a_single_day():
    pooled = []
    for scale, vals in (("dd", (500.0, 502.0, 504.0)), ("doy", (130.0, 130.5, 131.0))):
        for p, v in zip((10, 50, 90), vals, strict=True):
            pooled.append({"scientific_name": "Papilio rutulus", "common_name": "WTS", "taxon_id": 1, "brood": 1,
                           "year": pd.NA, "scale": scale, "percentile": p, "estimate": v, "ci_low": v - 1,
                           "ci_high": v + 1, "date": pd.NaT, "n": 12, "n_eff": 6.0, "n_years": 4,
                           "censored": False, "censor_reason": "", "effort_corrected": True})  # fmt: skip
    days = pd.date_range("2026-01-01", "2026-12-31")
    proj = pd.DataFrame({"date": days, "cum_dd_low": np.arange(365) * 4.0, "cum_dd_mid": np.arange(365) * 5.0,
                         "cum_dd_high": np.arange(365) * 6.0, "part": "normal"})  # fmt: skip
    proj.attrs["as_of"] = pd.Timestamp("2026-03-01")
    win = season_windows(pd.DataFrame(pooled), proj)
    r = win.iloc[0]
    assert r["widened"] and (r["end"] - r["start"]).days == 6
    assert r["start"] <= r["peak"] <= r["end"]
    assert r["method"] == "degree days" and r["n"] == 12


@pytest.mark.parametrize("bad", [{"soon_days": -1}])
def test_bad_arguments(bad):
    with pytest.raises(ValueError):
        species_status(pd.DataFrame([_window("A b", 1, "2026-01-01", "2026-02-01")]), "2026-01-10", **bad)
