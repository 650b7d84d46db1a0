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
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml

from butterfly_lib.errors import InvalidInput
from butterfly_lib.place import Place

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROJECT_HOMEPAGE = "https://github.com/butterfly-planner/butterfly-planner"
VERSION = "0.1.0"

# ---------------------------------------------------------------------------------------------- domain defaults

#: iNaturalist taxa: butterflies (Papilionoidea) are the default; Lepidoptera for moths and butterflies
BUTTERFLIES = 47224
LEPIDOPTERA = 47157

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
#: days ahead the forecast reaches; an as-of date beyond it has nothing to show
FORECAST_HORIZON_DAYS = 15

Mode = Literal["live", "offline"]


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

    def __post_init__(self) -> None:
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
)


def place_settings(parameters: Mapping[str, Any], base: PlaceSettings = DEFAULTS) -> PlaceSettings:
    """A ``PlaceSettings`` from flat parameters (the ``site.yml`` form) laid over ``base``.

    Unknown keys raise ``InvalidInput`` listing the allowed ones. With ``units: C`` and no thresholds given,
    the thresholds follow the units (10/30 °C), never 50/86 read as °C.
    """
    unknown = sorted(set(parameters) - set(PARAMETER_KEYS))
    if unknown:
        raise InvalidInput("parameter", unknown[0] if len(unknown) == 1 else unknown, f"one of {list(PARAMETER_KEYS)}")
    merged = {**base.to_parameters(), **dict(parameters)}
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

    def with_endpoints(self, endpoints: Mapping[str, str]) -> HttpSettings:
        return replace(self, endpoints=tuple({**dict(self.endpoints), **dict(endpoints)}.items()))


# ---------------------------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Paths:
    """Where things live: the project, the bundled data, the request cache, the snapshot, the executed pages."""

    root: Path = PROJECT_ROOT
    data_dir: Path = PROJECT_ROOT / "data"
    cache_file: Path = PROJECT_ROOT / "data" / "cache" / "http_cache.sqlite"
    pages_dir: Path = PROJECT_ROOT / "pages"
    site_file: Path | None = PROJECT_ROOT / "site.yml"

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
    def upstream_dir(self) -> Path:
        return self.data_dir / "upstream-site"


def snapshot_date(snapshot_dir: Path) -> date | None:
    """The date the bundled snapshot holds (its ``manifest.json``), or None when there is no snapshot."""
    manifest = snapshot_dir / "manifest.json"
    if not manifest.exists():
        return None
    return date.fromisoformat(str(json.loads(manifest.read_text())["as_of"]))


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
        slugs = [p.slug for p in self.places]
        for i, s in enumerate(slugs):
            if s in slugs[:i]:
                raise InvalidInput(
                    f"places[{i}].place_name", self.places[i].name, "a name whose folder differs from every other place's"
                )
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
        paths = Paths(**{k: (Path(v) if v is not None else None) for k, v in d["paths"].items()})
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
        raise InvalidInput(f"{where} key", unknown[0] if len(unknown) == 1 else unknown, f"one of {list(allowed)}")
    return dict(value)


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
    """``None``/``"today"`` -> None (resolved per place later); an ISO date between 1940 and the forecast
    horizon -> that date; anything else ``InvalidInput``."""
    if value is None or value == "today":
        return None
    if isinstance(value, datetime):
        d = value.date()
    elif isinstance(value, date):
        d = value
    else:
        try:
            d = date.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput("as_of", value, '"today" or an ISO date such as "2026-06-15"') from None
    horizon = (today or date.today()) + timedelta(days=FORECAST_HORIZON_DAYS)
    if d < EARLIEST or d > horizon:
        raise InvalidInput("as_of", value, f"a date from {EARLIEST} to {horizon} (the forecast horizon)")
    return d


def load_settings(
    *,
    site_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    offline: bool | None = None,
    strict: bool | None = None,
    as_of: str | date | None = None,
    overrides: Mapping[str, Any] | None = None,
    settings_file: str | Path | None = None,
) -> Settings:
    """Build the run's ``Settings``: defaults, then ``site.yml``, then ``env`` (default ``os.environ``), then the
    explicit arguments. ``settings_file`` (a runner's ``Settings.to_json``) replaces the first three steps.

    ``overrides`` are page parameters (``dd_lower``, ``days_back``, ...) applied to every place. Offline mode
    uses the bundled snapshot (its cache and its date) unless ``BUTTERFLY_CACHE`` names another cache; asking
    an offline snapshot run for another date is refused, never silently changed.
    """
    if settings_file is not None:
        base = Settings.from_json(Path(settings_file).read_text(encoding="utf-8"))
        return _apply(base, offline=offline, strict=strict, as_of=as_of, overrides=overrides, env={})
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
    )


def _apply(
    base: Settings,
    *,
    offline: bool | None,
    strict: bool | None,
    as_of: str | date | None,
    overrides: Mapping[str, Any] | None,
    env: Mapping[str, str],
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
        d = parse_as_of(as_of)
        if s.snapshot is not None and d is not None and d != s.snapshot:
            raise InvalidInput(
                "as_of", d.isoformat(), f"the offline snapshot's date {s.snapshot.isoformat()} (it holds nothing else)"
            )
        s = s.with_(as_of=d)
    return s


def offline_settings(s: Settings, *, explicit_cache: bool = False) -> Settings:
    """``s`` in offline mode: the bundled snapshot's cache and date, or, when the cache was named explicitly
    (``BUTTERFLY_CACHE``), that cache alone (whatever it holds; no snapshot date)."""
    if s.strict:
        raise InvalidInput("--strict", True, "not together with --offline (strict means: live data or fail)")
    if explicit_cache:
        return s.with_(offline=True, http=replace(s.http, offline=True))
    snap = snapshot_date(s.paths.snapshot_dir)
    if snap is None:
        raise InvalidInput(
            "offline", True, f"a bundled snapshot in {s.paths.snapshot_dir} (manifest.json is missing)"
        )
    if s.as_of is not None and s.as_of != snap:
        raise InvalidInput(
            "as_of", s.as_of.isoformat(), f"the offline snapshot's date {snap.isoformat()} (it holds nothing else)"
        )
    cache = s.paths.snapshot_cache_file
    return s.with_(offline=True, snapshot=snap, http=replace(s.http, offline=True, cache_file=cache))


def child_environment(path_first: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment for a child process the run starts (``quarto render``), with ``extra`` variables and
    ``path_first`` (e.g. the folder of the ``butterfly`` command) at the front of ``PATH``."""
    env = {**os.environ, **extra}
    if path_first is not None:
        env["PATH"] = os.pathsep.join([str(path_first), *filter(None, [env.get("PATH")])])
    return env


def parameter_names() -> tuple[str, ...]:
    """Names a notebook or ``site.yml`` may set for a page (see ``PARAMETER_KEYS``)."""
    return PARAMETER_KEYS


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
