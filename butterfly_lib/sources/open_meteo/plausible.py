"""Physical plausibility of Open-Meteo answers, checked inside the parsers, so before anything is cached.

Look here to see why an answer was refused as implausible, or to change a bound. Every Open-Meteo endpoint
(forecast daily and ``minutely_15``, archive, ensemble, points) parses through ``common.parse_block`` or
``ensemble.parse_ensemble``, which call these checks; the parsers run as ``fetch``'s ``check``, so an implausible
answer is never stored: a good cached copy is served stale with a notice, or a clear ``SourceError`` is raised.

Refused (the message names the variable, the value and the day or time):

- times that are not unique and strictly increasing (duplicated or reversed days are never silently collapsed);
- a location outside latitude -90..90 or longitude -180..180;
- tmin above tmax on any day (for the ensemble, in any member);
- sunshine below 0, above the day's daylight (60 s of rounding allowed) or above 24 h; daylight outside 0..24 h;
  quarter-hour or hourly sunshine above the step's length;
- precipitation below 0 or above 2,000 mm (the wettest day on record brought 1,825 mm);
- a probability outside 0..100 %, a WMO weather code outside 0..99, ``is_day`` other than 0/1;
- a temperature outside -95..+65 °C (the records are -89.2 and +56.7 °C), a wind outside 0..500 km/h.

Missing values (null) are not implausible: they stay missing, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from butterfly_lib.errors import SourceError

#: column -> (lowest, highest) physically possible value, in the column's unit
BOUNDS: dict[str, tuple[float, float]] = {
    "tmax_c": (-95.0, 65.0),
    "tmin_c": (-95.0, 65.0),
    "tmean_c": (-95.0, 65.0),
    "temperature_c": (-95.0, 65.0),
    "sunshine_h": (0.0, 24.0),
    "daylight_h": (0.0, 24.0),
    "precipitation_mm": (0.0, 2000.0),
    "precipitation_probability_pct": (0.0, 100.0),
    "wind_speed_max_kmh": (0.0, 500.0),
    "wind_gusts_max_kmh": (0.0, 500.0),
    "wind_speed_kmh": (0.0, 500.0),
    "weather_code": (0.0, 99.0),
    "is_day": (0.0, 1.0),
}
#: sunshine may exceed daylight by this much (hours) before it counts as implausible: rounding in the API
SUNSHINE_SLACK_H = 60 / 3600
#: minutes in one step of a sub-daily block (sunshine_min may not exceed it)
STEP_MINUTES = {"minutely_15": 15.0, "hourly": 60.0}

Values = Mapping[str, np.ndarray]


def _fail(source: str, url: str, what: str) -> SourceError:
    return SourceError(
        source, url, f"implausible data: {what}", "Refusing the whole answer; it was not cached"
    )


def _where(mask: np.ndarray, labels: Sequence[str]) -> str:
    """``"on 2026-06-02"`` (and how many more) for the first True of ``mask`` (last axis = time)."""
    hits = np.argwhere(mask)
    first = hits[0]
    where = f"at {labels[first[-1]]}" + (f" (member {first[0]})" if mask.ndim > 1 else "")
    more = len(hits) - 1
    return where + (f" and {more} more" if more else "")


def check_times(stamps: pd.DatetimeIndex, block: str, *, source: str, url: str) -> None:
    """Unique, strictly increasing time steps (tz-aware instants; naive dates for a daily block)."""
    if len(stamps) < 2:
        return
    steps = np.diff(stamps.asi8)
    bad = steps <= 0
    if bad.any():
        i = int(np.argmax(bad))
        kind = "repeated" if steps[i] == 0 else "out of order"
        raise _fail(
            source, url,
            f"'{block}.time' is not strictly increasing: {stamps[i + 1].isoformat()} comes after "
            f"{stamps[i].isoformat()} ({kind}; {int(bad.sum())} such step(s)); days are never silently merged or sorted",
        )  # fmt: skip


def check_location(payload: Mapping, *, source: str, url: str) -> None:
    """Latitude in -90..90 and longitude in -180..180 when the answer gives them."""
    for key, limit in (("latitude", 90.0), ("longitude", 180.0)):
        value = payload.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and not -limit <= value <= limit:
            raise _fail(source, url, f"{key} {value} is outside -{limit:g}..{limit:g}")


def check_values(values: Values, labels: Sequence[str], block: str, *, source: str, url: str) -> None:
    """Every rule of the module docstring on ``values`` (column -> array, time on the last axis); the pairwise
    rules first, as they say most about what is wrong."""
    tmax, tmin = values.get("tmax_c"), values.get("tmin_c")
    if tmax is not None and tmin is not None:
        hi, lo = np.asarray(tmax, dtype=float), np.asarray(tmin, dtype=float)
        bad = lo > hi
        if bad.any():
            i = np.unravel_index(int(np.argmax(bad)), bad.shape)
            raise _fail(source, url, f"tmin {lo[i]:g} °C above tmax {hi[i]:g} °C {_where(bad, labels)}")
    sun, day = values.get("sunshine_h"), values.get("daylight_h")
    if sun is not None and day is not None:
        s, d = np.asarray(sun, dtype=float), np.asarray(day, dtype=float)
        bad = s > d + SUNSHINE_SLACK_H
        if bad.any():
            i = np.unravel_index(int(np.argmax(bad)), bad.shape)
            raise _fail(
                source, url, f"sunshine {s[i]:.2f} h longer than daylight {d[i]:.2f} h {_where(bad, labels)}"
            )
    for column, arr in values.items():
        if column not in BOUNDS and column != "sunshine_min":
            continue
        a = np.asarray(arr, dtype=float)
        low, high = BOUNDS.get(column, (0.0, STEP_MINUTES.get(block, 60.0) + 1 / 60))
        bad = (a < low) | (a > high)
        if bad.any():
            value = a[np.unravel_index(int(np.argmax(bad)), a.shape)]
            raise _fail(source, url, f"{column} {value:g} outside {low:g}..{high:g} {_where(bad, labels)}")


class _StampLabels(Sequence[str]):
    """The labels of a block's time steps, written only for the step an error names (a parse of every cell of
    the record would otherwise format tens of thousands of dates that no message uses)."""

    def __init__(self, stamps: pd.Series, daily: bool):
        self.stamps, self.daily = stamps, daily

    def __len__(self) -> int:
        return len(self.stamps)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        t = self.stamps.iloc[int(i)]
        return t.date().isoformat() if self.daily else t.isoformat()


def check_frame(frame: pd.DataFrame, block: str, *, source: str, url: str) -> None:
    """``check_values`` on a parsed block (``date`` or ``time`` column plus value columns)."""
    stamp = "date" if "date" in frame else "time"
    labels = _StampLabels(frame[stamp], block == "daily")
    checked = [c for c in frame.columns if c in BOUNDS or c == "sunshine_min"]
    values = {c: frame[c].to_numpy(dtype=float, na_value=np.nan) for c in checked}
    check_values(values, labels, block, source=source, url=url)
