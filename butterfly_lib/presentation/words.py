"""Words for readers: dates with their weekday, counts with their time frame, lists of names, the mode.

Look here to change how a date, a count or a list reads anywhere on the site. Every date a reader sees carries
its weekday ("Wed 17 Jun"); every count says what it counts and when ("43 sightings on 30 May – 20 Jun in
all years on record"). Plain text out; callers escape it (``safe.esc``) before it goes into HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd


def as_date(value: Any) -> date | None:
    """``value`` (ISO text, date, datetime, Timestamp) as a date; None when missing or unreadable."""
    if value is None or value == "":
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts.date()


def day(value: Any, *, year: bool = False) -> str:
    """ "Wed 17 Jun" (with ``year``: "Wed 17 Jun 2026"); "" when there is no date."""
    d = as_date(value)
    if d is None:
        return ""
    return f"{d:%a} {d.day} {d:%b}" + (f" {d.year}" if year else "")


def day_range(start: Any, end: Any) -> str:
    """ "Sun 14 Jun – Thu 25 Jun"; one day alone when both are the same; "" when neither is known."""
    a, b = day(start), day(end)
    if a and b:
        return a if a == b else f"{a} – {b}"
    return a or b


def month_day_window(as_of: date, days_back: int, days_ahead: int) -> str:
    """The month-day window around ``as_of``, e.g. "30 May – 20 Jun" (no weekdays: it spans every year)."""
    a, b = as_of - timedelta(days=days_back), as_of + timedelta(days=days_ahead)
    return f"{a.day} {a:%b} – {b.day} {b:%b}"


def plural(n: int | float, one: str, many: str | None = None) -> str:
    """ "1 sighting", "43 sightings"."""
    k = int(n)
    return f"{k:,} {one if k == 1 else (many or one + 's')}"


def names(items: Iterable[str], *, last: str = "and") -> str:
    """ "A", "A and B", "A, B and C"."""
    xs = [x for x in items if x]
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + f" {last} " + xs[-1]


def temperature(value_f: Any, units: str = "F") -> str:
    """A temperature given in °F, in the site's units: "84 °F" or "29 °C"; "" when unknown."""
    try:
        f = float(value_f)
    except (TypeError, ValueError):
        return ""
    if f != f:
        return ""
    return f"{f:.0f} °F" if units == "F" else f"{(f - 32) / 1.8:.0f} °C"


def mode_words(mode: str, snapshot: date | None = None) -> str:
    """The build's mode (``Settings.mode``: "live", "offline (cache only)", "offline snapshot DATE") in words."""
    if snapshot is not None or mode.startswith("offline snapshot"):
        recorded = f" recorded on {day(snapshot, year=True)}" if snapshot else ""
        return f"offline, from the bundled snapshot{recorded} (not live data)"
    if mode.startswith("offline"):
        return "offline, from answers kept in the request cache (nothing was fetched for this build)"
    if mode == "live":
        return "live, fetched from the sources when the page was built"
    return mode


def when(value: datetime | None) -> str:
    """ "Sat 13 Jun 2026, 09:30 PDT"; "unknown" when missing."""
    if value is None:
        return "unknown"
    return f"{day(value, year=True)}, {value:%H:%M %Z}".strip().rstrip(",")
