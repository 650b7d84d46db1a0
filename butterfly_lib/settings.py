"""The one settings object: domain defaults, the places of ``site.yml``, the run's mode, paths and endpoints.

Look here for every knob of the planner and where its value comes from. ``load_settings`` builds one frozen
``Settings`` from, in this order (later wins):

1. the defaults below (Portland, Oregon; butterflies; degree days 50–86 °F, modified average, horizontal cutoff;
   normals 1991–2020; the public API endpoints);
2. ``site.yml`` (``places`` and ``parameters``, validated before any request);
3. the environment (``BUTTERFLY_OFFLINE``, ``BUTTERFLY_STRICT``, ``BUTTERFLY_CACHE``, ``BUTTERFLY_DATA_DIR``,
   ``BUTTERFLY_SITE``, ``BUTTERFLY_AS_OF`` and one ``BUTTERFLY_<SOURCE>_URL`` per endpoint);
4. explicit overrides (command-line flags, a notebook's parameters).

This is the only module that reads ``os.environ``. Everything else receives the ``Settings`` (or the part it
needs: a ``PlaceSettings``, a ``DegreeDays``, an ``HttpSettings``) as an argument. A runner can write its settings
to JSON (``Settings.to_json``) so a notebook kernel works with exactly the same object (``settings_file``).

Every value is checked here, before any request or kernel, with an error naming the value and what is allowed:
the library (``load_settings``), ``butterfly run`` and a notebook's first cell (``open_page``) all come here.

The as-of date (``as_of``, ``--as-of``, ``BUTTERFLY_AS_OF``)
    A page "as of" a day must show that day's data, so a run accepts only the dates its data describe, and
    refuses the others instead of re-labelling them (``check_as_of``). **Live** (and offline from a cache live
    runs filled): today in each place's time zone, or nothing (each place then uses its own today). The
    forecast, the ensemble and the 15-minute sunshine have no as-of date: they are always issued now, so a page
    "as of 2026-06-13" built in December would list December's best days under June's heading. Re-labelling
    would leave a page half about one day and half about another; refusing keeps every heading true, and the
    message names the date allowed. **Offline snapshot**: the snapshot's own date (``manifest.json``), nothing
    else. Every date is also refused before ``EARLIEST_AS_OF`` (1951): the pages ask for eleven seasons of
    temperatures before it, and the archive starts in 1940. The normal period must be over by the as-of date
    (``check_run_dates``), so ``normals_end`` cannot name a season still running or to come.

The season start (``season_start``, ``"MM-DD"``, per place in ``site.yml``)
    Degree days accumulate from the season start (the biofix) through the seasons of the normals, the
    degree-days page and the emergence windows. Default by hemisphere (``default_season_start``): **1 January
    north of the equator, 1 July south of it**, midwinter in both: insects develop next to nothing in the
    coldest weeks, so an accumulation starting then counts the whole growing season, and the exact day barely
    matters. 1 January in the south would start in midsummer and cut every season in two. Seasons are labelled
    by the year they start in (1 July 2025 – 30 June 2026 is season 2025), ``normals_start``/``normals_end``
    name such seasons. Near the equator, where no winter marks a start, name one that fits the place.

Offline with more than the snapshot
    The snapshot's manifest names the place(s) it was recorded for; an offline run for any other place (any
    parameter that changes a request differs: all but ``LOCAL_PARAMETERS``) is refused before anything runs,
    naming the place the snapshot holds (``check_snapshot_covers``).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from butterfly_lib.errors import InvalidInput
from butterfly_lib.place import Place

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT_HOMEPAGE = "https://github.com/butterfly-planner/butterfly-planner"
VERSION = "0.1.0"

# ---------------------------------------------------------------------------------------------- domain defaults

#: iNaturalist taxon of butterflies (Papilionoidea), the default; all Lepidoptera (moths too) is taxon 47157
BUTTERFLIES = 47224

#: degree-day methods (Zalom et al. 1983 sine/triangle; McMaster & Wilhelm 1997 averages) and cutoffs
DD_METHODS = (
    "single-sine",
    "double-sine",
    "single-triangle",
    "double-triangle",
    "simple-average",
    "simple-average-2",
    "modified-average",
)
DD_CUTOFFS = ("horizontal", "vertical", "intermediate")
UNITS = ("F", "C")
TEMPERATURE_SOURCES = ("open-meteo", "noaa")
#: the first day any temperature source here reaches back to (Open-Meteo's archive starts in 1940)
EARLIEST = date(1940, 1, 1)
#: seasons of temperatures the pages ask for before the as-of date (the degree-days page compares eleven)
HISTORY_SEASONS = 11
#: the earliest as-of date whose history the sources can hold (eleven seasons after 1940)
EARLIEST_AS_OF = date(EARLIEST.year + HISTORY_SEASONS, 1, 1)
#: default season start (degree-day biofix) north and south of the equator: midwinter (see the module docstring)
SEASON_START_NORTH = "01-01"
SEASON_START_SOUTH = "07-01"
#: page parameters that change no request (computed locally from what was fetched): a snapshot recorded for one
#: value of these serves any other; every other parameter must be the recorded one. ``season_start`` is not one:
#: each sighting's ERA5-Land cell is fetched from its season's start, so another start asks for other days.
LOCAL_PARAMETERS = (
    "place_name", "units", "dd_lower", "dd_upper", "dd_method", "dd_cutoff", "normals_end",
)  # fmt: skip

def _finite(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(name, value, "a finite number")
    return float(value)


def _whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(name, value, f"a whole number from {low} to {high}")
    return int(value)


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput(name, value, " | ".join(allowed))
    return str(value)


def default_season_start(latitude: float) -> str:
    """The season start of a place with no ``season_start`` of its own: 1 January north of the equator (and on
    it), 1 July south of it (see the module docstring)."""
    return SEASON_START_NORTH if latitude >= 0 else SEASON_START_SOUTH


def check_month_day(name: str, value: Any) -> str:
    """``value`` if it is a month-day ``"MM-DD"`` that exists (``"02-29"`` included), else ``InvalidInput``."""
    ok = isinstance(value, str) and re.fullmatch(r"\d{2}-\d{2}", value) is not None
    if ok:
        try:
            date(2000, int(value[:2]), int(value[3:]))  # a leap year: 02-29 exists
        except ValueError:
            ok = False
    if not ok:
        raise InvalidInput(
            name, value, "a month-day 'MM-DD' such as '01-01' or '07-01' (quoted in site.yml; '02-29' starts the "
            "season on 1 March in years without it)",
        )  # fmt: skip
    return str(value)


def season_of(day: date, season_start: str) -> int:
    """The season ``day`` belongs to, labelled by the year it starts in (``season_start`` ``"MM-DD"``)."""
    month, mday = int(season_start[:2]), int(season_start[3:])
    return day.year - int((day.month, day.day) < (month, mday))


def first_day_of_season(season: int, season_start: str) -> date:
    """The first day of the season labelled ``season`` (a 02-29 start is 1 March in years without it)."""
    month, mday = int(season_start[:2]), int(season_start[3:])
    if (month, mday) == (2, 29) and not (season % 4 == 0 and (season % 100 != 0 or season % 400 == 0)):
        return date(season, 3, 1)
    return date(season, month, mday)


@dataclass(frozen=True)
class DegreeDays:
    """How degree days are counted: thresholds (in ``units``), method and cutoff. One object, passed down.

    The defaults are the common 50/86 °F growing-degree-day rule (modified average, horizontal cutoff), which
    the earlier Portland planner used too.
    """

    lower: float = 50.0
    upper: float = 86.0
    method: str = "modified-average"
    cutoff: str = "horizontal"
    units: str = "F"

    def __post_init__(self) -> None:
        _choice("units", self.units, UNITS)
        _choice("dd_method", self.method, DD_METHODS)
        _choice("dd_cutoff", self.cutoff, DD_CUTOFFS)
        object.__setattr__(self, "lower", _finite("dd_lower", self.lower))
        object.__setattr__(self, "upper", _finite("dd_upper", self.upper))
        if self.lower >= self.upper:
            raise InvalidInput("dd_lower", self.lower, f"a number below dd_upper ({self.upper:g})")

    @property
    def label(self) -> str:
        """``"modified-average, horizontal cutoff, 50–86 °F"``."""
        return f"{self.method}, {self.cutoff} cutoff, {self.lower:g}–{self.upper:g} °{self.units}"

    @property
    def unit_label(self) -> str:
        return f"°{self.units}·days"

    def in_units(self, units: str) -> DegreeDays:
        """The same rule with thresholds converted to ``units`` (degree days then scale by 1.8 exactly)."""
        from butterfly_lib.units import convert_temperature

        if units == self.units:
            return self
        _choice("units", units, UNITS)
        return replace(
            self,
            lower=convert_temperature(self.lower, self.units, units),
            upper=convert_temperature(self.upper, self.units, units),
            units=units,
        )


@dataclass(frozen=True)
class PlaceSettings:
    """One place of the site and every page parameter that may differ between places."""

    place: Place
    taxon_id: int = BUTTERFLIES
    days_back: int = 14
    days_ahead: int = 7
    dd: DegreeDays = field(default_factory=DegreeDays)
    normals_start: int = 1991
    normals_end: int = 2020
    temperature_source: str = "open-meteo"
    #: first day of each degree-day season, "MM-DD"; "" (or None): by hemisphere (``default_season_start``)
    season_start: str = ""

    def __post_init__(self) -> None:
        if self.season_start in ("", None):
            object.__setattr__(self, "season_start", default_season_start(self.place.latitude))
        else:
            check_month_day("season_start", self.season_start)
        _whole("taxon_id", self.taxon_id, 1, 10**9)
        _whole("days_back", self.days_back, 0, 182)
        _whole("days_ahead", self.days_ahead, 0, 182)
        _whole("normals_start", self.normals_start, EARLIEST.year, 2100)
        _whole("normals_end", self.normals_end, EARLIEST.year, 2100)
        if self.normals_end - self.normals_start < 4:
            raise InvalidInput(
                "normals_end", self.normals_end, f"at least 5 years after normals_start ({self.normals_start})"
            )
        _choice("temperature_source", self.temperature_source, TEMPERATURE_SOURCES)
        if self.temperature_source == "noaa" and not self.place.noaa_station:
            raise InvalidInput(
                "noaa_station", self.place.noaa_station, "a GHCN-Daily station id when temperature_source is noaa"
            )

    @property
    def slug(self) -> str:
        return self.place.slug

    @property
    def name(self) -> str:
        return self.place.name

    @property
    def units(self) -> str:
        return self.dd.units

    @property
    def normals_period(self) -> tuple[int, int]:
        return (self.normals_start, self.normals_end)

    def history_start(self, as_of: date) -> date:
        """First day of the temperature history pages ask for: the normal period, and at least ten years."""
        return date(min(self.normals_start, as_of.year - 10), 1, 1)

    def season_of(self, day: date) -> int:
        """The season ``day`` belongs to, labelled by the year it starts in."""
        return season_of(day, self.season_start)

    def season_first_day(self, day: date) -> date:
        """The first day of the season ``day`` belongs to (1 January, 1 July, ...)."""
        return first_day_of_season(self.season_of(day), self.season_start)

    @property
    def season_label(self) -> str:
        """``"1 January"``, ``"1 July"``: the season start in words, for pages."""
        d = date(2000, int(self.season_start[:2]), int(self.season_start[3:]))
        return f"{d.day} {d:%B}"

    def to_parameters(self) -> dict[str, Any]:
        """The flat ``site.yml`` form (``place_name``, ``latitude``, ..., ``dd_lower``, ...)."""
        p = self.place
        out: dict[str, Any] = {
            "place_name": p.name,
            "latitude": p.latitude,
            "longitude": p.longitude,
            "radius_km": p.radius_km,
            "timezone": p.timezone,
            "noaa_station": p.noaa_station or "",
            "inat_place_id": p.inat_place_id or 0,
            "taxon_id": self.taxon_id,
            "days_back": self.days_back,
            "days_ahead": self.days_ahead,
            "units": self.dd.units,
            "dd_lower": self.dd.lower,
            "dd_upper": self.dd.upper,
            "dd_method": self.dd.method,
            "dd_cutoff": self.dd.cutoff,
            "normals_start": self.normals_start,
            "normals_end": self.normals_end,
            "temperature_source": self.temperature_source,
            "season_start": self.season_start,
        }
        return out


#: the default place: Portland, Oregon, with the Portland International Airport station
DEFAULT_PLACE = Place(
    name="Portland, Oregon",
    latitude=45.52,
    longitude=-122.68,
    radius_km=50.0,
    timezone="America/Los_Angeles",
    noaa_station="USW00024229",
)
DEFAULTS = PlaceSettings(DEFAULT_PLACE)

#: the keys of a place in ``site.yml`` (also the page parameters a notebook may override)
PLACE_KEYS = ("place_name", "latitude", "longitude", "radius_km", "timezone", "noaa_station", "inat_place_id")
PARAMETER_KEYS = (
    *PLACE_KEYS,
    "taxon_id",
    "days_back",
    "days_ahead",
    "units",
    "dd_lower",
    "dd_upper",
    "dd_method",
    "dd_cutoff",
    "normals_start",
    "normals_end",
    "temperature_source",
    "season_start",
)


def place_settings(parameters: Mapping[str, Any], base: PlaceSettings = DEFAULTS) -> PlaceSettings:
    """A ``PlaceSettings`` from flat parameters (the ``site.yml`` form) laid over ``base``.

    Unknown keys raise ``InvalidInput`` listing the allowed ones. With ``units: C`` and no thresholds given,
    the thresholds follow the units (10/30 °C), never 50/86 read as °C.
    """
    unknown = sorted(set(parameters) - set(PARAMETER_KEYS))
    if unknown:
        raise InvalidInput("parameter", unknown[0] if len(unknown) == 1 else unknown, _keys_allowed(unknown, PARAMETER_KEYS))
    merged = {**base.to_parameters(), **dict(parameters)}
    if (
        "season_start" not in parameters
        and "latitude" in parameters
        and base.season_start == default_season_start(base.place.latitude)
    ):
        merged["season_start"] = ""  # a season start by hemisphere follows the place's own latitude
    if "units" in parameters and parameters["units"] != base.dd.units:
        converted = base.dd.in_units(_choice("units", parameters["units"], UNITS))
        if "dd_lower" not in parameters:
            merged["dd_lower"] = converted.lower
        if "dd_upper" not in parameters:
            merged["dd_upper"] = converted.upper
    place = Place(
        name=merged["place_name"],
        latitude=merged["latitude"],
        longitude=merged["longitude"],
        radius_km=merged["radius_km"],
        timezone=merged["timezone"],
        inat_place_id=merged["inat_place_id"] or None,
        noaa_station=merged["noaa_station"] or None,
    )
    dd = DegreeDays(
        lower=merged["dd_lower"],
        upper=merged["dd_upper"],
        method=merged["dd_method"],
        cutoff=merged["dd_cutoff"],
        units=merged["units"],
    )
    return PlaceSettings(
        place=place,
        taxon_id=merged["taxon_id"],
        days_back=merged["days_back"],
        days_ahead=merged["days_ahead"],
        dd=dd,
        normals_start=merged["normals_start"],
        normals_end=merged["normals_end"],
        temperature_source=merged["temperature_source"],
        season_start=merged["season_start"],
    )


# ---------------------------------------------------------------------------------------------- endpoints, http

#: source endpoint family -> (environment variable, default base URL)
ENDPOINTS: dict[str, tuple[str, str]] = {
    "inaturalist": ("BUTTERFLY_INATURALIST_URL", "https://api.inaturalist.org/v1"),
    "open_meteo_forecast": ("BUTTERFLY_OPEN_METEO_FORECAST_URL", "https://api.open-meteo.com/v1"),
    "open_meteo_archive": ("BUTTERFLY_OPEN_METEO_ARCHIVE_URL", "https://archive-api.open-meteo.com/v1"),
    "open_meteo_ensemble": ("BUTTERFLY_OPEN_METEO_ENSEMBLE_URL", "https://ensemble-api.open-meteo.com/v1"),
    "noaa": ("BUTTERFLY_NOAA_URL", "https://www.ncei.noaa.gov/access/services/data/v1"),
}
DEFAULT_ENDPOINTS: dict[str, str] = {name: url for name, (_var, url) in ENDPOINTS.items()}

#: seconds between two network requests to one source (cache hits do not count); iNaturalist asks for <= 1/s
RATE_LIMITS: dict[str, float] = {
    "inaturalist": 1.0,
    "open_meteo_forecast": 0.1,
    "open_meteo_archive": 0.2,
    "open_meteo_ensemble": 0.1,
    "noaa": 0.5,
}

#: (connect, read) seconds; every request carries a timeout
DEFAULT_TIMEOUT = (10.0, 60.0)


def user_agent() -> str:
    return f"butterfly-planner/{VERSION} (+{PROJECT_HOMEPAGE})"


@dataclass(frozen=True)
class HttpSettings:
    """What the one cached session needs: cache file, offline flag, endpoints, rate limits, timeouts."""

    cache_file: Path
    offline: bool = False
    endpoints: tuple[tuple[str, str], ...] = tuple(DEFAULT_ENDPOINTS.items())
    rate_limits: tuple[tuple[str, float], ...] = tuple(RATE_LIMITS.items())
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    user_agent: str = field(default_factory=user_agent)

    def endpoint(self, source: str) -> str:
        urls = dict(self.endpoints)
        if source not in urls:
            raise KeyError(f"unknown source {source!r}; known: {', '.join(urls)}")
        return urls[source].rstrip("/")


# ---------------------------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Paths:
    """Where things live: the project, the bundled data, the request cache, the snapshot, the executed pages, and
    each place's observation record (``record_dir``: kept like the cache, it took many requests to fill)."""

    root: Path = PROJECT_ROOT
    data_dir: Path = PROJECT_ROOT / "data"
    cache_file: Path = PROJECT_ROOT / "data" / "cache" / "http_cache.sqlite"
    pages_dir: Path = PROJECT_ROOT / "pages"
    site_file: Path | None = PROJECT_ROOT / "site.yml"
    #: where the places' observation records are kept (``record_dir``); None: ``data_dir / "record"``
    record_root: Path | None = None

    @property
    def snapshot_dir(self) -> Path:
        return self.data_dir / "snapshot"

    @property
    def snapshot_cache_file(self) -> Path:
        return self.data_dir / "cache" / "snapshot.sqlite"

    @property
    def noaa_dir(self) -> Path:
        return self.data_dir / "noaa"

    @property
    def record_dir(self) -> Path:
        """The folder of the places' observation records (``data/record/`` unless ``record_root`` says)."""
        return self.record_root if self.record_root is not None else self.data_dir / "record"


def check_distinct_places(places: tuple[PlaceSettings, ...]) -> None:
    """Refuse two places with the same folder (``Place.slug``): the same name twice, or names that differ only in
    case, accents, spaces or punctuation."""
    seen: dict[str, int] = {}
    for i, p in enumerate(places):
        j = seen.setdefault(p.slug, i)
        if j == i:
            continue
        other = places[j].name
        same = "the same name as" if p.name.strip().casefold() == other.strip().casefold() else "the same folder as"
        raise InvalidInput(
            f"places[{i}].place_name",
            p.name,
            f"a name of its own: it is {same} places[{j}] ({other!r}, folder {p.slug!r}); names that differ only "
            "in case, accents, spaces or punctuation are one place, so give each place a distinct name",
        )


@dataclass(frozen=True)
class SnapshotManifest:
    """What the bundled snapshot holds: its date and the places (flat page parameters) it was recorded for."""

    as_of: date
    places: tuple[dict[str, Any], ...]


def read_snapshot_manifest(snapshot_dir: Path) -> SnapshotManifest | None:
    """The snapshot's ``manifest.json`` (its date and places), or None when there is no snapshot."""
    manifest = snapshot_dir / "manifest.json"
    if not manifest.exists():
        return None
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return SnapshotManifest(date.fromisoformat(str(data["as_of"])), tuple(data.get("places") or ()))


def snapshot_date(snapshot_dir: Path) -> date | None:
    """The date the bundled snapshot holds (its ``manifest.json``), or None when there is no snapshot."""
    manifest = read_snapshot_manifest(snapshot_dir)
    return manifest.as_of if manifest else None


def _describe_recorded(recorded: Mapping[str, Any]) -> str:
    keys = ("latitude", "longitude", "radius_km", "timezone")
    return f"{recorded.get('place_name', '?')} ({', '.join(f'{k} {recorded.get(k)}' for k in keys)})"


def check_snapshot_covers(places: tuple[PlaceSettings, ...], manifest: SnapshotManifest) -> None:
    """Refuse, before anything runs, a place the snapshot was not recorded for: every parameter that changes a
    request (all but ``LOCAL_PARAMETERS``) must be the recorded place's. Names the place the snapshot holds."""
    if not manifest.places:
        raise InvalidInput(
            "offline", True,
            "a snapshot whose manifest.json names the place it was recorded for (rebuild it: make snapshot)",
        )  # fmt: skip
    for i, p in enumerate(places):
        wanted = {k: v for k, v in p.to_parameters().items() if k not in LOCAL_PARAMETERS}
        best: tuple[int, Mapping[str, Any], list[str]] | None = None
        for recorded in manifest.places:
            differ = [k for k, v in wanted.items() if recorded.get(k) != v]
            if not differ:
                break
            if best is None or len(differ) < best[0]:
                best = (len(differ), recorded, differ)
        else:
            assert best is not None
            _, closest, differ = best
            diff = ", ".join(f"{k} {wanted[k]!r} (snapshot: {closest.get(k)!r})" for k in differ)
            raise InvalidInput(
                f"places[{i}]" if len(places) > 1 else "place",
                p.name,
                f"a place the offline snapshot of {manifest.as_of} holds: "
                f"{'; '.join(_describe_recorded(r) for r in manifest.places)}. It differs in {diff}. Run live for "
                "this place, or leave it out of the offline run (thresholds, method, units, normals_end and "
                "season_start may differ: they change no request)",
            )


# ---------------------------------------------------------------------------------------------- the settings


@dataclass(frozen=True)
class Settings:
    """Everything a run needs, built once by ``load_settings`` and passed down. Frozen: change with ``with_``.

    ``offline`` means: answer only from the cache, never open a connection; with ``snapshot`` set (the bundled
    snapshot's date) the cache is the snapshot's and every page is for that date. ``as_of`` is None for "today"
    (in each place's time zone).
    """

    places: tuple[PlaceSettings, ...] = (DEFAULTS,)
    as_of: date | None = None
    offline: bool = False
    strict: bool = False
    snapshot: date | None = None
    paths: Paths = field(default_factory=Paths)
    http: HttpSettings = field(default_factory=lambda: HttpSettings(Paths().cache_file))
    source: str = "defaults"

    def __post_init__(self) -> None:
        if not self.places:
            raise InvalidInput("places", [], "at least one place")
        check_distinct_places(self.places)
        if self.offline and self.strict:
            raise InvalidInput("--strict", True, "not together with --offline (strict means: live data or fail)")
        if self.snapshot is not None and not self.offline:
            raise InvalidInput("snapshot", self.snapshot.isoformat(), "only with offline mode")

    @property
    def mode(self) -> str:
        """In words, for pages: "live", "offline (cache only)" or "offline snapshot 2026-06-13"."""
        if self.snapshot is not None:
            return f"offline snapshot {self.snapshot.isoformat()}"
        return "offline (cache only)" if self.offline else "live"

    def place(self, key: str | int | None = None) -> PlaceSettings:
        """The place with this slug, name or index (None: the first)."""
        if key is None:
            return self.places[0]
        if isinstance(key, int) and not isinstance(key, bool):
            if 0 <= key < len(self.places):
                return self.places[key]
        else:
            for p in self.places:
                if key in (p.slug, p.name):
                    return p
        raise InvalidInput("place", key, f"one of {[p.slug for p in self.places]}")

    def pages_folder(self, place: PlaceSettings) -> Path:
        """Where ``place``'s executed pages and their data files go: ``paths.pages_dir`` for the first place,
        ``<pages_dir>/<slug>`` for each further one."""
        first = self.places[0]
        return self.paths.pages_dir if place.slug == first.slug else self.paths.pages_dir / place.slug

    def as_of_date(self, place: PlaceSettings | None = None) -> date:
        """The run's date for ``place``: ``as_of``, the snapshot's date, or today in the place's time zone."""
        if self.as_of is not None:
            return self.as_of
        if self.snapshot is not None:
            return self.snapshot
        tz = (place or self.places[0]).place.tz
        return datetime.now(tz).date()

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def to_json(self) -> str:
        """The settings as JSON; ``Settings.from_json`` reads them back (the runner hands them to kernels)."""
        return json.dumps(
            {
                "places": [p.to_parameters() for p in self.places],
                "as_of": self.as_of.isoformat() if self.as_of else None,
                "offline": self.offline,
                "strict": self.strict,
                "snapshot": self.snapshot.isoformat() if self.snapshot else None,
                "paths": {k: (str(v) if v is not None else None) for k, v in asdict(self.paths).items()},
                "http": {
                    "cache_file": str(self.http.cache_file),
                    "offline": self.http.offline,
                    "endpoints": dict(self.http.endpoints),
                    "rate_limits": dict(self.http.rate_limits),
                    "timeout": list(self.http.timeout),
                    "user_agent": self.http.user_agent,
                },
                "source": self.source,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Settings:
        d = json.loads(text)
        fields: dict[str, Any] = {k: (Path(v) if v is not None else None) for k, v in d["paths"].items()}
        paths = Paths(**fields)
        h = d["http"]
        http = HttpSettings(
            cache_file=Path(h["cache_file"]),
            offline=bool(h["offline"]),
            endpoints=tuple(h["endpoints"].items()),
            rate_limits=tuple((k, float(v)) for k, v in h["rate_limits"].items()),
            timeout=(float(h["timeout"][0]), float(h["timeout"][1])),
            user_agent=h["user_agent"],
        )
        return cls(
            places=tuple(place_settings(p) for p in d["places"]),
            as_of=date.fromisoformat(d["as_of"]) if d["as_of"] else None,
            offline=bool(d["offline"]),
            strict=bool(d["strict"]),
            snapshot=date.fromisoformat(d["snapshot"]) if d["snapshot"] else None,
            paths=paths,
            http=http,
            source=d.get("source", "json"),
        )


# ---------------------------------------------------------------------------------------------- site.yml

TOP_LEVEL_KEYS = ("places", "parameters")


def _mapping(value: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(where, value, f"a mapping with keys from {list(allowed)}")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise InvalidInput(f"{where} key", unknown[0] if len(unknown) == 1 else unknown, _keys_allowed(unknown, allowed))
    return dict(value)


#: names people reach for, and the key that means it here
KEY_HINTS = {"biofix": "season_start"}


def _keys_allowed(unknown: list[str], allowed: tuple[str, ...]) -> str:
    hints = [f"{k!r} is {KEY_HINTS[k]!r} here" for k in unknown if KEY_HINTS.get(k) in allowed]
    return f"one of {list(allowed)}" + (f" ({'; '.join(hints)})" if hints else "")


def places_from_site(data: Any, source: str = "site.yml") -> tuple[PlaceSettings, ...]:
    """Validate a parsed ``site.yml`` (``places`` list + ``parameters`` for all; a place's own keys win)."""
    top = _mapping(data, source, TOP_LEVEL_KEYS)
    common = _mapping(top.get("parameters"), f"{source} parameters", PARAMETER_KEYS)
    raw = top.get("places")
    if raw is None:
        raw = [{}]
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(f"{source} places", raw, "a non-empty list of places (mappings of page parameters)")
    out: list[PlaceSettings] = []
    for i, item in enumerate(raw):
        own = _mapping(item, f"{source} places[{i}]", PARAMETER_KEYS)
        merged = {**common, **own}
        try:
            out.append(place_settings(merged))
        except InvalidInput as exc:
            raise InvalidInput(f"{source} places[{i}].{exc.name}", exc.value, exc.allowed) from None
    return tuple(out)


def read_site_file(path: Path) -> tuple[PlaceSettings, ...]:
    if not path.exists():
        raise InvalidInput("--params", str(path), "an existing YAML file such as site.yml")
    if path.is_dir():
        raise InvalidInput("--params", str(path), "a YAML file, not a folder")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInput("--params", str(path), f"valid YAML ({exc})") from None
    return places_from_site(data or {}, source=path.name)


# ---------------------------------------------------------------------------------------------- building settings

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _flag(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name)
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(name, raw, "1/true/yes/on or 0/false/no/off")


def parse_as_of(value: str | date | None, *, today: date | None = None) -> date | None:
    """``None``/``"today"`` -> None (resolved per place later); an ISO date from ``EARLIEST_AS_OF`` to today
    (``today``, default the clock's, one day ahead for the time zones east of it) -> that date; anything else
    ``InvalidInput``. Which dates a run accepts depends on its mode: ``check_as_of``."""
    d = _as_of_value(value)
    if d is not None:
        _check_as_of_range(d, value, today)
    return d


def as_date(name: str, value: object, allowed: str = "a date (datetime.date or 'YYYY-MM-DD')") -> date:
    """A ``date`` from a date, datetime (its date), pandas Timestamp or ISO string; else ``InvalidInput`` naming
    ``name``, the value and ``allowed``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(name, value, allowed)


def _as_of_value(value: str | date | None) -> date | None:
    if value is None or value == "today":
        return None
    return as_date("as_of", value, '"today" or an ISO date such as "2026-06-15"')


def _check_as_of_range(d: date, value: Any, today: date | None) -> None:
    latest = (today or datetime.now(UTC).date()) + timedelta(days=1)
    if d < EARLIEST_AS_OF or d > latest:
        raise InvalidInput(
            "as_of", value.isoformat() if isinstance(value, date) else value,
            f"a date from {EARLIEST_AS_OF} (the pages need {HISTORY_SEASONS} seasons of temperatures before it; the "
            f"archive starts in {EARLIEST.year}) to today; no data describes a later day",
        )  # fmt: skip


def place_today(place: PlaceSettings, today: date | None = None) -> date:
    """Today in ``place``'s time zone (``today`` when a replay of recorded live data names its day)."""
    return today if today is not None else datetime.now(place.place.tz).date()


def check_as_of(s: Settings, value: Any, *, today: date | None = None) -> None:
    """Refuse an as-of date the run's data cannot describe (``s.as_of`` set from ``value``; see the module
    docstring): an offline snapshot run is for the snapshot's date; any other run (live, or offline from a cache
    live runs filled) for today in each place's time zone."""
    d = s.as_of
    if d is None:
        return
    value = value.isoformat() if isinstance(value, date) else value
    if s.snapshot is not None:
        if d != s.snapshot:
            raise InvalidInput(
                "as_of", value, f"the offline snapshot's date {s.snapshot.isoformat()} (it holds nothing else)"
            )
        return
    todays = {p.name: place_today(p, today) for p in s.places}
    if all(t == d for t in todays.values()):
        return
    if len(set(todays.values())) == 1:
        (t,) = set(todays.values())
        where = f"{t.isoformat()}, today in {', '.join(todays)}" if len(todays) == 1 else (
            f"{t.isoformat()}, today in every place's time zone"
        )
    else:
        where = "; ".join(f"{t.isoformat()} in {name}" for name, t in todays.items())
        where = f"no one date (today is {where}), so leave it out: each place then uses its own today"
    snap = snapshot_date(s.paths.snapshot_dir)
    other = f"; for {snap.isoformat()}, run offline from the bundled snapshot (--offline)" if snap else ""
    raise InvalidInput(
        "as_of", value,
        f"today or nothing: {where}. A live run describes today only: the forecast API has no as-of date, so a "
        f"page for another day would list today's forecast under that day's heading{other}",
    )  # fmt: skip


def check_run_dates(s: Settings) -> None:
    """Refuse a normal period that is not over by the as-of date (a season ends the day before the next season
    start), before any request: its normals would be missing or built from a part of it."""
    for i, p in enumerate(s.places):
        d = s.as_of_date(p)
        last = p.season_of(d) - 1
        if p.normals_end > last:
            where = f"places[{i}].normals_end" if len(s.places) > 1 else "normals_end"
            raise InvalidInput(
                where, p.normals_end,
                f"a season over by the as-of date {d.isoformat()}: {last} or earlier (seasons are labelled by the "
                f"year they start in; {p.name}'s start on {p.season_label})",
            )  # fmt: skip


def load_settings(
    *,
    site_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    offline: bool | None = None,
    strict: bool | None = None,
    as_of: str | date | None = None,
    overrides: Mapping[str, Any] | None = None,
    settings_file: str | Path | None = None,
    today: date | None = None,
) -> Settings:
    """Build the run's ``Settings``: defaults, then ``site.yml``, then ``env`` (default ``os.environ``), then the
    explicit arguments. ``settings_file`` (a runner's ``Settings.to_json``) replaces the first three steps.

    ``overrides`` are page parameters (``dd_lower``, ``days_back``, ...) applied to every place. Offline mode
    uses the bundled snapshot (its cache and its date) unless ``BUTTERFLY_CACHE`` names another cache; asking
    an offline snapshot run for another date is refused, never silently changed, and so is a place the snapshot
    was not recorded for. A live run's ``as_of`` must be today (``check_as_of``); ``today`` names the day of
    recorded live data that a replay server plays back (tools and tests; default: the clock).
    Everything is validated here, before any request.
    """
    if settings_file is not None:
        base = Settings.from_json(Path(settings_file).read_text(encoding="utf-8"))
        return _apply(base, offline=offline, strict=strict, as_of=as_of, overrides=overrides, env={}, today=today)
    env = os.environ if env is None else env
    data_dir = Path(env["BUTTERFLY_DATA_DIR"]) if env.get("BUTTERFLY_DATA_DIR") else PROJECT_ROOT / "data"
    explicit_cache = Path(env["BUTTERFLY_CACHE"]) if env.get("BUTTERFLY_CACHE") else None
    if site_file is None and env.get("BUTTERFLY_SITE"):
        site_file = env["BUTTERFLY_SITE"]
    if site_file is None:
        default = PROJECT_ROOT / "site.yml"
        site_path: Path | None = default if default.exists() else None
    else:
        site_path = Path(site_file)
    places = read_site_file(site_path) if site_path is not None else (DEFAULTS,)
    paths = Paths(
        data_dir=data_dir,
        cache_file=explicit_cache or data_dir / "cache" / "http_cache.sqlite",
        site_file=site_path,
    )
    endpoints = {name: env.get(var) or url for name, (var, url) in ENDPOINTS.items()}
    http = HttpSettings(cache_file=paths.cache_file, endpoints=tuple(endpoints.items()))
    base = Settings(
        places=places,
        paths=paths,
        http=http,
        source=site_path.name if site_path else "defaults",
    )
    env_offline = _flag(env, "BUTTERFLY_OFFLINE")
    env_strict = _flag(env, "BUTTERFLY_STRICT")
    env_as_of = env.get("BUTTERFLY_AS_OF") or None
    return _apply(
        base,
        offline=offline if offline is not None else env_offline,
        strict=strict if strict is not None else env_strict,
        as_of=as_of if as_of is not None else env_as_of,
        overrides=overrides,
        env=env,
        today=today,
    )


def _apply(
    base: Settings,
    *,
    offline: bool | None,
    strict: bool | None,
    as_of: str | date | None,
    overrides: Mapping[str, Any] | None,
    env: Mapping[str, str],
    today: date | None = None,
) -> Settings:
    s = base
    if overrides:
        clean = {k: v for k, v in overrides.items() if v is not None}
        if clean:
            s = s.with_(places=tuple(place_settings(clean, base=p) for p in s.places))
    if strict is not None:
        s = s.with_(strict=bool(strict))
    if offline is not None and not isinstance(offline, bool):
        raise InvalidInput("offline", offline, "True, False or None")
    if offline is True and not s.offline:
        s = offline_settings(s, explicit_cache=bool(env.get("BUTTERFLY_CACHE")))
    elif offline is False and s.offline:
        s = s.with_(offline=False, snapshot=None, http=replace(s.http, offline=False, cache_file=s.paths.cache_file))
    if as_of is not None:
        # a runner's settings file carries an as-of date checked when the run began; only a new one is checked
        d = _as_of_value(as_of)
        s = s.with_(as_of=d)
        check_as_of(s, as_of, today=today)  # the mode's rule first: it names the date that is allowed
        if d is not None:
            _check_as_of_range(d, as_of, today)
    check_run_dates(s)
    return s


def offline_settings(s: Settings, *, explicit_cache: bool = False) -> Settings:
    """``s`` in offline mode: the bundled snapshot's cache and date, or, when the cache was named explicitly
    (``BUTTERFLY_CACHE``), that cache alone (whatever it holds; no snapshot date). Refuses a date or a place the
    snapshot does not hold (``check_snapshot_covers``) before anything runs."""
    if s.strict:
        raise InvalidInput("--strict", True, "not together with --offline (strict means: live data or fail)")
    if explicit_cache:
        return s.with_(offline=True, http=replace(s.http, offline=True))
    manifest = read_snapshot_manifest(s.paths.snapshot_dir)
    if manifest is None:
        raise InvalidInput(
            "offline", True, f"a bundled snapshot in {s.paths.snapshot_dir} (manifest.json is missing)"
        )
    snap = manifest.as_of
    if s.as_of is not None and s.as_of != snap:
        raise InvalidInput(
            "as_of", s.as_of.isoformat(), f"the offline snapshot's date {snap.isoformat()} (it holds nothing else)"
        )
    check_snapshot_covers(s.places, manifest)
    cache = s.paths.snapshot_cache_file
    return s.with_(offline=True, snapshot=snap, http=replace(s.http, offline=True, cache_file=cache))


def child_environment(path_first: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment for a child process the run starts (``quarto render``), with ``extra`` variables and
    ``path_first`` (e.g. the folder of the ``butterfly`` command) at the front of ``PATH``."""
    env = {**os.environ, **extra}
    if path_first is not None:
        env["PATH"] = os.pathsep.join([str(path_first), *filter(None, [env.get("PATH")])])
    return env


__all__ = [
    "BUTTERFLIES",
    "DD_CUTOFFS",
    "DD_METHODS",
    "DEFAULTS",
    "DEFAULT_PLACE",
    "DegreeDays",
    "HttpSettings",
    "PARAMETER_KEYS",
    "PROJECT_ROOT",
    "Paths",
    "PlaceSettings",
    "Settings",
    "TEMPERATURE_SOURCES",
    "load_settings",
    "place_settings",
    "places_from_site",
]
