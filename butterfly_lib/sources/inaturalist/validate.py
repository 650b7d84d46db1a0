"""Input checks for the iNaturalist calls: taxon ids, quality grades, window lengths, dates, result caps.

Look here to see what a caller may pass. Every check raises ``InvalidInput`` (naming the value and what is
allowed) and runs before any request is made.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from butterfly_lib.errors import InvalidInput

QUALITY_GRADES = ("research", "needs_id", "casual")
DEFAULT_QUALITY_GRADES = ("research", "needs_id")
BUTTERFLIES = 47224  # Papilionoidea
MAX_WINDOW_DAYS = 182  # days back or ahead; 182 + 182 + 1 = 365 days at most


def taxon_id(value: object, name: str = "taxon_id") -> int:
    """A positive taxon id; whole numbers written as strings ("47224") are accepted."""
    if isinstance(value, bool):
        raise InvalidInput(name, value, "a positive whole number such as 47224")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value <= 0 or value > 10**9:
        raise InvalidInput(name, value, "a positive whole number such as 47224")
    return value


def taxon_ids(values: object) -> list[int]:
    """A non-empty list of distinct taxon ids (order kept); a single id is accepted too."""
    if isinstance(values, int | str) and not isinstance(values, bool):
        items: list[object] = [values]
        if isinstance(values, str) and "," in values:
            items = [v for v in values.split(",")]
    elif isinstance(values, Iterable):
        items = list(values)
    else:
        raise InvalidInput("taxon ids", values, "a taxon id or a list of them")
    if not items:
        raise InvalidInput("taxon ids", values, "at least one taxon id")
    return list(dict.fromkeys(taxon_id(v, "taxon id") for v in items))


def quality_grades(value: object) -> tuple[str, ...]:
    """A non-empty subset of research / needs_id / casual (a string may be comma-separated)."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Iterable) or isinstance(items, bytes):
        raise InvalidInput("quality_grades", value, f"one or more of {', '.join(QUALITY_GRADES)}")
    grades = tuple(dict.fromkeys(str(g).strip() for g in items))
    if not grades or any(g not in QUALITY_GRADES for g in grades):
        raise InvalidInput("quality_grades", value, f"one or more of {', '.join(QUALITY_GRADES)}")
    return grades


def window_days(name: str, value: object) -> int:
    """Days back or ahead of a window: a whole number in 0..182."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WINDOW_DAYS:
        raise InvalidInput(name, value, f"a whole number of days from 0 to {MAX_WINDOW_DAYS}")
    return value


def a_date(name: str, value: object) -> date:
    """A calendar date: a ``date`` or an ISO string ``YYYY-MM-DD`` (a ``datetime`` is refused: pass its date)."""
    if isinstance(value, datetime):
        raise InvalidInput(name, value, "a date (not a datetime; pass .date() in the place's time zone)")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(name, value, "a date or an ISO date string such as '2025-06-01'")


def max_results(value: object) -> int:
    """A positive whole number of observations to fetch at most."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput("max_results", value, "a positive whole number")
    return value
