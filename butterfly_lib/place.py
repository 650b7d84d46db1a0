"""The validated ``Place`` every analysis is run for (the default place, Portland, is in ``settings``).

Look here to see what counts as a valid latitude, longitude, radius, time zone or NOAA station id.
Validation happens on construction, so a bad place never reaches a request.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from butterfly_lib.errors import InvalidInput

MAX_RADIUS_KM = 500.0
#: a GHCN-Daily station id: two letters (country), then nine letters or digits
STATION_PATTERN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}$")


@dataclass(frozen=True)
class Place:
    """A point with a search radius, a time zone and optional source-specific identifiers.

    ``radius_km`` bounds the iNaturalist search (0 < radius ≤ 500 km); ``timezone`` is an IANA name and is
    passed to Open-Meteo so daily values are local days; ``noaa_station`` is a GHCN-Daily id such as
    ``USW00024229``.
    """

    name: str
    latitude: float
    longitude: float
    radius_km: float = 50.0
    timezone: str = "America/Los_Angeles"
    inat_place_id: int | None = None
    noaa_station: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidInput("place name", self.name, "a non-empty string")
        _check_number("latitude", self.latitude, -90.0, 90.0)
        _check_number("longitude", self.longitude, -180.0, 180.0)
        _check_number("radius_km", self.radius_km, 0.0, MAX_RADIUS_KM, low_open=True)
        object.__setattr__(self, "latitude", float(self.latitude))
        object.__setattr__(self, "longitude", float(self.longitude))
        object.__setattr__(self, "radius_km", float(self.radius_km))
        check_timezone(self.timezone)
        if self.inat_place_id is not None and (
            isinstance(self.inat_place_id, bool) or not isinstance(self.inat_place_id, int) or self.inat_place_id <= 0
        ):
            raise InvalidInput("inat_place_id", self.inat_place_id, "a positive whole number or None")
        if self.noaa_station is not None and not STATION_PATTERN.match(str(self.noaa_station)):
            raise InvalidInput(
                "noaa_station", self.noaa_station, "a GHCN-Daily station id such as 'USW00024229' (11 characters)"
            )

    @property
    def slug(self) -> str:
        """A file-name-safe form of the name (``portland-oregon``)."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "place"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def bbox(self) -> tuple[float, float, float, float]:
        """(swlat, swlng, nelat, nelng) of the square that encloses the search circle."""
        dlat = self.radius_km / 111.32
        dlon = self.radius_km / (111.32 * max(math.cos(math.radians(self.latitude)), 1e-6))
        return (
            max(self.latitude - dlat, -90.0),
            max(self.longitude - dlon, -180.0),
            min(self.latitude + dlat, 90.0),
            min(self.longitude + dlon, 180.0),
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Place:
        allowed = set(cls.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise InvalidInput("place keys", sorted(unknown), f"only {sorted(allowed)}")
        return cls(**data)


def _check_number(name: str, value: object, low: float, high: float, low_open: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (low < value if low_open else low <= value) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise InvalidInput(name, value, f"a number in {bracket}{low:g}, {high:g}]")


def check_timezone(tz: str) -> str:
    """Return ``tz`` if it is an IANA time zone name, else raise ``InvalidInput``."""
    if not isinstance(tz, str) or not tz:
        raise InvalidInput("timezone", tz, "an IANA time zone name such as 'America/Los_Angeles'")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        near = sorted(z for z in available_timezones() if z.lower().endswith(tz.lower().split("/")[-1]))[:3]
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise InvalidInput("timezone", tz, "an IANA time zone name such as 'America/Los_Angeles'" + hint) from None
    return tz
