"""A small world of the APIs for any place, on the replay server: Open-Meteo (forecast, 15-minute, ensemble,
archive) and iNaturalist (observations, species counts, week-of-year histograms) answering like the real APIs,
so every page can run live for a place no recording covers (a southern-hemisphere place, say).

Look here to see what such a test's APIs answer. Every answer copies the layout of a real recording
(``tests/fixtures``: python-open-meteo's and pyinaturalist's recorded responses, MIT): Open-Meteo's envelope
(``latitude``, ``longitude``, ``generationtime_ms``, ``utc_offset_seconds``, ``timezone``,
``timezone_abbreviation``, ``elevation``, ``<block>_units``, ``<block>``; a JSON list for comma-separated
coordinates) and iNaturalist's observation records (``tools.inat_world``). The **values are simulated** from
formulas, so a test knows them: daily highs and lows on a seasonal cycle whose warmest day is mid-July north of
the equator and mid-January south of it (``tmax_c``, ``tmin_c``), astronomical day length, sunshine, rain and
wind from fixed periodic functions, ensemble members as fixed offsets from the control. ``today`` is the day the
world's forecast is issued (forecast days run from it; the archive reaches to it without lag).

iNaturalist: the world's sightings (``sightings``) are the recorded Monarch observation re-dated and moved into
the place's circle on the month-days around ``today`` in each of the years before it; ``/observations`` filters
them as the API does (circle, taxon, grade, ``d1``/``d2``, ``month``/``day``, ``id_above``), species counts and
week-of-year histograms are counted from them.
"""

from __future__ import annotations

import copy
import json
import math
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from butterfly_lib.place import Place
from tests.conftest import FIXTURES
from tools.inat_world import World, make_observation
from tools.replay import ReplayServer, Reply, Route
from tools.snapshot.fake_open_meteo import DAILY_UNITS, SUBDAILY_UNITS

OPEN_METEO = FIXTURES / "open-meteo"
INAT = FIXTURES / "inaturalist"
ENSEMBLE_MEMBERS = 10
#: (taxon id, scientific name, common name) of the world's species
SPECIES = (
    (48662, "Danaus plexippus", "Monarch"),
    (55626, "Pieris rapae", "Cabbage White"),
    (48548, "Vanessa cardui", "Painted Lady"),
)


# ------------------------------------------------------------------ the weather (simulated)


def _warmest_doy(lat: float) -> int:
    return 200 if lat >= 0 else 17  # mid-July north of the equator, mid-January south of it


def tmax_c(day: date, lat: float) -> float:
    """The world's daily high: a seasonal cycle (mean and amplitude by latitude) with a weekly wobble."""
    doy = day.timetuple().tm_yday
    mean = 30.0 - 0.3 * abs(lat)
    amplitude = 0.13 * abs(lat)
    season = amplitude * math.cos(2 * math.pi * (doy - _warmest_doy(lat)) / 365.0)
    return round(mean + season + 2.5 * math.sin(2 * math.pi * day.toordinal() / 7.3), 1)


def tmin_c(day: date, lat: float) -> float:
    return round(tmax_c(day, lat) - 8.0 - 1.5 * math.cos(day.toordinal() * 0.9), 1)


def daylight_s(day: date, lat: float) -> float:
    """Astronomical day length (s) at ``lat`` on ``day``."""
    decl = math.radians(23.44) * math.sin(2 * math.pi * (284 + day.timetuple().tm_yday) / 365.0)
    x = -math.tan(math.radians(lat)) * math.tan(decl)
    hours = 24.0 if x <= -1 else 0.0 if x >= 1 else 2 * math.degrees(math.acos(x)) / 15.0
    return round(hours * 3600.0, 2)


def _sunny_share(day: date) -> float:
    return 0.15 + 0.7 * (0.5 + 0.5 * math.sin(day.toordinal() * 1.3))


def daily_value(var: str, day: date, lat: float) -> float | int:
    if var == "temperature_2m_max":
        return tmax_c(day, lat)
    if var == "temperature_2m_min":
        return tmin_c(day, lat)
    if var == "temperature_2m_mean":
        return round((tmax_c(day, lat) + tmin_c(day, lat)) / 2, 1)
    if var == "daylight_duration":
        return daylight_s(day, lat)
    if var == "sunshine_duration":
        return round(daylight_s(day, lat) * _sunny_share(day), 2)
    if var == "precipitation_sum":
        return round(max(0.0, 4.0 * math.sin(day.toordinal() * 0.7)), 1)
    if var == "precipitation_probability_max":
        return int(50 + 45 * math.sin(day.toordinal() * 0.7))
    if var == "wind_speed_10m_max":
        return round(12.0 + 6.0 * math.sin(day.toordinal() * 0.4), 1)
    if var == "wind_gusts_10m_max":
        return round(1.6 * (12.0 + 6.0 * math.sin(day.toordinal() * 0.4)), 1)
    if var == "weather_code":
        return 1 if _sunny_share(day) > 0.5 else 3
    raise KeyError(var)


def quarter_value(var: str, when: datetime, lat: float) -> float | int:
    day = when.date()
    half = daylight_s(day, lat) / 2
    noon = datetime(day.year, day.month, day.day, 12)
    is_day = abs((when + timedelta(minutes=7.5) - noon).total_seconds()) < half
    if var == "is_day":
        return int(is_day)
    if var == "sunshine_duration":
        return round(900.0 * _sunny_share(day), 1) if is_day else 0.0
    if var == "temperature_2m":
        return round((tmax_c(day, lat) + tmin_c(day, lat)) / 2, 1)
    if var == "precipitation":
        return 0.0
    if var == "precipitation_probability":
        return 10
    if var == "wind_speed_10m":
        return 10.0
    if var == "weather_code":
        return 1
    raise KeyError(var)


# ------------------------------------------------------------------ Open-Meteo


def recorded_envelope() -> dict[str, Any]:
    """The envelope of a real recording, without its blocks."""
    env = json.loads((OPEN_METEO / "forecast_16_days.json").read_text())
    return {k: v for k, v in env.items() if not k.startswith(("hourly", "daily", "minutely"))}


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


class OpenMeteoWorld(Route):
    """``/open_meteo_forecast/forecast``, ``/open_meteo_archive/archive``, ``/open_meteo_ensemble/ensemble``."""

    PATHS = ("/open_meteo_forecast/forecast", "/open_meteo_archive/archive", "/open_meteo_ensemble/ensemble")

    def __init__(self, today: date):
        super().__init__(self.PATHS[0], [Reply()])
        self.today = today
        self.queries: list[tuple[str, dict[str, str]]] = []
        self._path = ""
        self._query: dict[str, str] = {}

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if path.rstrip("/") not in self.PATHS:
            return False
        self._path, self._query = path.rstrip("/"), query
        return True

    def next_reply(self) -> Reply:
        self.served += 1
        path, q = self._path, self._query
        self.queries.append((path, q))
        lats = [float(x) for x in q["latitude"].split(",")]
        lons = [float(x) for x in q["longitude"].split(",")]
        tz = q.get("timezone", "GMT")
        if path.endswith("/archive"):
            days = _days(date.fromisoformat(q["start_date"]), date.fromisoformat(q["end_date"]))
        else:
            past, ahead = int(q.get("past_days", 0)), int(q.get("forecast_days", 16))
            days = _days(self.today - timedelta(days=past), self.today + timedelta(days=ahead - 1))
        items = [self._location(path, q, lat, lon, tz, days) for lat, lon in zip(lats, lons, strict=True)]
        return Reply.json(items if "," in q["latitude"] else items[0])

    def _location(self, path: str, q: dict[str, str], lat: float, lon: float, tz: str, days: list[date]) -> dict:
        env = copy.deepcopy(recorded_envelope())
        noon = datetime(days[0].year, days[0].month, days[0].day, 12, tzinfo=ZoneInfo(tz))
        offset = noon.utcoffset() or timedelta(0)
        env.update(
            latitude=round(lat, 4), longitude=round(lon, 4), timezone=tz, utc_offset_seconds=int(offset.total_seconds()),
            timezone_abbreviation=noon.tzname() or tz, elevation=50.0,
        )  # fmt: skip
        if "daily" in q:
            variables = q["daily"].split(",")
            env["daily_units"] = {"time": "iso8601", **{v: DAILY_UNITS[v] for v in variables}}
            block: dict[str, list] = {"time": [d.isoformat() for d in days]}
            for v in variables:
                control = [daily_value(v, d, lat) for d in days]
                block[v] = control
                if path.endswith("/ensemble"):
                    for m in range(1, ENSEMBLE_MEMBERS):
                        env["daily_units"][f"{v}_member{m:02d}"] = DAILY_UNITS[v]
                        block[f"{v}_member{m:02d}"] = [_member(v, x, m, d, lat) for x, d in zip(control, days, strict=True)]
            env["daily"] = block
        if "minutely_15" in q:
            variables = q["minutely_15"].split(",")
            start = datetime(self.today.year, self.today.month, self.today.day)
            stamps = [start + timedelta(minutes=15 * i) for i in range(int(q.get("forecast_minutely_15", 96)))]
            env["minutely_15_units"] = {"time": "iso8601", **{v: SUBDAILY_UNITS[v] for v in variables}}
            env["minutely_15"] = {
                "time": [t.strftime("%Y-%m-%dT%H:%M") for t in stamps],
                **{v: [quarter_value(v, t, lat) for t in stamps] for v in variables},
            }
        return env


def _member(var: str, control: float | int, m: int, day: date, lat: float) -> float | int:
    """Member ``m``: the control shifted by a fixed offset (temperatures ±, sunshine scaled; never implausible)."""
    shift = ((m % 5) - 2) * 0.6
    if var == "temperature_2m_max":
        return round(float(control) + shift, 1)
    if var == "temperature_2m_min":
        return round(min(float(control) + shift, tmax_c(day, lat) + shift - 0.5), 1)
    if var == "sunshine_duration":
        return round(min(daylight_s(day, lat), max(0.0, float(control) * (1 + shift / 5))), 2)
    return control


# ------------------------------------------------------------------ iNaturalist


class INatWorld(World):
    """``tools.inat_world.World`` with month/day filters, species counts and week-of-year histograms."""

    def next_reply(self) -> Reply:
        if self._path.endswith("/species_counts"):
            self.served += 1
            return Reply.json(self.species_counts(self._query))
        if self._path.endswith("/histogram") and self._query.get("interval") == "week_of_year":
            self.served += 1
            return Reply.json(self.weeks(self._query))
        return super().next_reply()

    def matching(self, q: dict[str, str]) -> list[dict]:
        found = super().matching(q)
        months = {int(m) for m in q["month"].split(",")} if q.get("month") else None
        days = {int(d) for d in q["day"].split(",")} if q.get("day") else None
        out = []
        for r in found:
            day = date.fromisoformat(r["observed_on"])
            if (months is None or day.month in months) and (days is None or day.day in days):
                out.append(r)
        return out

    def _plain(self, q: dict[str, str]) -> list[dict]:
        return self.matching({k: v for k, v in q.items() if k not in ("interval", "date_field", "per_page", "page")})

    def species_counts(self, q: dict[str, str]) -> dict:
        recorded = json.loads((INAT / "get_observation_species_counts.json").read_text())["results"][0]
        counts: dict[int, tuple[int, dict]] = {}
        for r in self._plain(q):
            tid = r["taxon"]["id"]
            counts[tid] = (counts.get(tid, (0, r))[0] + 1, r)
        results = []
        for tid, (n, r) in sorted(counts.items(), key=lambda kv: -kv[1][0]):
            taxon = copy.deepcopy(recorded["taxon"])
            taxon.update(id=tid, name=r["taxon"]["name"], preferred_common_name=r["taxon"].get("preferred_common_name"))
            results.append({"count": n, "taxon": taxon})
        per_page = int(q.get("per_page", 500))
        page = int(q.get("page", 1))
        return {"total_results": len(results), "page": page, "per_page": per_page,
                "results": results[(page - 1) * per_page : page * per_page]}  # fmt: skip

    def weeks(self, q: dict[str, str]) -> dict:
        counts = {str(w): 0 for w in range(1, 54)}
        for r in self._plain(q):
            week = date.fromisoformat(r["observed_on"]).isocalendar().week
            counts[str(week)] += 1
        return {"total_results": 53, "page": 1, "per_page": 53, "results": {"week_of_year": counts}}


def sightings(place: Place, today: date, *, years: int = 6, per_year: int = 4) -> list[dict]:
    """The world's sightings: ``per_year`` of each species in each of the ``years`` before ``today``, on the
    month-days from a week before to a few days after it, inside the place's circle."""
    out = []
    oid = 1000
    for y in range(1, years + 1):
        for k, (tid, name, common) in enumerate(SPECIES):
            for i in range(per_year):
                oid += 1
                try:
                    day = date(today.year - y, today.month, today.day) + timedelta(days=i * 3 - 6 + k)
                except ValueError:  # 29 February in a year without one
                    day = date(today.year - y, today.month, 28) + timedelta(days=i * 3 - 6 + k)
                frac = (oid % 7) / 10.0
                lat = place.latitude + frac * place.radius_km / 111.32 * 0.5
                lng = place.longitude - frac * place.radius_km / 111.32 * 0.5
                rec = make_observation(oid, day=day, lat=round(lat, 5), lng=round(lng, 5), taxon_id=tid, name=name)
                rec["taxon"]["preferred_common_name"] = common
                out.append(rec)
    return out


# ------------------------------------------------------------------ the whole world


class PlaceWorld:
    """Open-Meteo and iNaturalist for ``place`` with ``today`` as the day of issue; ``install(server)``."""

    def __init__(self, place: Place, today: date):
        self.place, self.today = place, today
        self.open_meteo = OpenMeteoWorld(today)
        self.inat = INatWorld()
        self.inat.add(*sightings(place, today))

    def install(self, server: ReplayServer) -> PlaceWorld:
        with server._lock:
            server.routes[:0] = [self.open_meteo, self.inat]
        return self
