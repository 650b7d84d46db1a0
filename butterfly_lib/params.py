"""Page parameters: the one validated set of knobs every notebook (and the runner) takes.

Look here for what a notebook's ``parameters`` cell may set and what values are allowed. Notebooks keep their
``parameters`` cell to plain literals (papermill overrides them) and then call ``page_params(**locals-subset)``
to validate and derive (``as_of`` "today" becomes a date in the place's time zone; the ``Place`` is built).
Errors name the bad value and what is allowed, before any request.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from butterfly_lib.errors import InvalidInput
from butterfly_lib.place import Place

METHODS = ("single-sine", "double-sine", "single-triangle", "double-triangle", "simple-average",
           "simple-average-2", "modified-average")
CUTOFFS = ("horizontal", "vertical", "intermediate")
TEMPERATURE_SOURCES = ("open-meteo", "noaa")
EARLIEST = date(1940, 1, 1)


@dataclass(frozen=True)
class PageParams:
    """Validated parameters of one page run. Field names match the notebooks' ``parameters`` cells."""

    place_name: str = "Portland, Oregon"
    latitude: float = 45.52
    longitude: float = -122.68
    radius_km: float = 50.0
    timezone: str = "America/Los_Angeles"
    taxon_id: int = 47224
    as_of: str = "today"
    days_back: int = 14
    days_ahead: int = 7
    units: str = "F"
    dd_lower: float = 50.0
    dd_upper: float = 86.0
    dd_method: str = "modified-average"
    dd_cutoff: str = "horizontal"
    normals_start: int = 1991
    normals_end: int = 2020
    temperature_source: str = "open-meteo"
    noaa_station: str = "USW00024229"
    inat_place_id: int = 0
    offline: bool = False
    output_dir: str = "."
    place: Place = field(init=False, repr=False, compare=False)
    as_of_date: date = field(init=False, compare=False)

    def __post_init__(self) -> None:
        place = Place(
            name=self.place_name, latitude=self.latitude, longitude=self.longitude, radius_km=self.radius_km,
            timezone=self.timezone, inat_place_id=self.inat_place_id or None, noaa_station=self.noaa_station or None,
        )
        object.__setattr__(self, "place", place)
        _int("taxon_id", self.taxon_id, 1, 10**9)
        _int("days_back", self.days_back, 0, 182)
        _int("days_ahead", self.days_ahead, 0, 182)
        _choice("units", self.units, ("F", "C"))
        _choice("dd_method", self.dd_method, METHODS)
        _choice("dd_cutoff", self.dd_cutoff, CUTOFFS)
        _choice("temperature_source", self.temperature_source, TEMPERATURE_SOURCES)
        for name in ("dd_lower", "dd_upper"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                raise InvalidInput(name, v, "a finite number (in the page's units)")
        if self.dd_lower >= self.dd_upper:
            raise InvalidInput("dd_lower", self.dd_lower, f"a number below dd_upper ({self.dd_upper})")
        _int("normals_start", self.normals_start, 1940, 2100)
        _int("normals_end", self.normals_end, 1940, 2100)
        if self.normals_end - self.normals_start < 4:
            raise InvalidInput("normals_end", self.normals_end, f"at least 5 years after normals_start ({self.normals_start})")
        if not isinstance(self.offline, bool):
            raise InvalidInput("offline", self.offline, "True or False")
        object.__setattr__(self, "as_of_date", resolve_as_of(self.as_of, place))

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        d["as_of_date"] = self.as_of_date.isoformat()
        return d

    @property
    def history_start(self) -> date:
        """First day of the temperature history the pages ask for: the normal period, and at least ten years."""
        return date(min(self.normals_start, self.as_of_date.year - 10), 1, 1)

    @property
    def out(self) -> Path:
        p = Path(self.output_dir)
        p.mkdir(parents=True, exist_ok=True)
        return p


def resolve_as_of(value: str | date, place: Place, latest: date | None = None) -> date:
    """``"today"`` (in the place's time zone) or an ISO date between 1940-01-01 and the forecast horizon."""
    today = datetime.now(place.tz).date()
    if isinstance(value, date):
        d = value
    elif value == "today":
        d = today
    else:
        try:
            d = date.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput("as_of", value, '"today" or an ISO date such as "2026-06-15"') from None
    horizon = latest or date.fromordinal(today.toordinal() + 15)
    if d < EARLIEST or d > horizon:
        raise InvalidInput("as_of", value, f"a date from {EARLIEST} to {horizon} (the forecast horizon)")
    return d


def page_params(**kwargs: Any) -> PageParams:
    """Build ``PageParams``; unknown names are an error that lists the allowed ones. ``BUTTERFLY_AS_OF`` in the
    environment, when set, replaces ``as_of``."""
    allowed = [f.name for f in fields(PageParams) if f.init]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise InvalidInput("parameter", unknown[0] if len(unknown) == 1 else unknown, f"one of {allowed}")
    forced = os.environ.get("BUTTERFLY_AS_OF", "").strip()
    if forced:  # offline snapshot runs and nbval pin the date (papermill parameters cannot reach nbval)
        kwargs["as_of"] = forced
    return PageParams(**kwargs)


def _int(name: str, v: Any, lo: int, hi: int) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise InvalidInput(name, v, f"a whole number from {lo} to {hi}")


def _choice(name: str, v: Any, allowed: tuple[str, ...]) -> None:
    if v not in allowed:
        raise InvalidInput(name, v, " | ".join(allowed))


__all__ = ["PageParams", "page_params", "resolve_as_of", "asdict"]
