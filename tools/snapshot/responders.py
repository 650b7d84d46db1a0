"""``SnapshotAdapter``: a ``requests`` transport that answers the real API hosts from the bundled recordings.

Look here to see which URL goes to which fake (``route``). ``tools/build_snapshot.py`` mounts it on the
session the page builders use: the real clients then make their real
requests, the cache stores the answers under the real cache keys, and ``export`` writes them to
``data/snapshot/``. Each answer carries ``X-Butterfly-Kind`` / ``X-Butterfly-Notice`` (which ``fetch`` turns
into provenance) and ``X-Butterfly-Inputs`` (the recordings it was built from). A request the fakes do not
cover gets a 404 JSON body naming what is missing.
"""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import BaseAdapter

from butterfly_lib.http.fetch import KIND_HEADER, NOTICE_HEADER
from butterfly_lib.http.snapshot import INPUTS_HEADER, make_response
from tools.snapshot import SNAPSHOT_AS_OF, fake_inaturalist, fake_noaa, fake_open_meteo
from tools.snapshot.answer import Answer, NotCovered

HOSTS = (
    "api.inaturalist.org",
    "api.open-meteo.com",
    "archive-api.open-meteo.com",
    "ensemble-api.open-meteo.com",
    "www.ncei.noaa.gov",
)


def route(url: str, as_of: date | None = None) -> Answer:
    """The answer for a GET of ``url`` (a 404/400 ``Answer`` when the snapshot does not cover it)."""
    as_of = as_of or SNAPSHOT_AS_OF
    parts = urlsplit(url)
    host, path, q = parts.netloc, parts.path.rstrip("/"), parts.query
    try:
        if host == "api.inaturalist.org":
            if path == "/v1/observations":
                return fake_inaturalist.observations(q)
            if path == "/v1/observations/species_counts":
                return fake_inaturalist.species_counts(q, as_of)
            if path == "/v1/observations/histogram":
                return fake_inaturalist.histogram(q)
            if path.startswith("/v1/taxa/"):
                return fake_inaturalist.taxa(path.removeprefix("/v1/taxa/"), q)
        elif host == "api.open-meteo.com" and path == "/v1/forecast":
            return fake_open_meteo.forecast(q, as_of)
        elif host == "archive-api.open-meteo.com" and path == "/v1/archive":
            return fake_open_meteo.archive(q, as_of)
        elif host == "ensemble-api.open-meteo.com" and path == "/v1/ensemble":
            return fake_open_meteo.ensemble(q, as_of)
        elif host == "www.ncei.noaa.gov" and path == "/access/services/data/v1":
            return fake_noaa.daily_summaries(q)
        raise NotCovered(f"endpoint {host}{path} is not in the snapshot")
    except fake_open_meteo.OpenMeteoError as exc:
        return Answer.json({"error": True, "reason": str(exc)}, status=400)
    except NotCovered as exc:
        return Answer.json(
            {"error": "not covered by the offline snapshot", "url": url, "missing": str(exc)},
            status=exc.status,
        )


def _header_safe(text: str) -> str:
    """Header values travel as latin-1; percent-encode anything else (``fetch`` shows them as given)."""
    return text if text.isascii() else quote(text, safe=" ;:,.()/=-_'+*<>[]{}?!&%#@$~|")


class SnapshotAdapter(BaseAdapter):
    """Answers GETs for ``HOSTS`` in-process with ``route``; never opens a connection."""

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout=None, verify=True,  # noqa: ANN001
             cert=None, proxies=None) -> requests.Response:  # fmt: skip
        if request.method != "GET":
            answer = Answer.json({"error": f"{request.method} is not supported by the snapshot"}, status=405)
        else:
            answer = route(request.url or "")
        headers = {
            "Content-Type": answer.content_type,
            KIND_HEADER: answer.kind,
            NOTICE_HEADER: _header_safe(answer.notice),
            INPUTS_HEADER: json.dumps(answer.inputs),
        }
        return make_response(request, answer.body, headers, answer.status)

    def close(self) -> None:
        pass
