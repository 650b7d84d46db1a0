"""A replay server that answers with the bundled snapshot's recorded responses: the network stand-in for live
runs in tests and benchmarks.

Look here to run the real pages "live" without the internet. ``snapshot_server`` serves every response of
``data/snapshot/manifest.json`` under ``/<source name>/<path below the API's base URL>``; ``endpoints(server)``
are the base URLs to give the run's settings; ``server_misses`` lists requests it had no recording for.

With ``any_place`` (benchmarks of several places; only Portland was recorded) a single-place recording answers
the same question for any place (an iNaturalist query over a union of places included), a request for several
coordinates gets one copy per coordinate pair (as Open-Meteo answers them: a list), and the weather at
sighting cells is cut out of the recorded answer that holds those cells and days (a place's sightings are a
subset of Portland's there). The values are Portland's; the requests, their count and timing are the run's.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from butterfly_lib.http.snapshot import read_body
from butterfly_lib.settings import DEFAULT_ENDPOINTS, Paths
from tools.replay import ReplayServer, Reply, Route

#: query parameters that name a location; dropped from single-location routes when other places may ask
LOCATION_PARAMS = ("latitude", "longitude", "lat", "lng", "radius")
_COORDINATES = ("latitude", "longitude")


def endpoints(server: ReplayServer) -> dict[str, str]:
    """Every source's base URL on ``server`` (``<server>/<source name>``)."""
    return {name: f"{server.url}/{name}" for name in DEFAULT_ENDPOINTS}


def base_of(url: str) -> tuple[str, str]:
    """(source name, path below its default base URL) of a real API URL."""
    best: tuple[str, str] | None = None
    u = urlsplit(url)
    for name, default in DEFAULT_ENDPOINTS.items():
        d = urlsplit(default)
        if u.netloc == d.netloc and u.path.startswith(d.path) and (best is None or len(d.path) > len(best[1])):
            best = (name, d.path)
    if best is None:
        raise KeyError(f"{url} is under none of the default endpoints")
    return best[0], u.path[len(best[1]) :]


def load_manifest(snapshot_dir: Path | None = None) -> tuple[Path, dict]:
    folder = Path(snapshot_dir or Paths().snapshot_dir)
    return folder, json.loads((folder / "manifest.json").read_text())


class AnyPlaceRoute(Route):
    """A single-place recording answering the same question anywhere; for several coordinates, one copy each."""

    def __init__(self, path: str, reply: Reply, params: dict[str, str]):
        super().__init__(path, [reply], {k: v for k, v in params.items() if k not in LOCATION_PARAMS})
        self._places = 1
        self._query: dict[str, str] = {}

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if not super().matches(path, query):
            return False
        extra = {k for k in query if k not in LOCATION_PARAMS} - set(self.params or {})
        if extra:
            return False
        self._places = len(query.get("latitude", "").split(",")) if "," in query.get("latitude", "") else 1
        self._query = query
        return True

    def next_reply(self) -> Reply:
        self.served += 1
        reply = self.replies[0]
        if self._places == 1:
            return reply
        one = json.loads(reply.body)
        copies = []
        for lat, lon in zip(self._query["latitude"].split(","), self._query["longitude"].split(","), strict=True):
            copies.append({**one, "latitude": float(lat), "longitude": float(lon)})
        return Reply.json(copies)


class CellsRoute(Route):
    """Weather at sighting cells: the requested cells and days cut out of the recorded archive answers."""

    def __init__(self, path: str, recorded: list[tuple[dict[str, str], bytes]]):
        super().__init__(path, [Reply()])
        self.recorded = recorded
        self._answer: list[dict] | None = None
        self._single = False

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if path.rstrip("/") != self.path or not all(k in query for k in (*_COORDINATES, "start_date", "end_date")):
            return False
        cells = list(zip(query["latitude"].split(","), query["longitude"].split(","), strict=False))
        start, end = query["start_date"], query["end_date"]
        found: dict[tuple[str, str], dict] = {}
        for params, body in self.recorded:  # each cell from any recorded answer that holds it over these days
            if any(params.get(k) != query.get(k) for k in ("daily", "timezone", "models")):
                continue
            if not params["start_date"] <= start <= end <= params["end_date"]:
                continue
            recorded_cells = list(zip(params["latitude"].split(","), params["longitude"].split(","), strict=True))
            if not any(c in recorded_cells and c not in found for c in cells):
                continue
            data = json.loads(body)
            items = data if isinstance(data, list) else [data]
            for c, item in zip(recorded_cells, items, strict=True):
                found.setdefault(c, item)
        if not all(c in found for c in cells):
            return False
        self._answer = [self._cut(found[c], start, end) for c in cells]
        self._single = "," not in query["latitude"]
        return True

    @staticmethod
    def _cut(item: dict, start: str, end: str) -> dict:
        days = item["daily"]["time"]
        keep = [i for i, d in enumerate(days) if start <= d <= end]
        daily = {k: [v[i] for i in keep] for k, v in item["daily"].items()}
        return {**item, "daily": daily}

    def next_reply(self) -> Reply:
        self.served += 1
        assert self._answer is not None
        return Reply.json(self._answer[0] if self._single else self._answer)


def add_manifest_routes(server: ReplayServer, snapshot_dir: Path | None = None, *, any_place: bool = False) -> int:
    """Register every recorded response of the snapshot on ``server``; return how many.

    A route matches the recorded URL's path and all its query parameters. With ``any_place`` (see the module
    docstring) single-place recordings answer any place and any number of places, and sighting cells are cut
    out of the recorded answers holding them (the request count and timing are what a benchmark needs; the
    values are Portland's).
    """
    folder, manifest = load_manifest(snapshot_dir)
    cells: list[tuple[dict[str, str], bytes]] = []
    routes = []
    for entry in manifest["responses"]:
        name, rel = base_of(entry["url"])
        params = dict(parse_qsl(urlsplit(entry["url"]).query, keep_blank_values=True))
        reply = Reply(read_body(folder, entry), content_type=entry["content_type"])
        if name == "open_meteo_archive" and "start_date" in params:
            cells.append((params, reply.body if isinstance(reply.body, bytes) else reply.body.encode()))
        if any_place and "," not in params.get("latitude", ""):
            with server._lock:
                server.routes.insert(0, AnyPlaceRoute(f"/{name}{rel}", reply, params))
        else:
            routes.append((f"/{name}{rel}", reply, params))
    # a route matches every query holding its parameters and the last added is tried first, so the more specific
    # ones go in last: the record's second page (its first page's query plus id_above) must not get the first page
    for path, reply, params in sorted(routes, key=lambda r: len(r[2])):
        server.add(path, reply, params=params)
    if any_place:
        with server._lock:
            server.routes.append(CellsRoute("/open_meteo_archive/archive", cells))
    return len(manifest["responses"])


def server_misses(server: ReplayServer, since: int = 0) -> list[str]:
    """Paths with queries the server had no recording for (answered 404)."""
    out = []
    for r in server.requests[since:]:
        if not any(route.matches(r.path, r.query) for route in server.routes):
            out.append(r.path + "?" + "&".join(f"{k}={v}" for k, v in sorted(r.query.items())))
    return out


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def snapshot_server(
    latency: float = 0.2, *, any_place: bool = False, port: int | None = None
) -> Iterator[ReplayServer]:
    """A running ``ReplayServer`` answering the snapshot's recordings, ``latency`` seconds per request."""
    # the cache key holds the base URL, port included: a warm run in another process must reach the server on
    # the cold run's port to find the cold run's entries
    server = ReplayServer(latency=latency, port=port or 0).start()
    try:
        add_manifest_routes(server, any_place=any_place)
        yield server
    finally:
        server.stop()
