"""Fetch, then render: the exchange (one turn per source, pooling across places), the pooling rules of Open-Meteo
and iNaturalist, thread-safe products, the kernel workers' order, and the cache file shared by processes.

Nothing here measures time: the figures are in ``benchmarks/`` (``make bench``).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from butterfly_lib.http import Tier, build_session, fetch
from butterfly_lib.http.exchange import Exchange, attach_exchange
from butterfly_lib.place import Place
from butterfly_lib.sources.inaturalist import DateRange, observations, seasonality
from butterfly_lib.sources.inaturalist.pooling import UnionPool, clusters, distance_km, union_pools
from butterfly_lib.sources.open_meteo import archive_daily
from butterfly_lib.sources.open_meteo.pooling import LocationPool, location_pools
from tests.conftest import FIXTURES, test_http_settings
from tools.inat_world import World, make_observation
from tools.open_meteo_world import ArchiveWorld
from tools.replay import ReplayServer, Reply

PORTLAND = Place("Portland", 45.52, -122.68, radius_km=50.0, timezone="America/Los_Angeles")
VANCOUVER = Place("Vancouver", 45.64, -122.66, radius_km=50.0, timezone="America/Los_Angeles")
BEAVERTON = Place("Beaverton", 45.49, -122.80, radius_km=50.0, timezone="America/Los_Angeles")
BEND = Place("Bend", 44.06, -121.31, radius_km=50.0, timezone="America/Los_Angeles")


def exchange_session(tmp_path: Path, server: ReplayServer, pools: dict, name: str = "x.sqlite"):
    http = test_http_settings(tmp_path / name, server=server)
    ex = Exchange(http, pools)
    return attach_exchange(build_session(http), ex), ex


def plain_session(tmp_path: Path, server: ReplayServer, name: str):
    return build_session(test_http_settings(tmp_path / name, server=server))


# ---------------------------------------------------------------- Open-Meteo: one request for several places


def test_archive_for_three_places_is_one_request_with_each_place_its_own_answer(tmp_path):
    with ReplayServer() as server:
        world = ArchiveWorld().install(server)
        pools = location_pools([PORTLAND, VANCOUVER, BEAVERTON])
        s, ex = exchange_session(tmp_path, server, pools)
        today = date(2026, 6, 13)
        got = {p.name: archive_daily(p, date(2026, 5, 1), date(2026, 5, 31), session=s, today=today,
                                     variables=("temperature_2m_max", "temperature_2m_min"))
               for p in (PORTLAND, VANCOUVER, BEAVERTON)}  # fmt: skip
        assert len(world.queries) == 1 and world.queries[0]["latitude"] == "45.52,45.64,45.49"
        assert ex.sent == {"open_meteo_archive": 1} and ex.shared == {"open_meteo_archive": 2}
        # each answer is what the place's own request returns
        direct = plain_session(tmp_path, server, "direct.sqlite")
        for p in (PORTLAND, VANCOUVER, BEAVERTON):
            alone = archive_daily(p, date(2026, 5, 1), date(2026, 5, 31), session=direct, today=today,
                                  variables=("temperature_2m_max", "temperature_2m_min"))  # fmt: skip
            pd.testing.assert_frame_equal(got[p.name].reset_index(drop=True), alone.reset_index(drop=True))
        # and each was cached under its own request: asked again, nothing goes out
        before = len(world.queries)
        archive_daily(VANCOUVER, date(2026, 5, 1), date(2026, 5, 31), session=s, today=today,
                      variables=("temperature_2m_max", "temperature_2m_min"))  # fmt: skip
        assert len(world.queries) == before


def test_places_already_cached_or_in_another_time_zone_are_not_asked_again(tmp_path):
    tokyo = Place("Tokyo", 35.68, 139.69, timezone="Asia/Tokyo")
    with ReplayServer() as server:
        world = ArchiveWorld().install(server)
        s, _ex = exchange_session(tmp_path, server, location_pools([PORTLAND, VANCOUVER, BEAVERTON, tokyo]))
        kw = dict(variables=("temperature_2m_max", "temperature_2m_min"), today=date(2026, 6, 13))
        archive_daily(
            BEAVERTON,
            date(2026, 5, 1),
            date(2026, 5, 31),
            session=plain_session(tmp_path, server, "x.sqlite"),
            **kw,
        )
        archive_daily(PORTLAND, date(2026, 5, 1), date(2026, 5, 31), session=s, **kw)
        assert world.queries[-1]["latitude"] == "45.52,45.64"  # Beaverton fresh in the cache, Tokyo elsewhere


class WrongLengthForSeveral(ArchiveWorld):
    """Answers a request for several places with a list of one: the pool must not use it."""

    def next_reply(self) -> Reply:
        if "," in self._query.get("latitude", ""):
            self.queries.append(self._query)
            return Reply.json([{"not": "a location"}])
        return super().next_reply()


def test_a_pooled_answer_that_does_not_fit_is_asked_on_its_own(tmp_path):
    with ReplayServer() as server:
        world = WrongLengthForSeveral().install(server)
        s, ex = exchange_session(tmp_path, server, location_pools([PORTLAND, VANCOUVER]))
        frame = archive_daily(PORTLAND, date(2026, 5, 1), date(2026, 5, 3), session=s, today=date(2026, 6, 13),
                              variables=("temperature_2m_max", "temperature_2m_min"))  # fmt: skip
        assert len(frame) == 3 and frame["tmax_c"].notna().all()
        assert [q["latitude"] for q in world.queries] == ["45.52,45.64", "45.52"]
        assert ex.sent["open_meteo_archive"] == 2


def test_a_single_place_has_nothing_to_pool():
    assert location_pools([PORTLAND]) == {}
    assert union_pools([PORTLAND]) == {}
    pool = LocationPool([PORTLAND, VANCOUVER])
    assert pool.answer("http://x/forecast", {"latitude": "45.52", "longitude": "-122.68"}) is None


# ---------------------------------------------------------------- iNaturalist: the union of overlapping places


def test_overlapping_places_cluster_and_a_distant_one_stays_alone():
    groups = clusters([PORTLAND, VANCOUVER, BEAVERTON, BEND])
    sizes = sorted(len(c.members) for c in groups)
    assert sizes == [1, 3]
    union = next(c for c in groups if len(c.members) == 3)
    for p in union.members:  # the union circle holds every member's circle
        assert distance_km(union.lat, union.lng, p.latitude, p.longitude) + p.radius_km <= union.radius_km
    assert union.radius_km <= 1.5 * 50


def _world_with_observations(n: int) -> World:
    world = World()
    recs = []
    for i in range(n):  # spread over 1.2 degrees of latitude: some in one circle only, some in both, some out
        lat = 45.0 + 1.2 * (i % 97) / 97
        recs.append(
            make_observation(1000 + i, day=date(2025, 6, 1 + i % 20), lat=lat, lng=-122.67 + 0.01 * (i % 7))
        )
    world.add(*recs)
    return world


@pytest.mark.filterwarnings("ignore:iNaturalist observations")
def test_observations_of_overlapping_places_come_from_one_union_query_split_by_distance(tmp_path):
    window = DateRange(date(2025, 6, 1), date(2025, 6, 30))
    with ReplayServer() as server:
        world = _world_with_observations(700).install(server)
        s, ex = exchange_session(tmp_path, server, union_pools([PORTLAND, VANCOUVER]))
        pooled = {p.name: observations(p, window, session=s, max_results=250) for p in (PORTLAND, VANCOUVER)}
        union_requests = world.observation_requests
        direct = plain_session(tmp_path, server, "direct.sqlite")
        for p in (PORTLAND, VANCOUVER):
            alone = observations(p, window, session=direct, max_results=250)
            assert pooled[p.name]["id"].tolist() == alone["id"].tolist()
            assert len(alone) == 250  # capped at the lowest ids, exactly as the place's own query is
        own_requests = world.observation_requests - union_requests
        assert union_requests < own_requests
        assert ex.shared.get("inaturalist", 0) >= 3  # Vancouver's pages, and Portland's later pages


@pytest.mark.filterwarnings("ignore:iNaturalist observations")
def test_a_union_larger_than_its_members_could_ask_is_not_fetched(tmp_path):
    window = DateRange(date(2025, 6, 1), date(2025, 6, 30))
    with ReplayServer() as server:
        world = _world_with_observations(700).install(server)
        pool = UnionPool([PORTLAND, VANCOUVER], cap_per_member=100)
        s, ex = exchange_session(tmp_path, server, {"inaturalist": pool})
        frame = observations(PORTLAND, window, session=s, max_results=50)
        assert len(frame) == 50
        assert ex.shared == {}  # the union's first page said too many: Portland asked its own
        assert world.observation_requests == 2


def test_week_histograms_of_overlapping_places_are_one_request_and_say_they_are_the_area_s(tmp_path):
    body = (FIXTURES / "inaturalist" / "get_observation_histogram_week_of_year.json").read_text()
    with ReplayServer() as server:
        server.add("/inaturalist/observations/histogram", Reply(body))
        s, ex = exchange_session(tmp_path, server, union_pools([PORTLAND, VANCOUVER, BEAVERTON]))
        frames = [seasonality(p, taxon_id=47226, session=s) for p in (PORTLAND, VANCOUVER, BEAVERTON)]
        asked = server.requests_to("/inaturalist/observations/histogram")
        assert len(asked) == 1 and float(asked[0].query["radius"]) > 50
        for f in frames:
            pd.testing.assert_frame_equal(f, frames[0])
            notice = f.attrs["provenance"].notice
            assert "3 overlapping places" in notice and "wider than this place alone" in notice


# ---------------------------------------------------------------- the exchange: one turn per source


def test_one_request_of_a_source_at_a_time_whatever_the_threads(tmp_path, monkeypatch):
    from butterfly_lib.http import bounded

    in_flight: dict[str, int] = {}
    most: dict[str, int] = {}
    lock = threading.Lock()
    real_send = bounded.send

    def counting_send(session, prepared, **kw):  # noqa: ANN001, ANN202
        source = prepared.url.split("/")[3]
        with lock:
            in_flight[source] = in_flight.get(source, 0) + 1
            most[source] = max(most.get(source, 0), in_flight[source])
        try:
            return real_send(session, prepared, **kw)
        finally:
            with lock:
                in_flight[source] -= 1

    monkeypatch.setattr(bounded, "send", counting_send)
    with ReplayServer(latency=0.02) as server:
        server.add("/inaturalist/x", Reply.json({"ok": True}))
        server.add("/noaa/x", Reply.json({"ok": True}))
        http = test_http_settings(tmp_path / "c.sqlite", server=server)
        ex = Exchange(http)
        sessions = [attach_exchange(build_session(http), ex) for _ in range(4)]

        def ask(i: int) -> None:
            s = sessions[i % 4]
            source = "inaturalist" if i % 2 else "noaa"
            fetch(source, s.url(source, "x"), {"i": i}, tier=Tier.LIVE, session=s)

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert ex.sent == {"inaturalist": 8, "noaa": 8}
    assert most == {"inaturalist": 1, "noaa": 1}  # each source one at a time; the two side by side


def test_an_identical_request_queued_behind_the_same_one_is_not_sent_twice(tmp_path):
    with ReplayServer(latency=0.2) as server:
        server.add("/noaa/x", Reply("DATE,TMAX\n2020-01-01,50\n", content_type="text/csv"))
        http = test_http_settings(tmp_path / "c.sqlite", server=server)
        ex = Exchange(http)
        sessions = [attach_exchange(build_session(http), ex) for _ in range(3)]
        threads = [
            threading.Thread(target=fetch, args=("noaa", s.url("noaa", "x"), {"a": 1}),
                             kwargs=dict(tier=Tier.LIVE, expected="csv", session=s))
            for s in sessions
        ]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(server.requests_to("/noaa/x")) == 1
        assert ex.shared == {"noaa": 2}


# ---------------------------------------------------------------- products shared by threads


def test_a_product_is_computed_once_when_threads_ask_at_the_same_time():
    from butterfly_lib.pages.products import product

    calls = []

    class Thing:
        @product
        def slow(self) -> int:
            calls.append(1)
            time.sleep(0.05)
            return 42

    thing = Thing()
    results = []
    threads = [threading.Thread(target=lambda: results.append(thing.slow)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [42] * 6 and len(calls) == 1


# ---------------------------------------------------------------- kernel workers


class FakeKernel:
    def __init__(self, log: list):
        self.log = log
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_workers_render_what_is_ready_first_and_keep_run_order_in_results():
    from butterfly_lib.settings import load_settings, place_settings
    from butterfly_lib.site.workers import Task, run_on_kernels

    base = load_settings(env={}).places[0]
    a = base
    b = place_settings({**base.to_parameters(), "place_name": "Vancouver, Washington", "latitude": 45.64})
    tasks = [
        Task(p, n, i * 2 + j) for i, p in enumerate((a, b)) for j, n in enumerate(("species", "forecast"))
    ]
    events = {(t.place.slug, t.name): threading.Event() for t in tasks}
    order: list[str] = []
    kernels: list[FakeKernel] = []

    def start() -> FakeKernel:
        k = FakeKernel(order)
        kernels.append(k)
        return k

    def execute(k: FakeKernel, t: Task) -> str:
        order.append(f"{t.place.slug}:{t.name}")
        return t.name

    for key in events:  # species pages wait for "iNaturalist"; forecast pages are ready at once
        if key[1] == "forecast":
            events[key].set()
    threading.Timer(0.3, lambda: [e.set() for e in events.values()]).start()
    results = run_on_kernels(tasks, kernels=1, start_kernel=start, execute=execute,
                             ready=lambda t: events[(t.place.slug, t.name)])  # fmt: skip
    assert results == ["species", "forecast", "species", "forecast"]  # run order
    assert order[:2] == ["portland-oregon:forecast", "vancouver-washington:forecast"]
    assert all(k.closed for k in kernels)


def test_a_failing_page_stops_every_worker_and_is_raised():
    from butterfly_lib.settings import load_settings, place_settings
    from butterfly_lib.site.workers import Task, run_on_kernels

    base = load_settings(env={}).places[0]
    places = [base, place_settings({**base.to_parameters(), "place_name": "Elsewhere", "latitude": 45.6})]
    tasks = [Task(p, n, i * 3 + j) for i, p in enumerate(places) for j, n in enumerate(("a", "b", "c"))]
    kernels: list[FakeKernel] = []

    def execute(k: FakeKernel, t: Task) -> str:
        if t.name == "b":
            raise RuntimeError(f"boom in {t.place.slug}")
        return t.name

    with pytest.raises(RuntimeError, match="boom"):
        run_on_kernels(tasks, kernels=2, start_kernel=lambda: kernels.append(FakeKernel([])) or kernels[-1],
                       execute=execute)  # fmt: skip
    assert len(kernels) == 2 and all(k.closed for k in kernels)


def test_one_place_runs_on_one_kernel_several_on_up_to_two():
    from butterfly_lib.site.workers import kernel_count

    assert kernel_count(1, cpus=8) == 1
    assert kernel_count(3, cpus=8) == 2
    assert kernel_count(10, cpus=1) == 1


# ---------------------------------------------------------------- one cache file, several processes


def test_a_second_session_on_an_open_cache_does_not_hide_later_writes_from_other_processes(tmp_path):
    """Opening the same cache again in one process must not drop that process's locks on it (an earlier version
    read the file's header with a plain open/close; another process then deleted the -wal under the open
    connections and never saw their later writes)."""
    with ReplayServer() as server:
        server.add("/x", Reply.json({"a": 1}))
        http = replace(
            test_http_settings(tmp_path / "c.sqlite", server=server), endpoints=(("x", server.url),)
        )
        first = build_session(http)
        fetch("x", server.url + "/x", {"q": 0}, tier=Tier.LIVE, session=first)
        second = build_session(http)  # e.g. the prefetch's own session next to the run's
        code = (
            "import sqlite3, sys\n"
            f"print(sqlite3.connect({str(tmp_path / 'c.sqlite')!r}).execute('select count(*) from responses').fetchone()[0])"
        )

        def seen_elsewhere() -> int:
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            return int(out.stdout)

        assert seen_elsewhere() == 1
        for i in range(1, 4):
            fetch("x", server.url + "/x", {"q": i}, tier=Tier.LIVE, session=first)
        assert seen_elsewhere() == 4
        assert Path(f"{tmp_path / 'c.sqlite'}-wal").exists()
        second.close()
        first.close()


# ---------------------------------------------------------------- the whole run: fetched once, rendered from the cache


def test_the_prefetch_asks_every_shared_product_including_the_record_and_what_it_needs():
    from butterfly_lib.site.prefetch import product_names

    wanted = {"temperatures", "forecast", "record", "effort", "cells", "phenology", "species_week"}
    assert wanted <= set(product_names())


def test_one_weight_budget_for_every_place_of_a_session_waits_and_charges_in_one_step(session):
    from butterfly_lib.pages.products import weight_budget
    from butterfly_lib.sources.open_meteo.cells import SharedWeightBudget

    budget = weight_budget(session)
    assert isinstance(budget, SharedWeightBudget) and weight_budget(session) is budget
    clock = iter(range(1000))
    budget = SharedWeightBudget(per_minute=10.0, clock=lambda: float(next(clock)), sleep=lambda _s: None)
    budget.wait_for(6.0)
    budget.charge(6.0)  # already charged by wait_for
    assert budget.total() == 6.0
    budget.charge(2.0)  # sent without waiting (an unpaced session): charged
    assert budget.total() == 8.0 and not budget.allows(budget.per_day)


def test_the_record_store_waits_for_a_lock_another_process_holds_then_says_so(tmp_path, monkeypatch):
    import duckdb

    from butterfly_lib.errors import ButterflyError
    from butterfly_lib.sources.inaturalist import store

    real = duckdb.connect
    refusals = iter([True, True, False])

    def connect(path: str):
        if next(refusals, False):
            raise duckdb.IOException('Could not set lock on file "x": Conflicting lock is held')
        return real(path)

    monkeypatch.setattr(store.duckdb, "connect", connect)
    monkeypatch.setattr(store.time, "sleep", lambda _s: None)
    with store.RecordStore(tmp_path).connect() as con:
        assert con.execute("SELECT 1").fetchone() == (1,)

    def locked(path: str):
        raise duckdb.IOException('Could not set lock on file "x": Conflicting lock is held')

    monkeypatch.setattr(store.duckdb, "connect", locked)
    with (
        pytest.raises(ButterflyError, match="another process may be writing"),
        store.RecordStore(tmp_path).connect(),
    ):
        pass


def test_only_week_of_year_histograms_are_the_unions_effort_and_year_counts_stay_the_places_own():
    kind = UnionPool._kind
    url = "https://api.inaturalist.org/v1/observations/histogram"
    assert kind(url, {"interval": "week_of_year", "taxon_id": "1"}) == "histogram"
    assert kind(url, {"interval": "week", "year": "2020"}) is None  # observer effort
    assert kind(url, {"interval": "year"}) is None  # the record's deletion check
