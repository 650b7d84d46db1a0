"""Inconsistent days in fetched NOAA station records: a day whose TMIN is above its TMAX.

Look here when a station record stops a degree-day computation or when a provenance notice names such a day.
GHCN-Daily carries a few of these (Clatskanie, Oregon, 1995-11-01: TMAX 24 °F, TMIN 25 °F), usually a
reading taken at a different hour for each element. The degree-day formulas cannot use such a day, and one
of them in thirty years must not stop a station's normals, so both temperatures of that day are set missing
(NaN) here, where the record is parsed: from then on the day follows the same gap rules as a day the station
did not report (``analysis.degree_days.accumulate``: a run of at most ``max_gap`` missing days is
interpolated, a longer one leaves the rest of that season missing). The day is named in
``frame.attrs["inconsistent_days"]`` and, through the NOAA source, in a notice on the dataset's provenance.

This applies to station records only. A user's own CSV given to ``butterfly degree-days`` is still refused
at the first such day, naming it (``analysis.degree_days.frames.read_temperature_csv``): there the user can
correct the file, and silently dropping one of their days would change the answer they asked for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: How many inconsistent days a notice names before it says "and n more".
NAMED_IN_NOTICE = 5


def mask_inconsistent_days(
    frame: pd.DataFrame, *, tmax: str = "tmax_f", tmin: str = "tmin_f"
) -> pd.DataFrame:
    """Set ``tmax`` and ``tmin`` to NaN on every day where ``tmin > tmax``; list those days in ``attrs``.

    ``attrs["inconsistent_days"]`` is a list of ``{"date": "YYYY-MM-DD", "tmax": x, "tmin": y}`` (the
    published values, before masking), empty when the record is consistent. The frame is changed in place
    and returned.
    """
    hi = frame[tmax].to_numpy(dtype=float)
    lo = frame[tmin].to_numpy(dtype=float)
    bad = lo > hi  # NaN compares False: a missing value is not an inconsistency
    days = []
    if bad.any():
        where = np.flatnonzero(bad)
        dates = pd.DatetimeIndex(frame["date"].to_numpy()[where])
        days = [
            {"date": d.date().isoformat(), "tmax": float(hi[i]), "tmin": float(lo[i])}
            for d, i in zip(dates, where, strict=True)
        ]
        frame.loc[bad, [tmax, tmin]] = np.nan
    frame.attrs["inconsistent_days"] = days
    return frame


def inconsistent_notice(days: list[dict]) -> str:
    """The provenance notice for the masked days, or ``""`` when there are none."""
    if not days:
        return ""
    named = ", ".join(f"{d['date']} (TMAX {d['tmax']:g}, TMIN {d['tmin']:g})" for d in days[:NAMED_IN_NOTICE])
    more = f" and {len(days) - NAMED_IN_NOTICE} more" if len(days) > NAMED_IN_NOTICE else ""
    return (
        f"{len(days)} inconsistent day{'s' if len(days) != 1 else ''} (TMIN above TMAX) treated as missing, "
        f"with the usual gap rules: {named}{more}"
    )
