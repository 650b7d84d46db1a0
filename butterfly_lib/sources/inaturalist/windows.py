"""Date windows for iNaturalist queries: a plain date range (``DateRange``) and "around this date in every
year" (``AcrossYears``), each turned into exact query filters, a cache tier and a vectorized membership test.

Look here to see how "14 days back and 7 ahead of today's month-day, across all years" becomes requests.
iNaturalist has no month-day range filter, and ``/observations/species_counts`` is aggregated, so it cannot be
post-filtered by day. A ``month=`` filter alone would count the whole of every month the window touches (a
21-day window would count 30-60 days). Instead each month the window touches is asked with ``day=`` set to
exactly the days of that month inside the window (``month`` and ``day`` filters combine as AND), months with
the same day set share one query, and fully covered months share one query without ``day``. The answers are
disjoint, so their counts add up exactly. Cost: one query (plus pages) per distinct day set: one for a window
inside a month, two for a window across a month end or New Year, at most four or so for long windows.

Month-days are taken on a leap-year calendar: a window from Feb 20 to Mar 5 includes Feb 29 (observations made
on leap days), whatever the year of ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput
from butterfly_lib.http import Tier
from butterfly_lib.sources.inaturalist import validate

_LEAP = 2000  # reference leap year for month-day arithmetic
_LEAP_DAYS = pd.date_range(f"{_LEAP}-01-01", f"{_LEAP}-12-31", freq="D")
_DAYS_IN_MONTH = {m: int((_LEAP_DAYS.month == m).sum()) for m in range(1, 13)}
#: within this many days of today a range counts as "this week" (live tier)
LIVE_END_DAYS = 10
LIVE_SPAN_DAYS = 31


@dataclass(frozen=True)
class DateRange:
    """Observed between ``d1`` and ``d2`` inclusive (iNaturalist ``d1``/``d2``), e.g. this year so far."""

    d1: date
    d2: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "d1", validate.a_date("d1", self.d1))
        object.__setattr__(self, "d2", validate.a_date("d2", self.d2))
        if self.d1 > self.d2:
            raise InvalidInput("d1", self.d1, f"a date on or before d2 ({self.d2})")

    def queries(self) -> list[dict[str, Any]]:
        return [{"d1": self.d1, "d2": self.d2}]

    def tier(self, today: date | None = None) -> Tier:
        """Live for a short range reaching into the last days (this week); current otherwise.

        Never historical: old observations keep arriving (late uploads) and being re-identified.
        """
        today = today or date.today()
        recent = self.d2 >= today - timedelta(days=LIVE_END_DAYS)
        short = self.d1 >= today - timedelta(days=LIVE_SPAN_DAYS)
        return Tier.LIVE if recent and short else Tier.CURRENT

    def contains(self, dates: pd.Series) -> np.ndarray:
        d = pd.to_datetime(pd.Series(dates), errors="coerce")
        return ((d >= pd.Timestamp(self.d1)) & (d <= pd.Timestamp(self.d2))).to_numpy()

    @property
    def label(self) -> str:
        return f"{self.d1.isoformat()} to {self.d2.isoformat()}"


@dataclass(frozen=True)
class AcrossYears:
    """Observed, in any year, on a month-day from ``days_back`` before to ``days_ahead`` after ``as_of``."""

    as_of: date
    days_back: int = 14
    days_ahead: int = 7

    def __post_init__(self) -> None:
        object.__setattr__(self, "as_of", validate.a_date("as_of", self.as_of))
        validate.window_days("days_back", self.days_back)
        validate.window_days("days_ahead", self.days_ahead)

    def month_days(self) -> pd.DataFrame:
        """The window's month-days in order, as a frame with ``month`` and ``day`` (a leap-year calendar)."""
        start = self.as_of - timedelta(days=self.days_back)
        end = self.as_of + timedelta(days=self.days_ahead)
        i0 = _leap_index(start.month, start.day)
        i1 = _leap_index(end.month, end.day)
        idx = (
            np.arange(i0, i1 + 1)
            if start.year == end.year
            else np.r_[np.arange(i0, 366), np.arange(0, i1 + 1)]
        )
        days = _LEAP_DAYS[idx]
        return pd.DataFrame({"month": days.month.astype(int), "day": days.day.astype(int)})

    def queries(self) -> list[dict[str, Any]]:
        """Exact ``month``/``day`` filters: one dict per distinct day set (full months without ``day``)."""
        md = self.month_days()
        groups: dict[tuple[int, ...] | None, list[int]] = {}
        for month, days in md.groupby("month", sort=False)["day"]:
            key = None if len(days) == _DAYS_IN_MONTH[int(month)] else tuple(sorted(int(d) for d in days))
            groups.setdefault(key, []).append(int(month))
        out = []
        for key, months in groups.items():
            q: dict[str, Any] = {"month": sorted(months)}
            if key is not None:
                q["day"] = list(key)
            out.append(q)
        return sorted(out, key=lambda q: (q["month"], q.get("day", [])))

    def tier(self, today: date | None = None) -> Tier:
        return Tier.CURRENT

    def contains(self, dates: pd.Series) -> np.ndarray:
        d = pd.to_datetime(pd.Series(dates), errors="coerce")
        md = self.month_days()
        wanted = (md["month"] * 100 + md["day"]).to_numpy()
        key = (d.dt.month * 100 + d.dt.day).to_numpy()
        return np.isin(key, wanted) & d.notna().to_numpy()

    @property
    def label(self) -> str:
        return f"{self.days_back} days before to {self.days_ahead} days after {self.as_of:%b %d}, all years"


Window = DateRange | AcrossYears


def this_year(as_of: date) -> DateRange:
    """January 1 of ``as_of``'s year to ``as_of``."""
    as_of = validate.a_date("as_of", as_of)
    return DateRange(date(as_of.year, 1, 1), as_of)


def this_week(as_of: date, days_back: int = 14, days_ahead: int = 7) -> DateRange:
    """This year's dates from ``days_back`` before to ``days_ahead`` after ``as_of``."""
    as_of = validate.a_date("as_of", as_of)
    validate.window_days("days_back", days_back)
    validate.window_days("days_ahead", days_ahead)
    return DateRange(as_of - timedelta(days=days_back), as_of + timedelta(days=days_ahead))


def check_window(window: object) -> Window:
    if not isinstance(window, DateRange | AcrossYears):
        raise InvalidInput("window", window, "a DateRange or an AcrossYears window (see windows.this_year)")
    return window


def _leap_index(month: int, day: int) -> int:
    return date(_LEAP, month, day).timetuple().tm_yday - 1
