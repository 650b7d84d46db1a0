"""The validated ``Place`` every analysis is run for (the default place, Portland, is in ``settings``).

Look here to see what counts as a valid latitude, longitude, radius, time zone or NOAA station id, and how a
place's name becomes its folder. Validation happens on construction, so a bad place never reaches a request.

Time zones: an IANA zone name as the tz database lists it (``iana_zone_names``), never a file name that
``zoneinfo`` happens to read (``localtime`` is /etc/localtime, whatever zone the machine is in) nor ``Factory``.

Folder names (``Place.slug``, ``folder_name``): the name in lowercase ASCII letters and digits joined by
hyphens, accents dropped (``São Paulo`` -> ``sao-paulo``); a name with anything else in it (another script,
an emoji, a symbol), a long name or a device name of Windows gets 8 hex digits of the SHA-1 of the name
appended (``蝶々`` -> ``place-<hash>``, ``🦋 Park`` -> ``park-<hash>``), so distinct names get distinct folders,
the same name always the same folder, and every folder name is safe in a path and a URL everywhere.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import unicodedata
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
        """The place's folder name (``portland-oregon``; see ``folder_name``)."""
        return folder_name(self.name)

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


#: names ``zoneinfo`` may read that name no zone of a place: the machine's own zone file and the tz database's
#: placeholder for unconfigured machines
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
#: longest folder name before a hash is appended instead of the rest
MAX_SLUG = 48
_WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})


@functools.cache
def iana_zone_names() -> frozenset[str]:
    """The zone names of the IANA tz database: the ``tzdata`` package's list (what ``zoneinfo`` falls back to),
    else the system's zones; without ``NOT_ZONES`` and the ``posix/``, ``right/`` copies."""
    try:
        from importlib.resources import files

        names = set(files("tzdata").joinpath("zones").read_text(encoding="utf-8").split())
    except (ImportError, FileNotFoundError, OSError):
        names = set(available_timezones())
    return frozenset(n for n in names if n not in NOT_ZONES and not n.startswith(("posix/", "right/")))


def check_timezone(tz: str) -> str:
    """Return ``tz`` if it is an IANA time zone name, else raise ``InvalidInput``."""
    allowed = "an IANA time zone name such as 'America/Los_Angeles' or 'Australia/Hobart'"
    if not isinstance(tz, str) or not tz:
        raise InvalidInput("timezone", tz, allowed)
    known = tz in iana_zone_names()
    if known:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, IsADirectoryError, OSError):
            known = False
    if not known:
        tail = tz.lower().split("/")[-1]
        near = sorted(z for z in iana_zone_names() if tail and z.lower().endswith(tail))[:3]
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        if tz in NOT_ZONES:
            hint = f" ('{tz}' is not a zone: name the place's zone itself)"
        raise InvalidInput("timezone", tz, allowed + hint) from None
    return tz


def folder_name(name: str) -> str:
    """The folder of a place called ``name`` (see the module docstring): stable, distinct for distinct names,
    safe as a path and URL segment on every system."""
    text = unicodedata.normalize("NFKD", name.casefold())
    parts: list[str] = []
    lossy = False
    for ch in text:
        category = unicodedata.category(ch)
        if ch.isascii() and ch.isalnum():
            parts.append(ch)
        elif category == "Mn":
            continue  # an accent NFKD split off its letter (é = e + ◌́)
        else:
            parts.append("-")
            lossy = lossy or category[0] not in "PZ"  # punctuation and spaces separate words; the rest is lost
    slug = re.sub(r"-+", "-", "".join(parts)).strip("-")
    if len(slug) > MAX_SLUG:
        slug, lossy = slug[:MAX_SLUG].rstrip("-"), True
    if lossy or not slug or slug in _WINDOWS_DEVICES:
        digest = hashlib.sha1(unicodedata.normalize("NFC", name.strip()).encode("utf-8")).hexdigest()[:8]
        slug = f"{slug or 'place'}-{digest}"
    return slug
