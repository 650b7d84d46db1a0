"""``butterfly_lib.units``: the one place where °C and °F meet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.errors import InvalidInput
from butterfly_lib.units import (
    c_to_f,
    convert_degree_days,
    convert_temperature,
    f_to_c,
    from_celsius,
    temperature_columns,
    temperatures_in,
)


def test_fixed_points():
    assert c_to_f(0.0) == 32.0 and c_to_f(100.0) == 212.0 and c_to_f(-40.0) == -40.0
    assert f_to_c(32.0) == 0.0 and f_to_c(212.0) == 100.0 and f_to_c(-40.0) == -40.0


def test_round_trip_keeps_type_and_missing_values():
    c = np.array([-12.5, 0.0, np.nan, 31.7])
    back = f_to_c(c_to_f(c))
    np.testing.assert_allclose(back, c, equal_nan=True)
    s = pd.Series([10.0, None], index=["a", "b"])
    out = c_to_f(s)
    assert isinstance(out, pd.Series) and list(out.index) == ["a", "b"] and out["a"] == 50.0 and np.isnan(out["b"])


def test_from_celsius():
    np.testing.assert_allclose(from_celsius(pd.Series([0.0, 20.0]), "F"), [32.0, 68.0])
    np.testing.assert_allclose(from_celsius([0.0, 20.0], "C"), [0.0, 20.0])
    assert from_celsius(5, "C").dtype == float


def test_convert_temperature_and_bad_units():
    assert convert_temperature(50.0, "F", "C") == 10.0
    assert convert_temperature(10.0, "C", "F") == 50.0
    assert convert_temperature(7.0, "C", "C") == 7.0
    with pytest.raises(InvalidInput, match="'K'"):
        convert_temperature(1.0, "K", "F")


def test_degree_days_scale_without_offset():
    assert convert_degree_days(100.0, "C", "F") == pytest.approx(180.0)
    assert convert_degree_days(180.0, "F", "C") == pytest.approx(100.0)
    assert convert_degree_days(3.0, "F", "F") == 3.0


def test_temperature_columns():
    c = pd.DataFrame({"tmax_c": [20.0], "tmin_c": [10.0]})
    f = pd.DataFrame({"tmax_f": [68.0], "tmin_f": [50.0]})
    assert temperature_columns(c) == ("tmax_c", "tmin_c", "C")
    assert temperature_columns(f) == ("tmax_f", "tmin_f", "F")
    hi, lo = temperatures_in(f, "C")
    np.testing.assert_allclose([hi[0], lo[0]], [20.0, 10.0])
    with pytest.raises(InvalidInput, match="tmax_c"):
        temperature_columns(pd.DataFrame({"t": [1.0]}))
