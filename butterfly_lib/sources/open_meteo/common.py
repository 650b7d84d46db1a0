"""Shared parsing of Open-Meteo's JSON layout: variable table, unit checks, local-time stamps, validation.

Look here to add a variable (``DAILY_VARIABLES`` / ``SUBDAILY_VARIABLES``), to see which units are accepted and
how they are converted, or to see why a response was rejected. Every Open-Meteo endpoint answers with the same
layout: ``{"latitude", "longitude", "timezone", "utc_offset_seconds", "<block>_units": {...}, "<block>":
{"time": [...], "<variable>": [...]}}`` (a JSON list of those for several coordinates). ``parse_block`` turns one
block into a tidy frame whose column names carry the units; it raises ``SourceError`` (naming the source and URL)
instead of ever returning a frame with a missing field, a ragged array, an unexpected unit or physically
implausible values (``plausible``: tmin above tmax, sunshine above daylight, repeated or reversed days, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.settings import as_date
from butterfly_lib.sources.open_meteo import plausible
from butterfly_lib.sources.open_meteo.weather_codes import weather_label
from butterfly_lib.units import f_to_c


@dataclass(frozen=True)
class Quantity:
    """What a variable measures: the unit we label it with and how each unit Open-Meteo may send converts."""

    unit: str
    from_units: dict[str, Callable[[np.ndarray], np.ndarray]]
    integer: bool = False


_SAME = lambda x: x  # noqa: E731

TEMP_C = Quantity("°C", {"°C": _SAME, "°F": f_to_c})
HOURS = Quantity("h", {"s": lambda x: x / 3600.0, "h": _SAME})
MINUTES = Quantity("min", {"s": lambda x: x / 60.0, "min": _SAME})
MM = Quantity("mm", {"mm": _SAME, "inch": lambda x: x * 25.4})
PERCENT = Quantity("%", {"%": _SAME})
KMH = Quantity(
    "km/h",
    {"km/h": _SAME, "m/s": lambda x: x * 3.6, "mp/h": lambda x: x * 1.609344, "kn": lambda x: x * 1.852},
)
WMO = Quantity("wmo code", {"wmo code": _SAME}, integer=True)
FLAG = Quantity("", {"": _SAME}, integer=True)

#: daily variable -> (column, quantity)
DAILY_VARIABLES: dict[str, tuple[str, Quantity]] = {
    "temperature_2m_max": ("tmax_c", TEMP_C),
    "temperature_2m_min": ("tmin_c", TEMP_C),
    "temperature_2m_mean": ("tmean_c", TEMP_C),
    "sunshine_duration": ("sunshine_h", HOURS),
    "daylight_duration": ("daylight_h", HOURS),
    "precipitation_sum": ("precipitation_mm", MM),
    "precipitation_probability_max": ("precipitation_probability_pct", PERCENT),
    "wind_speed_10m_max": ("wind_speed_max_kmh", KMH),
    "wind_gusts_10m_max": ("wind_gusts_max_kmh", KMH),
    "weather_code": ("weather_code", WMO),
}

#: hourly / minutely_15 variable -> (column, quantity)
SUBDAILY_VARIABLES: dict[str, tuple[str, Quantity]] = {
    "temperature_2m": ("temperature_c", TEMP_C),
    "sunshine_duration": ("sunshine_min", MINUTES),
    "precipitation": ("precipitation_mm", MM),
    "precipitation_probability": ("precipitation_probability_pct", PERCENT),
    "wind_speed_10m": ("wind_speed_kmh", KMH),
    "weather_code": ("weather_code", WMO),
    "is_day": ("is_day", FLAG),
}

_UTC_NAMES = {"GMT", "UTC", "Etc/UTC", "Etc/GMT", "Z"}
ARCHIVE_FIRST_DAY = date(1940, 1, 1)


# ---------------------------------------------------------------- validation (before any request)


def check_variables(variables: Iterable[str], table: dict[str, tuple[str, Quantity]], what: str) -> list[str]:
    """The requested variables as a list, or ``InvalidInput`` naming the ones this package cannot label."""
    if isinstance(variables, str):
        variables = [variables]
    out = list(dict.fromkeys(variables))
    unknown = [v for v in out if v not in table]
    if unknown or not out:
        raise InvalidInput(f"{what} variables", unknown or out, f"one or more of {sorted(table)}")
    return out


def check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= value <= high:
        raise InvalidInput(name, value, f"a whole number in {low}..{high}")
    return int(value)


def check_span(
    start: object, end: object, *, first: date | None = None, last: date | None = None
) -> tuple[date, date]:
    s, e = as_date("start", start), as_date("end", end)
    if e < s:
        raise InvalidInput("end", e.isoformat(), f"a date on or after start ({s.isoformat()})")
    if first is not None and s < first:
        raise InvalidInput("start", s.isoformat(), f"a date on or after {first.isoformat()}")
    if last is not None and e > last:
        raise InvalidInput("end", e.isoformat(), f"a date on or before {last.isoformat()}")
    return s, e


def local_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


# ---------------------------------------------------------------- parsing


def _same_zone(asked: str, got: str) -> bool:
    return asked == got or (asked in _UTC_NAMES and got in _UTC_NAMES)


def localize(times: pd.DatetimeIndex, timezone: str) -> pd.DatetimeIndex:
    """Wall-clock local times -> tz-aware; the repeated hour of a DST fall-back is resolved by order."""
    tz = ZoneInfo(timezone)
    try:
        return times.tz_localize(tz, ambiguous="infer", nonexistent="shift_forward")
    except (ValueError, TypeError):  # too few points to infer (a single ambiguous stamp)
        return times.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def read_block(
    payload: Any, block: str, *, timezone: str, source: str, url: str
) -> tuple[dict, dict, pd.DatetimeIndex]:
    """``(values, units, local times)`` of one block of one location, after checking the time zone and layout."""

    def fail(problem: str, hint: str = "") -> SourceError:
        return SourceError(source, url, problem, hint)

    if not isinstance(payload, dict):
        raise fail(f"expected one location object, got {type(payload).__name__}")
    got_tz = payload.get("timezone")
    if not isinstance(got_tz, str):
        raise fail("response has no 'timezone'; local days cannot be labelled")
    if not _same_zone(timezone, got_tz):
        raise fail(
            f"asked for timezone {timezone!r} but the response is in {got_tz!r}",
            "daily values would belong to other days; not relabelling them",
        )
    data, units = payload.get(block), payload.get(f"{block}_units")
    if not isinstance(data, dict) or not isinstance(units, dict):
        raise fail(f"response has no '{block}' block with '{block}_units'; keys found: {sorted(payload)}")
    times = data.get("time")
    if not isinstance(times, list):
        raise fail(f"'{block}' block has no 'time' array")
    fmt = "%Y-%m-%d" if block == "daily" else "%Y-%m-%dT%H:%M"
    try:
        stamps = pd.DatetimeIndex(pd.to_datetime(times, format=fmt))
    except (ValueError, TypeError) as exc:
        raise fail(f"unreadable '{block}.time' ({exc})") from None
    if stamps.isna().any():
        raise fail(f"'{block}.time' contains nulls")
    plausible.check_location(payload, source=source, url=url)
    if block == "daily":  # local calendar days: compared as dates
        plausible.check_times(stamps, block, source=source, url=url)
    local = localize(stamps, timezone)
    if block != "daily":  # wall-clock times repeat at a DST fall-back: compared as instants
        plausible.check_times(local, block, source=source, url=url)
    return data, units, local


def read_values(
    data: dict,
    units: dict,
    key: str,
    quantity: Quantity,
    *,
    unit_key: str,
    n: int,
    label: str,
    source: str,
    url: str,
) -> np.ndarray | pd.arrays.IntegerArray:
    """Array ``data[key]`` converted to ``quantity.unit`` using ``units[unit_key]``; nulls stay missing."""
    values = data.get(key)
    if not isinstance(values, list) or len(values) != n:
        size = len(values) if isinstance(values, list) else type(values).__name__
        raise SourceError(source, url, f"{key!r} has {size} values for {n} time steps")
    unit = units.get(unit_key)
    if unit is None:
        raise SourceError(source, url, f"units block gives no unit for {unit_key!r}")
    convert = quantity.from_units.get(unit)
    if convert is None:
        raise SourceError(
            source, url, f"{key!r} came in unit {unit!r}; this parser knows {sorted(quantity.from_units)}",
            f"refusing to label it {label}",
        )  # fmt: skip
    try:
        arr = convert(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise SourceError(source, url, f"{key!r} holds non-numeric values, e.g. {values[:3]!r}") from None
    # codes and flags as nullable integers: null stays <NA>, never a made-up 0
    return pd.array(np.round(arr), dtype="Int64") if quantity.integer else arr


def parse_block(
    payload: Any,
    block: str,
    variables: Sequence[str],
    *,
    timezone: str,
    source: str,
    url: str,
    span: tuple[date, date] | None = None,
) -> pd.DataFrame:
    """One ``daily``/``hourly``/``minutely_15`` block of one location as a tidy frame.

    Daily blocks give a ``date`` column (local midnight, tz-aware); sub-daily ones a ``time`` column. Values are
    converted to the unit in the column name after reading ``<block>_units``; ``null`` stays NaN (or ``<NA>``
    for codes and flags). ``weather_code`` brings a ``weather`` label column along. With ``span``, a day
    outside ``[start, end]`` means the answer is for another request: ``SourceError``.
    """
    table = DAILY_VARIABLES if block == "daily" else SUBDAILY_VARIABLES
    data, units, stamps = read_block(payload, block, timezone=timezone, source=source, url=url)
    missing = [v for v in variables if v not in data]
    if missing:
        found = sorted(k for k in data if k != "time")
        raise SourceError(source, url, f"'{block}' block lacks {missing}; fields found: {found}")
    if span is not None and len(stamps):
        first, last = stamps.min().date(), stamps.max().date()
        if first < span[0] or last > span[1]:
            raise SourceError(source, url, f"asked for {span[0]}..{span[1]}, response covers {first}..{last}")
    out = pd.DataFrame({"date" if block == "daily" else "time": stamps})
    for var in variables:
        column, quantity = table[var]
        out[column] = read_values(
            data, units, var, quantity, unit_key=var, n=len(stamps), label=column, source=source, url=url
        )
        if var == "weather_code":
            out["weather"] = weather_label(out[column])
    plausible.check_frame(out, block, source=source, url=url)
    if span is not None and block == "daily":
        out = _every_day(out, span, timezone)
    return out


def _every_day(out: pd.DataFrame, span: tuple[date, date], timezone: str) -> pd.DataFrame:
    """One row per day of ``span``: days the answer left out become rows of missing values, counted in
    ``attrs["absent_days"]`` (Open-Meteo answers every day of a range, so a short answer is never silently short)."""
    n_days = (span[1] - span[0]).days + 1
    stamps = out["date"]
    if len(out) == n_days and n_days and stamps.iloc[0].date() == span[0] and stamps.iloc[-1].date() == span[1]:
        # days strictly increasing (checked when read) from the first to the last of the span, as many as it
        # has: every day is there (the usual answer, told without building the span's calendar)
        out.attrs["absent_days"] = 0
        return out
    days = pd.date_range(pd.Timestamp(span[0]), pd.Timestamp(span[1]), freq="D").tz_localize(timezone)
    absent = int((~days.isin(out["date"])).sum())
    if absent:
        out = out.set_index("date").reindex(days).rename_axis("date").reset_index()
    out.attrs["absent_days"] = absent
    return out


def locations(payload: Any, expected: int, *, source: str, url: str) -> list[dict]:
    """The per-location objects of a response: a list for several coordinates, an object for one."""
    items = payload if isinstance(payload, list) else [payload]
    if len(items) != expected:
        raise SourceError(source, url, f"asked for {expected} locations, response holds {len(items)}")
    return items


class Checked:
    """A ``fetch(check=...)`` callable: a body the parser rejects is never cached. It keeps what it parsed, so
    ``result`` hands the caller the frame of the body it checked instead of parsing the same body twice."""

    def __init__(self, parse: Callable[..., Any]):
        self.parse = parse
        self._last: tuple[Any, Any] | None = None

    def __call__(self, data: Any) -> None:
        self._last = (data, self.parse(data))

    def result(self, data: Any, url: str) -> Any:
        """The parse of ``data`` (the very object checked last, else parsed now, naming ``url`` in errors)."""
        if self._last is not None and self._last[0] is data:
            return self._last[1]
        return self.parse(data, url)


def checker(parse: Callable[..., Any]) -> Checked:
    """A ``fetch(check=...)`` callable for ``parse`` (see ``Checked``)."""
    return Checked(parse)


def place_location(name: str, latitude: float, longitude: float) -> str:
    return name or f"{latitude:.4f},{longitude:.4f}"


def days_between(a: date, b: date) -> int:
    return (b - a) // timedelta(days=1)
