"""Open-Meteo requests of several places as one: comma-separated coordinates, one answer per place.

Look here to see how a run of many places asks the forecast, ensemble and archive APIs once instead of once per
place. ``LocationPool`` is the ``butterfly_lib.http.exchange.Pool`` of one Open-Meteo source: when a request
names one place's coordinates, the same request is made for every place of the run that shares its time zone
and has no fresh answer cached yet (at most ``MAX_LOCATIONS_PER_REQUEST`` coordinates). Open-Meteo answers a
JSON list, one object per coordinate pair in request order, each what the single-place request returns (plus a
``location_id``, dropped here); each place's object is kept and handed out when that place asks.

A request naming no place (the weather at many sighting cells) or one the answer does not fit (another length,
an error) is sent as it is.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence

from butterfly_lib.http.exchange import Net, Shared, key_of
from butterfly_lib.place import Place
from butterfly_lib.sources.open_meteo.points import MAX_LOCATIONS_PER_REQUEST

#: the sources whose requests take comma-separated coordinates
SOURCES = ("open_meteo_forecast", "open_meteo_archive", "open_meteo_ensemble")


def _coordinate(value: str | None) -> float | None:
    if value is None or "," in value:
        return None
    try:
        v = float(value)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


class LocationPool:
    """Pools one Open-Meteo source's single-place requests across ``places`` (see the module docstring)."""

    def __init__(self, places: Sequence[Place], max_locations: int = MAX_LOCATIONS_PER_REQUEST):
        seen: dict[tuple[float, float], Place] = {}
        for p in places:
            seen.setdefault((p.latitude, p.longitude), p)
        self.places = list(seen.values())
        self.max_locations = max_locations
        self._kept: dict[tuple, Shared] = {}
        self._lock = threading.Lock()

    def _place(self, params: Mapping[str, str]) -> Place | None:
        lat, lon = _coordinate(params.get("latitude")), _coordinate(params.get("longitude"))
        if lat is None or lon is None:
            return None
        for p in self.places:
            if p.latitude == lat and p.longitude == lon:
                return p
        return None

    def answer(self, url: str, params: Mapping[str, str]) -> Shared | None:
        with self._lock:
            return self._kept.pop(key_of(url, params), None)

    def fetch(self, url: str, params: Mapping[str, str], net: Net) -> Shared | None:
        here = self._place(params)
        if here is None:
            return None
        zone = params.get("timezone")
        others: list[dict[str, str]] = []
        for p in self.places:
            if p is here or (zone is not None and p.timezone != zone):
                continue
            # the coordinates as the sources send them: str() of the place's float
            q = {**params, "latitude": str(p.latitude), "longitude": str(p.longitude)}
            with self._lock:
                if key_of(url, q) in self._kept:
                    continue
            if net.fresh(url, q):
                continue
            others.append(q)
            if len(others) + 1 >= self.max_locations:
                break
        if not others:
            return None
        asked = [dict(params), *others]
        merged = {
            **params,
            "latitude": ",".join(q["latitude"] for q in asked),
            "longitude": ",".join(q["longitude"] for q in asked),
        }
        resp = net.send(url, merged)
        if resp.status_code != 200:
            return None
        items = resp.json()
        if (
            not isinstance(items, list)
            or len(items) != len(asked)
            or not all(isinstance(i, dict) for i in items)
        ):
            return None
        via = resp.url or url
        answers = [Shared.json({k: v for k, v in item.items() if k != "location_id"}, via) for item in items]
        with self._lock:
            for q, a in zip(asked[1:], answers[1:], strict=True):
                self._kept[key_of(url, q)] = a
        return answers[0]


def location_pools(places: Sequence[Place]) -> dict[str, LocationPool]:
    """One ``LocationPool`` per Open-Meteo source for the run's ``places`` (nothing to pool for a single place)."""
    if len({(p.latitude, p.longitude) for p in places}) < 2:
        return {}
    return {source: LocationPool(places) for source in SOURCES}


__all__ = ["SOURCES", "LocationPool", "location_pools"]
