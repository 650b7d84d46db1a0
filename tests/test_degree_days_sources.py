"""Degree days straight from source frames: one conversion for Open-Meteo (°C) and NOAA (°F) frames."""

import warnings

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.analysis.degree_days import season_cum_dd, source_degree_days, temperature_frame
from butterfly_lib.errors import InvalidInput
from butterfly_lib.settings import DegreeDays


def _om(days, tmax_c, tmin_c, tz="America/Los_Angeles"):
    return pd.DataFrame(
        {"date": pd.date_range(days[0], days[1], tz=tz), "tmax_c": tmax_c, "tmin_c": tmin_c}
    )


def test_celsius_frame_in_fahrenheit_and_back():
    om = _om(("2026-06-01", "2026-06-02"), [30.0, 20.0], [10.0, 5.0])
    f = temperature_frame(om, "F")
    assert f["tmax"].tolist() == [86.0, 68.0] and f["tmin"].tolist() == [50.0, 41.0]
    assert f["date"].dt.tz is None and str(f["date"].iloc[0].date()) == "2026-06-01"
    noaa = pd.DataFrame({"date": f["date"], "tmax_f": f["tmax"], "tmin_f": f["tmin"]})
    c = temperature_frame(noaa, "C")
    np.testing.assert_allclose(c["tmax"], [30.0, 20.0]) and np.testing.assert_allclose(c["tmin"], [10.0, 5.0])


def test_same_degree_days_from_either_source_after_conversion():
    om = _om(("2026-06-01", "2026-06-10"), np.linspace(15, 33, 10), np.linspace(5, 18, 10))
    f_frame = temperature_frame(om, "F")
    noaa = pd.DataFrame({"date": f_frame["date"], "tmax_f": f_frame["tmax"], "tmin_f": f_frame["tmin"]})
    a = source_degree_days(om, DegreeDays(50, 86, "single-sine"))
    b = source_degree_days(noaa, DegreeDays(50, 86, "single-sine"))
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())
    c = source_degree_days(om, DegreeDays(10, 30, "single-sine", units="C"))
    np.testing.assert_allclose(a.to_numpy(), 1.8 * c.to_numpy(), atol=1e-9)


def test_season_starts_at_the_next_biofix_and_real_gaps_warn():
    days = pd.date_range("2019-03-10", "2021-12-31")
    frame = pd.DataFrame({"date": days, "tmax_f": 70.0, "tmin_f": 50.0})  # 10 °F·days a day (modified average)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cum = season_cum_dd(frame, DegreeDays())
    assert cum.index[0] == pd.Timestamp("2020-01-01") and cum.loc["2020-01-10"] == pytest.approx(100.0)
    gappy = frame.drop(index=frame.index[(days >= "2021-05-01") & (days <= "2021-05-09")])
    with pytest.warns(UserWarning, match="2021-05-01"):
        cum = season_cum_dd(gappy, DegreeDays())
    assert np.isnan(cum.loc["2021-06-01"]) and cum.loc["2020-06-01"] == pytest.approx(1530.0)


def test_frame_without_temperatures_is_refused():
    with pytest.raises(InvalidInput, match="tmax_c/tmin_c .Open-Meteo. or tmax_f/tmin_f"):
        temperature_frame(pd.DataFrame({"date": ["2026-01-01"], "t": [1.0]}), "F")
