"""A guard against a silent column of zeros: say so when every day of a result has 0 degree days.

Look here when ``butterfly degree-days`` prints a note about zeros. Cold data can give them honestly; thresholds
in the wrong units give them too (the defaults follow the units: ``settings.DegreeDays.in_units``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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
