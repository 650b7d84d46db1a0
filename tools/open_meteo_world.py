"""A small Open-Meteo archive on the replay server: answers of the recorded shape for any cells and days.

Look here to see what the tests' archive answers. Each answer copies the envelope of the real recording
``tests/fixtures/open-meteo/historical_weather.json`` (python-open-meteo, MIT: ``latitude``, ``longitude``,
``generationtime_ms``, ``utc_offset_seconds``, ``timezone``, ``timezone_abbreviation``, ``elevation``,
``daily_units``, ``daily``), one object per location (a JSON list for comma-separated coordinates), with
``temperature_2m_max``/``_min`` computed from the day of year and the latitude (warmer in summer, cooler to the
north), so a test knows every value, and plausible values for every other daily variable (sunshine, daylight,
rain, wind, weather code). ``queries`` keeps each query; ``weights`` the Open-Meteo weight of each.
``ForecastWorld`` answers the forecast API's daily block the same way (days around today), so a whole page can
run for any place.
"""

from __future__ import annotations

import copy
import json
import math
from datetime import date, timedelta

from butterfly_lib.sources.open_meteo.cells import request_weight
from tests.conftest import FIXTURES
from tools.replay import ReplayServer, Reply, Route


def recorded_envelope() -> dict:
    env = json.loads((FIXTURES / "open-meteo" / "historical_weather.json").read_text())
    return {k: v for k, v in env.items() if k not in ("hourly", "hourly_units", "daily", "daily_units")}


def tmax_c(day: date, lat: float) -> float:
    return round(14.0 + 12.0 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 105) / 365.0) - 2.0 * (lat - 45.5), 1)


def tmin_c(day: date, lat: float) -> float:
    return round(tmax_c(day, lat) - 9.0, 1)


def daylight_s(day: date, lat: float) -> float:
    return round(3600.0 * (12.0 + 3.5 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 80) / 365.0)), 1)


#: every other daily variable: (unit as Open-Meteo labels it, value of a day at a latitude); plausible, fixed
OTHER_DAILY = {
    "sunshine_duration": ("s", lambda d, lat: round(0.6 * daylight_s(d, lat), 1)),
    "daylight_duration": ("s", daylight_s),
    "precipitation_sum": ("mm", lambda d, lat: 0.0),
    "precipitation_probability_max": ("%", lambda d, lat: 10),
    "wind_speed_10m_max": ("km/h", lambda d, lat: 12.0),
    "weather_code": ("wmo code", lambda d, lat: 1),
}


def daily_block(variables: list[str], days: list[date], lat: float) -> tuple[dict, dict]:
    """``(daily_units, daily)`` of one location: temperatures from ``tmax_c``/``tmin_c``, the rest plausible."""
    units: dict = {"time": "iso8601"}
    block: dict = {"time": [d.isoformat() for d in days]}
    for v in variables:
        if v in ("temperature_2m_max", "temperature_2m_min"):
            f = tmax_c if v == "temperature_2m_max" else tmin_c
            units[v] = "°C"
        else:
            units[v], f = OTHER_DAILY[v]
        block[v] = [f(d, lat) for d in days]
    return units, block


class ArchiveWorld(Route):
    def __init__(self, path: str = "/open_meteo_archive/archive"):
        super().__init__(path, [Reply()])
        self.queries: list[dict[str, str]] = []
        self.weights: list[float] = []
        self._query: dict[str, str] = {}
        self.fail_for_latitude: str | None = None

    def install(self, server: ReplayServer) -> ArchiveWorld:
        with server._lock:
            server.routes.insert(0, self)
        return self

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if path.rstrip("/") != self.path:
            return False
        self._query = query
        return True

    def next_reply(self) -> Reply:
        q = self._query
        self.queries.append(q)
        lats = [float(x) for x in q["latitude"].split(",")]
        lons = [float(x) for x in q["longitude"].split(",")]
        start, end = date.fromisoformat(q["start_date"]), date.fromisoformat(q["end_date"])
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        variables = q["daily"].split(",")
        self.weights.append(request_weight(len(lats), len(days), len(variables)))
        if self.fail_for_latitude and self.fail_for_latitude in q["latitude"]:
            return Reply.json({"error": True, "reason": "boom"}, status=500)
        items = []
        for lat, lon in zip(lats, lons, strict=True):
            env = copy.deepcopy(recorded_envelope())
            env.update(
                latitude=round(lat, 4), longitude=round(lon, 4), timezone=q["timezone"], utc_offset_seconds=-25200,
                timezone_abbreviation="GMT-7", elevation=round(100 + 1000 * (lat - 45.0), 1),
            )  # fmt: skip
            env["daily_units"], env["daily"] = daily_block(variables, days, lat)
            items.append(env)
        return Reply.json(items if len(items) > 1 or "," in q["latitude"] else items[0])


class ForecastWorld(Route):
    """The forecast API's daily block (``past_days`` before today to ``forecast_days`` ahead, today in the asked
    time zone), of the recorded shape, with the archive world's values; ``queries`` keeps each query."""

    def __init__(self, path: str = "/open_meteo_forecast/forecast"):
        super().__init__(path, [Reply()])
        self.queries: list[dict[str, str]] = []
        self._query: dict[str, str] = {}

    def install(self, server: ReplayServer) -> ForecastWorld:
        with server._lock:
            server.routes.insert(0, self)
        return self

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if path.rstrip("/") != self.path or "daily" not in query:
            return False
        self._query = query
        return True

    def next_reply(self) -> Reply:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        q = self._query
        self.queries.append(q)
        lat, lon = float(q["latitude"]), float(q["longitude"])
        today = datetime.now(ZoneInfo(q["timezone"])).date()
        past, ahead = int(q.get("past_days", 0)), int(q.get("forecast_days", 7))
        days = [today + timedelta(days=i) for i in range(-past, ahead)]
        env = copy.deepcopy(recorded_envelope())
        env.update(latitude=round(lat, 4), longitude=round(lon, 4), timezone=q["timezone"], utc_offset_seconds=0,
                   timezone_abbreviation="GMT", elevation=round(100 + 1000 * (lat - 45.0), 1))  # fmt: skip
        env["daily_units"], env["daily"] = daily_block(q["daily"].split(","), days, lat)
        return Reply.json(env)
