"""Days as the analyses use them: naive local midnights, and the day of the 365-day calendar.

Look here to turn dates of any form (``datetime.date``, strings, tz-aware or naive Timestamps) into the naive local
days every analysis table is keyed by (``local_days``), or a day into its number on the 365-day calendar on which
29 February counts as 28 February (``day_of_year``; the degree-day season calendar and the phenology use the same).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from butterfly_lib.analysis.degree_days.accumulate import noleap_doy


def local_days(values: pd.Series | pd.Index) -> pd.DatetimeIndex:
    """Dates (date objects, strings or Timestamps, tz-aware or not) as naive local midnights."""
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Index(values)))
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx.normalize()


def day_of_year(days: pd.DatetimeIndex) -> np.ndarray:
    """Day of year on a 365-day calendar (29 February counts as 28 February)."""
    return np.asarray(noleap_doy(np.asarray(days.month), np.asarray(days.day)), dtype=int)
