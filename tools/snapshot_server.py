"""A replay server that answers with the bundled snapshot's recorded responses: the network stand-in for live
runs in tests and benchmarks.

Look here to run the real pages "live" without the internet. ``snapshot_server`` serves every response of
``data/snapshot/manifest.json`` under ``/<source name>/<path below the API's base URL>``; ``endpoints(server)``
are the base URLs to give the run's settings; ``server_misses`` lists requests it had no recording for.
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
from tools.replay import ReplayServer, Reply

#: query parameters that name a location; dropped from single-location routes when other places may ask
LOCATION_PARAMS = ("latitude", "longitude", "lat", "lng")


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


def add_manifest_routes(server: ReplayServer, snapshot_dir: Path | None = None, *, any_place: bool = False) -> int:
    """Register every recorded response of the snapshot on ``server``; return how many.

    A route matches the recorded URL's path and all its query parameters. With ``any_place`` the location
    parameters of single-location requests are dropped, so a nearby place is answered with Portland's recording
    (the request count and timing are what a benchmark needs; the values are Portland's).
    """
    folder, manifest = load_manifest(snapshot_dir)
    routes = []
    for entry in manifest["responses"]:
        name, rel = base_of(entry["url"])
        params = dict(parse_qsl(urlsplit(entry["url"]).query, keep_blank_values=True))
        if any_place:
            params = {k: v for k, v in params.items() if not (k in LOCATION_PARAMS and "," not in v)}
        routes.append((f"/{name}{rel}", entry, params))
    # a route matches every query holding its parameters and the last added is tried first, so the more specific
    # ones go in last: the record's second page (its first page's query plus id_above) must not get the first page
    for path, entry, params in sorted(routes, key=lambda r: len(r[2])):
        server.add(path, Reply(read_body(folder, entry), content_type=entry["content_type"]), params=params)
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
