"""Temperature and degree-day unit arithmetic: the one place where °C and °F meet.

Look here to convert a temperature, a temperature difference or a degree-day total between °C and °F, or to
put a source's temperature columns (``tmax_c``/``tmin_c`` from Open-Meteo, ``tmax_f``/``tmin_f`` from NOAA) into
the units a page shows. Every degree-day method is linear in a change of scale when the thresholds are converted
too, so °F·days = 1.8 × °C·days exactly.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput

T = TypeVar("T", float, np.ndarray, pd.Series)

F_PER_C = 1.8


def c_to_f(celsius: T) -> T:
    return celsius * F_PER_C + 32.0


def f_to_c(fahrenheit: T) -> T:
    return (fahrenheit - 32.0) / F_PER_C


def from_celsius(celsius: object, units: str) -> np.ndarray:
    """°C values (a Series, an array, a list or a number) as a float array in the page's units: °F when ``units``
    is ``"F"``, else unchanged."""
    c = np.asarray(celsius, dtype=float)
    return c_to_f(c) if units == "F" else c


def convert_temperature(value: T, from_units: str, to_units: str) -> T:
    """A temperature in ``from_units`` ("F" or "C") expressed in ``to_units``."""
    for name, u in (("from_units", from_units), ("to_units", to_units)):
        if u not in ("F", "C"):
            raise InvalidInput(name, u, "F | C")
    if from_units == to_units:
        return value
    return c_to_f(value) if to_units == "F" else f_to_c(value)


def convert_degree_days(value: T, from_units: str, to_units: str) -> T:
    """Degree days (or any temperature difference) in ``from_units`` expressed in ``to_units``."""
    if from_units == to_units:
        return value
    return value * F_PER_C if to_units == "F" else value / F_PER_C


def temperature_columns(frame: pd.DataFrame) -> tuple[str, str, str]:
    """``(tmax column, tmin column, their units)`` of a source frame: ``tmax_c``/``tmin_c`` or ``tmax_f``/``tmin_f``."""
    if {"tmax_c", "tmin_c"} <= set(frame.columns):
        return "tmax_c", "tmin_c", "C"
    if {"tmax_f", "tmin_f"} <= set(frame.columns):
        return "tmax_f", "tmin_f", "F"
    raise InvalidInput(
        "temperature frame", list(frame.columns), "columns tmax_c/tmin_c (Open-Meteo) or tmax_f/tmin_f (NOAA)"
    )


def temperatures_in(frame: pd.DataFrame, units: str) -> tuple[np.ndarray, np.ndarray]:
    """``(tmax, tmin)`` arrays of a source frame in ``units``."""
    tmax, tmin, have = temperature_columns(frame)
    hi = frame[tmax].to_numpy(dtype=float)
    lo = frame[tmin].to_numpy(dtype=float)
    return convert_temperature(hi, have, units), convert_temperature(lo, have, units)
