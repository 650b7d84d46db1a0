"""Structural plausibility of a NOAA daily-summaries CSV, checked inside the parser, so before anything is cached.

Look here to see why a NOAA answer was refused. Only structural nonsense refuses the whole answer: days out of
order or outside the range asked for, precipitation below zero or above 80 inches in a day, temperatures outside
-130..140 °F (the world's records are -128.6 and 134 °F: a value beyond them means another unit or a shifted
column, not weather). A single station day whose TMIN is above its TMAX is a recording error of that day, not of
the answer: it is not refused here (the daily-summaries parser treats such a day as missing, with a notice).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from butterfly_lib.errors import SourceError

#: column -> (lowest, highest) value a real station day can have, in the CSV's units (°F, inches)
BOUNDS: dict[str, tuple[float, float]] = {
    "tmax_f": (-130.0, 140.0),
    "tmin_f": (-130.0, 140.0),
    "prcp_in": (0.0, 80.0),
}


def check_daily(
    frame: pd.DataFrame, *, source: str, url: str, start: date | None = None, end: date | None = None
) -> None:
    """``frame`` (``date`` plus value columns, in the CSV's order) against the rules above, else ``SourceError``."""

    def fail(what: str) -> SourceError:
        return SourceError(
            source, url, f"implausible data: {what}", "Refusing the whole answer; it was not cached"
        )

    days = frame["date"]
    if len(days) > 1:
        back = days.diff().dt.days.to_numpy()[1:] <= 0
        if back.any():
            i = int(back.argmax()) + 1
            raise fail(
                f"days out of order: {days.iloc[i].date()} comes after {days.iloc[i - 1].date()} "
                f"({int(back.sum())} such step(s)); rows are never silently re-sorted"
            )
    if len(days) and (start is not None or end is not None):
        first, last = days.iloc[0].date(), days.iloc[-1].date()
        if (start is not None and first < start) or (end is not None and last > end):
            raise fail(f"asked for {start}..{end}, the CSV covers {first}..{last}")
    for column, (low, high) in BOUNDS.items():
        if column not in frame:
            continue
        values = frame[column]
        bad = (values < low) | (values > high)
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise fail(
                f"{column} {values.iloc[i]:g} outside {low:g}..{high:g} on {days.iloc[i].date()}"
                + (f" and {int(bad.sum()) - 1} more day(s)" if bad.sum() > 1 else "")
            )
