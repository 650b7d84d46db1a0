"""iNaturalist queries of overlapping places asked once, over the union of their circles.

Look here to see how a run of many nearby places saves iNaturalist requests (one a second). Places whose
circles overlap enough (``clusters``: the circle around a group's members is at most ``UNION_RATIO`` times the
largest member's radius) share:

- **observations** (id-paged, ``order_by=id&order=asc``): the whole union is fetched once (``ceil(n / 200)``
  requests) and split locally: a place gets the union's observations within its own radius of its centre
  (great-circle distance on the sphere iNaturalist's geo search uses), every later page of its query answered
  from that list by ``id_above`` and ``per_page`` exactly as the API pages. These are the same records its own
  query returns; only an observation within metres of the circle's edge could fall on the other side. If the
  union holds more than ``CAP_PER_MEMBER`` observations per member (the pages would then outnumber what the
  members' own capped queries take), nothing is pooled.
- **week-of-year histograms** (``interval=week_of_year``): one histogram per taxon over the union, shared by every
  member. Other histograms (observer effort per week, the record's per-year counts) are each place's own. That is not the
  place's own histogram but the seasonality of the wider area; the answer says so in its notice, which the
  page's provenance shows.

Species counts are aggregated by iNaturalist and cannot be split by place: each place asks its own. A place set
by an iNaturalist place id, or a group of one, is never pooled.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from butterfly_lib.http.exchange import Net, Shared
from butterfly_lib.place import Place
from butterfly_lib.sources.inaturalist.client import OBSERVATIONS_PER_PAGE

SOURCE = "inaturalist"
#: a group's union circle may be at most this many times its largest member's radius
UNION_RATIO = 1.5
#: a union with more observations than this per member is not fetched (each place then asks its own)
CAP_PER_MEMBER = 1000
#: mean Earth radius (km) of Elasticsearch's arc distance, which iNaturalist's lat/lng/radius search uses
EARTH_RADIUS_KM = 6371.0088
_LOCATION = ("lat", "lng", "radius")
_PAGING = ("per_page", "page", "id_above", "order_by", "order")


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Cluster:
    """Overlapping places and the circle that holds all of theirs."""

    members: tuple[Place, ...]
    lat: float
    lng: float
    radius_km: float

    @property
    def params(self) -> dict[str, str]:
        return {"lat": f"{self.lat:.6f}", "lng": f"{self.lng:.6f}", "radius": f"{self.radius_km:.3f}"}


def enclosing(members: Sequence[Place], steps: int = 200) -> Cluster:
    """A circle holding every member's circle, close to the smallest one: Badoiu and Clarkson's iteration (step
    towards the member whose circle reaches farthest out, by 1/(k+1)), in degrees near the members."""

    def reach(lat: float, lng: float) -> tuple[float, Place]:
        return max(((distance_km(lat, lng, p.latitude, p.longitude) + p.radius_km, p) for p in members),
                   key=lambda t: t[0])  # fmt: skip

    lat = sum(p.latitude for p in members) / len(members)
    lng = sum(p.longitude for p in members) / len(members)
    best = (reach(lat, lng)[0], lat, lng)
    for k in range(1, steps + 1):
        _r, far = reach(lat, lng)
        lat += (far.latitude - lat) / (k + 1)
        lng += (far.longitude - lng) / (k + 1)
        r = reach(lat, lng)[0]
        if r < best[0]:
            best = (r, lat, lng)
    radius, lat, lng = best
    # the parameters go out rounded: the rounded centre must still hold every member
    lat, lng = round(lat, 6), round(lng, 6)
    radius = reach(lat, lng)[0]
    return Cluster(tuple(members), lat, lng, math.ceil(radius * 1000 + 1) / 1000)


def clusters(places: Sequence[Place], ratio: float = UNION_RATIO) -> list[Cluster]:
    """Groups of overlapping places, greedily in the given order; places with an iNaturalist place id alone."""
    groups: list[list[Place]] = []
    for p in places:
        if p.inat_place_id:
            continue
        for g in groups:
            trial = enclosing([*g, p])
            if trial.radius_km <= ratio * max(m.radius_km for m in trial.members):
                g.append(p)
                break
        else:
            groups.append([p])
    return [enclosing(g) for g in groups]


def _rest(params: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in params.items() if k not in _LOCATION and k not in _PAGING))


def _coordinates(record: Any) -> tuple[float, float] | None:
    loc = record.get("location") if isinstance(record, dict) else None
    if isinstance(loc, str) and "," in loc:
        try:
            lat, lng = (float(x) for x in loc.split(","))
            return lat, lng
        except ValueError:
            return None
    geo = record.get("geojson") if isinstance(record, dict) else None
    coords = geo.get("coordinates") if isinstance(geo, dict) else None
    if isinstance(coords, list) and len(coords) == 2 and all(isinstance(c, int | float) for c in coords):
        return float(coords[1]), float(coords[0])
    return None


class UnionPool:
    """The ``butterfly_lib.http.exchange.Pool`` of iNaturalist for a run's places (see the module docstring)."""

    def __init__(
        self, places: Sequence[Place], ratio: float = UNION_RATIO, cap_per_member: int = CAP_PER_MEMBER
    ):
        self.clusters = [c for c in clusters(places, ratio) if len(c.members) > 1]
        self.cap_per_member = cap_per_member
        self._observations: dict[tuple, list[dict]] = {}
        self._histograms: dict[tuple, Shared] = {}
        self._lock = threading.Lock()

    def _member(self, params: Mapping[str, str]) -> tuple[Cluster, Place] | None:
        try:
            lat, lng, radius = (float(params[k]) for k in _LOCATION)
        except (KeyError, ValueError):
            return None
        for c in self.clusters:
            for p in c.members:
                if round(p.latitude, 6) == lat and round(p.longitude, 6) == lng and p.radius_km == radius:
                    return c, p
        return None

    @staticmethod
    def _kind(url: str, params: Mapping[str, str]) -> str | None:
        path = url.rstrip("/")
        # only the species page's week-of-year seasonality is the union's: observer effort (interval=week) and
        # the record's per-year counts (its deletion check) must be the place's own
        if path.endswith("/observations/histogram") and params.get("interval") == "week_of_year":
            return "histogram"
        if path.endswith("/observations") and params.get("order_by") == "id" and params.get("order") == "asc":
            return "observations"
        return None

    def answer(self, url: str, params: Mapping[str, str]) -> Shared | None:
        kind = self._kind(url, params)
        found = self._member(params) if kind else None
        if found is None:
            return None
        _cluster, place = found
        key = (url, _rest(params), place.latitude, place.longitude, place.radius_km)
        with self._lock:
            if kind == "histogram":
                return self._histograms.get(key)
            records = self._observations.get(key)
        if records is None:
            return None
        return self._page(records, params, url)

    @staticmethod
    def _page(records: list[dict], params: Mapping[str, str], via: str) -> Shared:
        """The page the API answers for ``params`` (``id_above``, ``per_page``) from a place's id-sorted records."""
        above = int(params.get("id_above", 0) or 0)
        per_page = int(params.get("per_page", OBSERVATIONS_PER_PAGE))
        matching = [r for r in records if r["id"] > above]
        body = {
            "total_results": len(matching),
            "page": 1,
            "per_page": per_page,
            "results": matching[:per_page],
        }
        return Shared.json(body, via)

    def fetch(self, url: str, params: Mapping[str, str], net: Net) -> Shared | None:
        kind = self._kind(url, params)
        found = self._member(params) if kind else None
        if found is None or "id_above" in params:
            return None
        cluster, _place = found
        union = {k: v for k, v in params.items() if k not in _LOCATION and k not in _PAGING}
        union.update(cluster.params)
        if kind == "histogram":
            resp = net.send(url, union)
            if resp.status_code != 200 or not isinstance(resp.json(), dict):
                return None
            notice = (
                f"week-of-year counts within {cluster.radius_km:.0f} km of {cluster.lat:.2f}, {cluster.lng:.2f}: "
                f"the area of the {len(cluster.members)} overlapping places of this site, asked once for all of "
                "them, so wider than this place alone"
            )
            shared = Shared(resp.content, "application/json", resp.url or url, notice)
            with self._lock:
                for p in cluster.members:
                    self._histograms[(url, _rest(params), p.latitude, p.longitude, p.radius_km)] = shared
            return shared
        records = self._union_observations(url, union, net, self.cap_per_member * len(cluster.members))
        if records is None:
            return None
        with self._lock:
            for p in cluster.members:
                mine = [
                    r for r in records
                    if (xy := _coordinates(r)) is not None
                    and distance_km(p.latitude, p.longitude, xy[0], xy[1]) <= p.radius_km
                ]  # fmt: skip
                self._observations[(url, _rest(params), p.latitude, p.longitude, p.radius_km)] = mine
        return self.answer(url, params)

    def _union_observations(self, url: str, union: dict[str, str], net: Net, cap: int) -> list[dict] | None:
        """Every observation of the union, id-sorted (paged by ``id_above``), or None when it is too many or a
        page fails."""
        records: list[dict] = []
        cursor: int | None = None
        total: int | None = None
        while True:
            q = {**union, "order_by": "id", "order": "asc", "per_page": str(OBSERVATIONS_PER_PAGE)}
            if cursor is not None:
                q["id_above"] = str(cursor)
            resp = net.send(url, q)
            if resp.status_code != 200:
                return None
            data = resp.json()
            results = data.get("results") if isinstance(data, dict) else None
            if not isinstance(results, list) or not all(
                isinstance(r, dict) and isinstance(r.get("id"), int) for r in results
            ):
                return None
            if total is None:
                total = data.get("total_results")
                if not isinstance(total, int) or total > cap:
                    return None
            records.extend(results)
            if not results or len(results) < OBSERVATIONS_PER_PAGE or len(records) >= total:
                break
            cursor = max(r["id"] for r in results)
        unique = {r["id"]: r for r in records}
        return [unique[i] for i in sorted(unique)]


def union_pools(places: Sequence[Place]) -> dict[str, UnionPool]:
    """``{"inaturalist": UnionPool}`` when some of ``places`` overlap, else nothing."""
    pool = UnionPool(places)
    return {SOURCE: pool} if pool.clusters else {}


__all__ = ["Cluster", "UnionPool", "clusters", "distance_km", "enclosing", "union_pools"]
