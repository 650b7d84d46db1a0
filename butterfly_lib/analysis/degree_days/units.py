"""Default thresholds in the units the temperatures are in, and a guard against a silent column of zeros.

Look here when ``butterfly degree-days`` (or another caller taking a ``units`` option) needs its default
thresholds: 50/86 °F, the usual growing-degree-day pair, or their Celsius equivalents 10/30 °C, so that
``--units C`` without thresholds never compares Celsius temperatures with Fahrenheit thresholds. A threshold
given explicitly is taken in the given units; only the missing ones default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput

#: (lower, upper) per unit: 50 °F = 10 °C and 86 °F = 30 °C exactly.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float]] = {"F": (50.0, 86.0), "C": (10.0, 30.0)}


def thresholds_for(units: str, lower: float | None = None, upper: float | None = None) -> tuple[float, float]:
    """``(lower, upper)`` in ``units`` ("F" or "C"): the given values, or that unit's defaults where None."""
    if units not in DEFAULT_THRESHOLDS:
        raise InvalidInput("units", units, "F or C")
    default_lower, default_upper = DEFAULT_THRESHOLDS[units]
    return (
        float(default_lower if lower is None else lower),
        float(default_upper if upper is None else upper),
    )


def all_zero_note(result: pd.DataFrame, lower: float, units: str) -> str:
    """A note when every computed day is 0 degree days although some day has a temperature, else ``""``.

    Cold data can give that honestly; a threshold in the wrong units gives it too, so it is said, with the
    warmest day, rather than left as a silent column of zeros.
    """
    dd = result["dd"].to_numpy(dtype=float)
    known = ~np.isnan(dd)
    if not known.any() or (dd[known] != 0).any():
        return ""
    warmest = float(np.nanmax(result["tmax"].to_numpy(dtype=float)))
    return (
        f"every day has 0 degree days: no tmax is above the lower threshold {lower:g} °{units} "
        f"(warmest {warmest:g} °{units}); check that the temperatures and thresholds are both in °{units}"
    )
