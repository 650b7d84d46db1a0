"""A small iNaturalist on the replay server, for record, effort and refresh tests and the record benchmark.

Look here to see what the tests' iNaturalist answers. ``World`` holds observation records of the real recorded
shape (copies of pyinaturalist's recorded Monarch observations, ``tests/fixtures/inaturalist``, with their id,
taxon, date, place, observer, grade and ``updated_at`` changed) and answers ``/observations`` (``lat``/``lng``/
``radius``, ``taxon_id`` through the taxon's ancestry, ``quality_grade``, ``verifiable``, ``d1``/``d2``,
``updated_since``, ``id``, ``id_above``, ``order_by=id``, ``per_page`` ≤ 200, ``only_id``) and
``/observations/histogram`` (``interval=year|week``, ``date_field=observed``; week keys are Monday dates, as
Elasticsearch's date histogram gives them) from that state, the way the API does, so a test can add, edit and
delete observations between two refreshes. ``fail_after`` makes the n-th observations request answer 500.
It plugs into ``tools.replay.ReplayServer`` as a route whose reply is computed from the query.
"""

from __future__ import annotations

import functools
import json
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.conftest import FIXTURES
from tools.replay import ReplayServer, Reply, Route

INAT = FIXTURES / "inaturalist"
BUTTERFLY_ANCESTRY = [48460, 1, 47120, 372739, 47158, 184884, 47157, 47224]
MOTH_ANCESTRY = [48460, 1, 47120, 372739, 47158, 184884, 47157]


@functools.lru_cache(maxsize=1)
def _recorded() -> str:
    return (INAT / "get_observations_page1.json").read_text()


def recorded_observation() -> dict:
    """The real recorded observation (pyinaturalist's Monarch, tests/fixtures) every record is a copy of."""
    return json.loads(_recorded())["results"][0]


def without_threads(rec: dict) -> dict:
    """``rec`` (an iNaturalist observation) with its identification threads emptied, as a fresh observation has
    them (50 kB of the recorded 59 kB); every other field keeps its recorded shape. Changes ``rec`` in place."""
    rec["identifications"], rec["non_owner_ids"], rec["comments"], rec["faves"] = [], [], [], []
    return rec


@functools.lru_cache(maxsize=1)
def _fresh_observation() -> str:
    """The recorded observation as JSON, ``without_threads``. Parsing this text gives each record its own copy (a
    deep copy of the parsed dict costs about ten times more)."""
    return json.dumps(without_threads(recorded_observation()))


def make_observation(
    oid: int,
    *,
    day: date,
    lat: float,
    lng: float,
    taxon_id: int = 48662,
    name: str = "Danaus plexippus",
    user_id: int = 7,
    quality: str = "research",
    updated_at: datetime | None = None,
    time_utc: str | None = "18:30:00",
    ancestry: list[int] | None = None,
) -> dict:
    rec = json.loads(_fresh_observation())
    rec["id"] = oid
    rec["observed_on"] = day.isoformat()
    rec["time_observed_at"] = f"{day.isoformat()}T{time_utc}+00:00" if time_utc else None
    rec["location"] = f"{lat},{lng}"
    rec["geojson"] = {"type": "Point", "coordinates": [lng, lat]}
    rec["quality_grade"] = quality
    rec["updated_at"] = (updated_at or datetime(day.year, day.month, day.day, 20, 0)).isoformat() + "+00:00"
    rec["user"] = {**rec["user"], "id": user_id, "login": f"user{user_id}"}
    rec["taxon"] = {
        **rec["taxon"],
        "id": taxon_id,
        "name": name,
        "ancestor_ids": [*(ancestry or BUTTERFLY_ANCESTRY), taxon_id],
    }
    return rec


def _km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


class World(Route):
    """The state of a small iNaturalist and its answers (a ``Route`` whose reply depends on the query)."""

    def __init__(self, prefix: str = "/inaturalist"):
        super().__init__(prefix, [Reply()])
        self.prefix = prefix.rstrip("/")
        self.records: dict[int, dict] = {}
        self.fail_after: int | None = None
        self.observation_requests = 0
        self._query: dict[str, str] = {}
        self._path = ""

    # ---- state
    def add(self, *records: dict) -> None:
        for r in records:
            self.records[r["id"]] = json.loads(json.dumps(r))  # its own copy; records are JSON

    def delete(self, oid: int) -> None:
        del self.records[oid]

    def edit(self, oid: int, **changes: Any) -> None:
        rec = self.records[oid]
        for k, v in changes.items():
            rec[k] = v
        rec["updated_at"] = datetime.now(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "+00:00"

    def install(self, server: ReplayServer) -> World:
        with server._lock:
            server.routes.insert(0, self)
        return self

    # ---- Route interface: remember the query of the match, answer from it
    def matches(self, path: str, query: dict[str, str]) -> bool:
        if not path.rstrip("/").startswith(self.prefix + "/observations"):
            return False
        self._path, self._query = path.rstrip("/"), query
        return True

    def next_reply(self) -> Reply:
        self.served += 1
        if self._path.endswith("/histogram"):
            return Reply.json(self.histogram(self._query))
        self.observation_requests += 1
        if self.fail_after is not None and self.observation_requests > self.fail_after:
            return Reply.json({"error": "boom"}, status=500)
        return Reply.json(self.observations(self._query))

    # ---- API semantics
    def matching(self, q: dict[str, str]) -> list[dict]:
        out = []
        grades = set(q["quality_grade"].split(",")) if "quality_grade" in q else None
        for r in self.records.values():
            lat, lng = (float(x) for x in r["location"].split(","))
            if {"lat", "lng"} <= set(q) and _km(float(q["lat"]), float(q["lng"]), lat, lng) > float(q.get("radius", 10)):
                continue
            if "taxon_id" in q and int(q["taxon_id"]) not in r["taxon"]["ancestor_ids"]:
                continue
            if grades is not None and r["quality_grade"] not in grades:
                continue
            if q.get("verifiable") == "true" and r["quality_grade"] == "casual":
                continue
            day = date.fromisoformat(r["observed_on"])
            if "d1" in q and day < date.fromisoformat(q["d1"][:10]):
                continue
            if "d2" in q and day > date.fromisoformat(q["d2"][:10]):
                continue
            if "updated_since" in q and datetime.fromisoformat(r["updated_at"]) <= datetime.fromisoformat(q["updated_since"]):
                continue
            if "id" in q and r["id"] not in {int(i) for i in q["id"].split(",")}:
                continue
            if "id_above" in q and r["id"] <= int(q["id_above"]):
                continue
            out.append(r)
        return sorted(out, key=lambda r: r["id"])

    def observations(self, q: dict[str, str]) -> dict:
        found = self.matching(q)
        per_page = min(int(q.get("per_page", 30)), 200)
        page = found[:per_page]
        if q.get("only_id") == "true":
            page = [{"id": r["id"]} for r in page]
        return {"total_results": len(found), "page": 1, "per_page": per_page, "results": page}

    def histogram(self, q: dict[str, str]) -> dict:
        found = self.matching({k: v for k, v in q.items() if k not in ("interval", "date_field")})
        interval = q.get("interval", "month_of_year")
        counts: dict[str, int] = {}
        for r in found:
            day = date.fromisoformat(r["observed_on"])
            if interval == "year":
                key = date(day.year, 1, 1)
            elif interval == "week":
                key = day - timedelta(days=day.weekday())
            else:
                raise ValueError(f"interval {interval} not implemented by the test world")
            counts[key.isoformat()] = counts.get(key.isoformat(), 0) + 1
        if counts and interval == "week":  # a date histogram fills empty buckets between the first and last
            keys = sorted(counts)
            d, last = date.fromisoformat(keys[0]), date.fromisoformat(keys[-1])
            while d <= last:
                counts.setdefault(d.isoformat(), 0)
                d += timedelta(days=7)
        series = dict(sorted(counts.items()))
        return {"total_results": len(series), "page": 1, "per_page": len(series), "results": {interval: series}}
