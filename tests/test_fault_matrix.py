"""Fault matrix: every source endpoint family × every fault a real API produces, through the replay server,
the real cached session and the real client functions, each cell asserting exactly one expected outcome.

Outcomes (``reliability_report`` collects them into docs/reliability-report.md):

- RETRIED: the session retried and the frame equals the one a clean answer gives;
- STALE: a good copy cached earlier (now expired) is served, ``provenance.stale`` is set and the notice says the
  refresh failed; the cache entry is byte-for-byte the good one afterwards;
- ERROR: ``SourceError`` naming the source, the URL and what to do; nothing is written to the cache;
- EMPTY / EMPTY_DAYS: a valid empty answer gives an empty frame with the usual columns, or, for a date range,
  every day of the range with missing values and a notice; nothing invented;
- NULLS: nulls inside arrays stay missing at exactly their places; every other value equals the clean answer.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
import time_machine
import xarray as xr

from butterfly_lib.errors import SourceError
from butterfly_lib.http import make_retry
from butterfly_lib.place import Place
from butterfly_lib.provenance import provenance_of
from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND
from butterfly_lib.sources import inaturalist as inat
from butterfly_lib.sources.noaa import noaa_daily
from butterfly_lib.sources.open_meteo import archive_daily, ensemble, forecast_daily
from tests.conftest import FIXTURES, make_session
from tests.report_plugin import record
from tools.replay import Reply

RETRIED = "retried then correct"
STALE = "stale cached data served with visible notice"
ERROR = "clear error naming source, URL and what to do"
EMPTY = "empty answer shown as empty, nothing invented"
EMPTY_DAYS = "every day of the range shown missing, with a notice, nothing invented"
NULLS = "nulls stay missing in place, other values correct"

ENSCHEDE = Place("Enschede", 52.276, 6.873, timezone="Europe/Amsterdam")
ENSCHEDE_GMT = Place("Enschede", 52.276, 6.873, timezone="GMT")
AUG_2020 = inat.DateRange(date(2020, 8, 1), date(2020, 8, 31))
HTML_PAGE = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
READ_TIMEOUT = 0.4


def _json(folder: str, name: str) -> dict:
    return json.loads((FIXTURES / folder / name).read_text())


def _observations_body() -> dict:
    p1 = _json("inaturalist", "get_observations_page1.json")["results"]
    p2 = _json("inaturalist", "get_observations_page2.json")["results"]
    return {"total_results": 2, "page": 1, "per_page": 200, "results": p1 + p2}


def _csv() -> str:
    return (FIXTURES / "noaa" / "daily_summaries_USW00024229_first40.csv").read_text()


# ------------------------------------------------------------------ the body mutations each endpoint suffers


def _mutate(fn: Callable[[Any], None]) -> Callable[[Any], Any]:
    def apply(body: Any) -> Any:
        body = copy.deepcopy(body)
        fn(body)
        return body

    return apply


def _rename(d: dict, old: str, new: str) -> None:
    d[new] = d.pop(old)


def _empty_block(block: str) -> Callable[[dict], None]:
    def f(body: dict) -> None:
        for k in body[block]:
            body[block][k] = []

    return f


def _csv_rename(text: str) -> str:
    header, rest = text.split("\n", 1)
    return header.replace('"TMAX"', '"MAX_TEMP"') + "\n" + rest


def _csv_drop_column(text: str, column: str) -> str:
    frame = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
    return frame.drop(columns=column).to_csv(index=False)


def _csv_blank_value(text: str) -> str:
    lines = text.split("\n")
    cells = lines[3].split(",")
    cells[-2] = '""'  # TMAX of the third day
    lines[3] = ",".join(cells)
    return "\n".join(lines)


@dataclass(frozen=True)
class Endpoint:
    """One endpoint family: its replay path, its real recording, the client call and its body mutations."""

    name: str
    source: str
    path: str
    body: Callable[[], Any]  # the real recording (JSON object or CSV text)
    call: Callable[[Any], Any]  # session -> frame / dataset
    missing: Callable[[Any], Any]
    renamed: Callable[[Any], Any]
    nulls: Callable[[Any], Any]
    nulls_outcome: str
    empty: Callable[[Any], Any]
    empty_outcome: str
    csv: bool = False
    extra: dict[str, Callable[[Any], Any]] = field(default_factory=dict)

    def reply(self, body: Any = None) -> Reply:
        body = self.body() if body is None else body
        if self.csv:
            return Reply(body, content_type="text/csv")
        return Reply.json(body)


ENDPOINTS = [
    Endpoint(
        "inaturalist/observations",
        "inaturalist",
        "/inaturalist/observations",
        _observations_body,
        lambda s: inat.observations(PORTLAND, AUG_2020, session=s),
        missing=_mutate(lambda b: b["results"][0].pop("observed_on")),
        renamed=_mutate(lambda b: _rename(b, "total_results", "totalResults")),
        nulls=_mutate(lambda b: b["results"][1].__setitem__("photos", [None, *b["results"][1]["photos"]])),
        nulls_outcome=NULLS,
        empty=lambda b: {"total_results": 0, "page": 1, "per_page": 200, "results": []},
        empty_outcome=EMPTY,
    ),
    Endpoint(
        "inaturalist/species_counts",
        "inaturalist",
        "/inaturalist/observations/species_counts",
        lambda: _json("inaturalist", "get_observation_species_counts.json"),
        lambda s: inat.species_counts(PORTLAND, AUG_2020, session=s),
        missing=_mutate(lambda b: b["results"][3].pop("count")),
        renamed=_mutate(lambda b: _rename(b["results"][3], "taxon", "taxa")),
        nulls=_mutate(lambda b: b["results"].insert(2, None)),
        nulls_outcome=ERROR,
        empty=lambda b: {"total_results": 0, "page": 1, "per_page": 500, "results": []},
        empty_outcome=EMPTY,
    ),
    Endpoint(
        "inaturalist/histogram",
        "inaturalist",
        "/inaturalist/observations/histogram",
        lambda: _json("inaturalist", "get_observation_histogram_week_of_year.json"),
        lambda s: inat.seasonality(PORTLAND, session=s),
        missing=_mutate(lambda b: b.pop("results")),
        renamed=_mutate(lambda b: _rename(b["results"], "week_of_year", "weekOfYear")),
        nulls=_mutate(lambda b: b["results"]["week_of_year"].__setitem__("30", None)),
        nulls_outcome=NULLS,
        empty=_mutate(lambda b: b["results"].__setitem__("week_of_year", {})),
        empty_outcome=EMPTY,
    ),
    Endpoint(
        "inaturalist/taxa",
        "inaturalist",
        "/inaturalist/taxa/70118",
        lambda: _json("inaturalist", "get_taxa_by_id.json"),
        lambda s: inat.taxa([70118], session=s),
        missing=_mutate(lambda b: b["results"][0].pop("rank")),
        renamed=_mutate(lambda b: _rename(b["results"][0], "name", "scientific_name")),
        nulls=_mutate(lambda b: b["results"][0]["ancestor_ids"].insert(1, None)),
        nulls_outcome=NULLS,
        empty=lambda b: {"total_results": 0, "page": 1, "per_page": 30, "results": []},
        empty_outcome=ERROR,
    ),
    Endpoint(
        "open_meteo/forecast",
        "open_meteo_forecast",
        "/open_meteo_forecast/forecast",
        lambda: _json("open-meteo", "forecast.json"),
        lambda s: forecast_daily(ENSCHEDE, session=s),
        missing=_mutate(lambda b: b["daily"].pop("sunshine_duration")),
        renamed=_mutate(lambda b: _rename(b["daily"], "temperature_2m_max", "temperature_max")),
        nulls=_mutate(lambda b: b["daily"]["temperature_2m_max"].__setitem__(1, None)),
        nulls_outcome=NULLS,
        empty=_mutate(_empty_block("daily")),
        empty_outcome=EMPTY,
    ),
    Endpoint(
        "open_meteo/archive",
        "open_meteo_archive",
        "/open_meteo_archive/archive",
        lambda: _json("open-meteo", "historical_weather.json"),
        # today= a few days after the span: the current tier (24 h), so the cached copy can expire
        lambda s: archive_daily(
            ENSCHEDE,
            "1953-01-31",
            "1953-02-01",
            variables=["precipitation_sum", "wind_gusts_10m_max"],
            session=s,
            today=date(1953, 2, 5),
        ),  # fmt: skip
        missing=_mutate(lambda b: b["daily"].pop("precipitation_sum")),
        renamed=_mutate(lambda b: _rename(b["daily"], "wind_gusts_10m_max", "wind_gusts_max")),
        nulls=_mutate(lambda b: b["daily"]["precipitation_sum"].__setitem__(0, None)),
        nulls_outcome=NULLS,
        empty=_mutate(_empty_block("daily")),
        empty_outcome=EMPTY_DAYS,
    ),
    Endpoint(
        "open_meteo/ensemble",
        "open_meteo_ensemble",
        "/open_meteo_ensemble/ensemble",
        lambda: _json("open-meteo", "ensemble.json"),
        lambda s: ensemble(
            ENSCHEDE_GMT,
            model="icon_seamless",
            resolution="hourly",
            variables=["temperature_2m"],
            forecast_days=2,
            session=s,
        ),  # fmt: skip
        missing=_mutate(lambda b: b["hourly"].pop("time")),
        renamed=_mutate(lambda b: _rename(b, "hourly", "hourly_data")),
        nulls=_mutate(lambda b: b["hourly"]["temperature_2m_member05"].__setitem__(0, None)),
        nulls_outcome=NULLS,
        empty=_mutate(_empty_block("hourly")),
        empty_outcome=EMPTY,
    ),
    Endpoint(
        "noaa/daily-summaries",
        "noaa",
        "/noaa/",
        _csv,
        lambda s: noaa_daily(
            "USW00024229", date(1940, 10, 14), date(1940, 11, 22), session=s, today=date(1940, 11, 25)
        ),
        missing=lambda t: _csv_drop_column(t, "TMIN"),
        renamed=_csv_rename,  # the changed CSV header
        nulls=_csv_blank_value,
        nulls_outcome=NULLS,
        empty=lambda t: "",
        empty_outcome=EMPTY_DAYS,
        csv=True,
    ),
]
BY_NAME = {e.name: e for e in ENDPOINTS}


# ------------------------------------------------------------------ faults


def _truncated(ep: Endpoint) -> Reply:
    """A complete HTTP answer whose body stops half way (a server or proxy cut it)."""
    body = ep.reply().body
    body = body.encode() if isinstance(body, str) else body
    return Reply(body[: len(body) // 2], content_type="text/csv" if ep.csv else "application/json")


def _cut(ep: Endpoint) -> Reply:
    """The connection drops mid-body (Content-Length says more is coming)."""
    body = ep.reply().body
    return Reply(body, content_type="text/csv" if ep.csv else "application/json", truncate=len(body) // 3)


#: fault id -> Reply factory; transient faults are followed by a good answer
TRANSIENT: dict[str, Callable[[Endpoint], Reply]] = {
    "429+Retry-After": lambda ep: Reply.json(
        {"error": "rate limited"}, status=429, headers={"Retry-After": "1"}
    ),
    "429": lambda ep: Reply.json({"error": "rate limited"}, status=429),
    "500": lambda ep: Reply("Internal Server Error", status=500, content_type="text/plain"),
    "502": lambda ep: Reply(HTML_PAGE, status=502, content_type="text/html"),
    "503": lambda ep: Reply("Service Unavailable", status=503, content_type="text/plain"),
    "504": lambda ep: Reply("Gateway Timeout", status=504, content_type="text/plain"),
    "timeout": lambda ep: Reply(
        ep.reply().body, delay=READ_TIMEOUT * 3, content_type=ep.reply().content_type
    ),
    "connection-reset": lambda ep: Reply(reset=True),
}
#: faults that persist through every retry
PERSISTENT: dict[str, Callable[[Endpoint], Reply]] = {
    "503-persistent": TRANSIENT["503"],
    "timeout-persistent": TRANSIENT["timeout"],
    "reset-persistent": TRANSIENT["connection-reset"],
    "connection-cut-mid-body": _cut,
    "truncated-body": _truncated,
    "html-error-page-200": lambda ep: Reply(HTML_PAGE, content_type="text/html"),
    "field-missing": lambda ep: ep.reply(ep.missing(ep.body())),
    "field-renamed": lambda ep: ep.reply(ep.renamed(ep.body())),
}


def _fault_name(fault: str, ep: Endpoint) -> str:
    if ep.csv and fault == "field-renamed":
        return "csv-header-changed"
    if ep.csv and fault == "field-missing":
        return "csv-column-missing"
    return fault


# ------------------------------------------------------------------ helpers


@pytest.fixture
def server(replay):
    return replay


def _session(tmp_path, name: str, server):
    return make_session(
        tmp_path / f"{name}.sqlite", retry=make_retry(total=3, backoff_factor=0.01), timeout=(2.0, READ_TIMEOUT),
        server=server,
    )


def _data(obj: Any) -> Any:
    out = obj.copy()
    out.attrs = {}
    return out


def assert_same(got: Any, want: Any) -> None:
    if isinstance(want, xr.Dataset):
        xr.testing.assert_equal(_data(got), _data(want))
    else:
        pd.testing.assert_frame_equal(_data(got), _data(want))


def cache_entries(session) -> dict[str, tuple[bytes, Any, Any]]:
    return {
        key: (resp.content, resp.created_at, resp.expires)
        for key, resp in ((k, session.cache.responses[k]) for k in session.cache.responses)
    }


def clean_reference(server, ep: Endpoint, tmp_path) -> Any:
    """The frame a clean answer gives, from a session of its own."""
    server.add(ep.path, ep.reply())
    s = _session(tmp_path, "reference", server)
    try:
        return ep.call(s)
    finally:
        s.close()


def assert_clear_error(err: SourceError, ep: Endpoint, server) -> None:
    assert err.source == ep.source
    assert err.url.startswith(server.url + ep.path.rstrip("/")), err.url
    text = str(err)
    assert text.startswith(f"{ep.source}: ") and f"(URL: {err.url})" in text
    assert re.search(r"\(URL: [^)]*\)\. \S", text), f"no advice on what to do in {text!r}"


def _cells(kind: str) -> list:
    out = []
    for ep in ENDPOINTS:
        faults = TRANSIENT if kind == "transient" else PERSISTENT
        for fault in faults:
            name = _fault_name(fault, ep)
            if kind == "transient":
                out.append(pytest.param(ep.name, fault, RETRIED, id=f"{ep.name}|{name}|{RETRIED}"))
            else:
                for outcome in (ERROR, STALE):
                    out.append(pytest.param(ep.name, fault, outcome, id=f"{ep.name}|{name}|{outcome}"))
    return out


# ------------------------------------------------------------------ the matrix


@pytest.mark.parametrize(("endpoint", "fault", "expected"), _cells("transient"))
def test_transient_fault_is_retried(server, tmp_path, request, endpoint, fault, expected):
    ep = BY_NAME[endpoint]
    record(request, ep.name, _fault_name(fault, ep) + " (once)", expected)
    want = clean_reference(server, ep, tmp_path)
    before = len(server.requests)
    server.add(ep.path, TRANSIENT[fault](ep), ep.reply())
    s = _session(tmp_path, "matrix", server)
    got = ep.call(s)
    assert len(server.requests) - before == 2, "one failed try, one retry"
    assert_same(got, want)
    prov = provenance_of(got) if not isinstance(got, xr.Dataset) else got.attrs["provenance"]
    assert not prov.stale and not prov.from_cache
    # and the good answer is what the cache now holds
    ((content, *_),) = cache_entries(s).values()
    assert content == (ep.reply().body.encode() if isinstance(ep.reply().body, str) else ep.reply().body)
    s.close()


@pytest.mark.parametrize(("endpoint", "fault", "expected"), _cells("persistent"))
def test_persistent_fault(server, tmp_path, request, endpoint, fault, expected):
    ep = BY_NAME[endpoint]
    name = _fault_name(fault, ep)
    record(
        request,
        ep.name,
        name + (" (nothing cached)" if expected == ERROR else " (expired copy cached)"),
        expected,
    )
    s = _session(tmp_path, "matrix", server)
    if expected == ERROR:
        server.add(ep.path, PERSISTENT[fault](ep))
        with pytest.raises(SourceError) as err:
            ep.call(s)
        assert_clear_error(err.value, ep, server)
        assert cache_entries(s) == {}, "a rejected answer must never be cached"
    else:
        server.add(ep.path, ep.reply())
        good = ep.call(s)
        held = cache_entries(s)
        assert len(held) == 1
        server.add(ep.path, PERSISTENT[fault](ep))
        before = len(server.requests)
        with time_machine.travel(datetime.now(UTC) + timedelta(days=100)):
            got = ep.call(s)
        assert len(server.requests) > before, "the expired copy must trigger a refresh"
        prov = got.attrs["provenance"]
        assert prov.stale and prov.from_cache and prov.status == "stale"
        assert "refresh failed" in prov.notice
        assert_same(got, good)
        assert cache_entries(s) == held, "a failed refresh must leave the good cached copy untouched"
    s.close()


@pytest.mark.parametrize(
    "endpoint",
    [pytest.param(e.name, id=f"{e.name}|nulls-inside-arrays|{e.nulls_outcome}") for e in ENDPOINTS],
)
def test_nulls_inside_arrays(server, tmp_path, request, endpoint):
    ep = BY_NAME[endpoint]
    record(request, ep.name, "nulls inside arrays", ep.nulls_outcome)
    want = clean_reference(server, ep, tmp_path)
    server.add(ep.path, ep.reply(ep.nulls(ep.body())))
    s = _session(tmp_path, "matrix", server)
    if ep.nulls_outcome == ERROR:
        with pytest.raises(SourceError) as err:
            ep.call(s)
        assert_clear_error(err.value, ep, server)
        assert "NoneType" in str(err.value)
        assert cache_entries(s) == {}
        return
    got = ep.call(s)
    expected_missing = {
        "inaturalist/observations": None,  # the null photo is skipped: the first real one is used
        "inaturalist/taxa": None,  # a null ancestor id is dropped from the chain
        "inaturalist/histogram": ("count", 29),
        "open_meteo/forecast": ("tmax_c", 1),
        "open_meteo/archive": ("precipitation_mm", 0),
        "noaa/daily-summaries": ("tmax_f", 2),
    }
    if ep.name == "open_meteo/ensemble":
        assert np.isnan(got["temperature_c"].sel(member=5).values[0])
        want = want.copy()
        want["temperature_c"].loc[{"member": 5}] = [np.nan, want["temperature_c"].sel(member=5).values[1]]
        assert_same(got, want)
        return
    spot = expected_missing[ep.name]
    if spot is not None:
        column, row = spot
        assert pd.isna(got.loc[row, column]) and not pd.isna(want.loc[row, column])
        want = want.copy()
        want[column] = want[column].astype(got[column].dtype)
        want.loc[row, column] = got.loc[row, column]
    assert_same(got, want)
    if ep.name == "noaa/daily-summaries":
        assert got.attrs["missing"]["tmax_f"] == want.attrs["missing"]["tmax_f"] + 1
        assert "tmax_f" in provenance_of(got).notice


@pytest.mark.parametrize(
    "endpoint", [pytest.param(e.name, id=f"{e.name}|empty-result|{e.empty_outcome}") for e in ENDPOINTS]
)
def test_empty_result(server, tmp_path, request, endpoint):
    ep = BY_NAME[endpoint]
    record(request, ep.name, "empty result", ep.empty_outcome)
    want = clean_reference(server, ep, tmp_path)
    server.add(ep.path, ep.reply(ep.empty(ep.body())))
    s = _session(tmp_path, "matrix", server)
    if ep.empty_outcome == ERROR:
        with pytest.raises(SourceError) as err:
            ep.call(s)
        assert_clear_error(err.value, ep, server)
        return
    got = ep.call(s)
    if isinstance(got, xr.Dataset):
        assert got.sizes["time"] == 0 and set(got.data_vars) == set(want.data_vars)
    elif ep.csv:  # NOAA: the days of the range, every value missing, and the page told so
        assert len(got) == len(want) and got[["tmax_f", "tmin_f", "prcp_in"]].isna().all().all()
        assert got.attrs["missing"]["absent_days"] == len(want)
        assert "missing" in provenance_of(got).notice
    elif ep.name == "open_meteo/archive":  # a date range: its days, every value missing, and the page told so
        assert len(got) == len(want) and got.drop(columns="date").isna().all().all()
        assert got.attrs["absent_days"] == len(want)
        assert "absent from the answer" in provenance_of(got).notice
    else:
        assert got.empty and list(got.columns) == list(want.columns)
