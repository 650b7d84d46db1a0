"""Cache integrity: a corrupt SQLite cache is rebuilt with a warning, a locked one is reported clearly, two
processes writing at once leave it consistent, and ``butterfly cache status`` shows entries and expired counts
per source."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from butterfly_lib import cli
from butterfly_lib.errors import ButterflyError
from butterfly_lib.http import Tier, fetch, get_session, reset_sessions
from butterfly_lib.http import session as session_module
from butterfly_lib.settings import load_settings
from butterfly_lib.sources.noaa import noaa_daily
from tests.conftest import FIXTURES, make_session, replay_endpoints
from tests.report_plugin import record
from tools.replay import ReplayServer, Reply

CSV = FIXTURES / "noaa" / "daily_summaries_USW00024229_first40.csv"
RECOVERED = "rebuilt empty with a warning, broken file kept aside"
REPORTED = "clear error naming the file and what to do"
CONSISTENT = "integrity_check ok, every entry readable"
SHOWN = "entries and expired counts per source"


def _noaa(server, session=None):
    """The real NOAA client through the shared session of the environment's settings (``BUTTERFLY_CACHE``)."""
    from datetime import date

    if session is None:
        session = get_session(load_settings().http)
        session.endpoints.update(replay_endpoints(server))
    return noaa_daily("USW00024229", date(1940, 10, 14), date(1940, 11, 22), session=session)


@pytest.fixture
def server(replay, point_sources_at):
    point_sources_at(replay)
    replay.add("/noaa/", Reply.file(CSV))
    return replay


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param("garbage", id=f"cache|not a database|{RECOVERED}"),
        pytest.param("half", id=f"cache|file cut in half|{RECOVERED}"),
    ],
)
def test_corrupt_cache_is_rebuilt_with_warning(server, tmp_path, monkeypatch, request, damage):
    record(request, "request cache", f"corrupt SQLite file ({damage})", RECOVERED)
    path = tmp_path / "c.sqlite"
    monkeypatch.setenv("BUTTERFLY_CACHE", str(path))
    reset_sessions()
    _noaa(server)
    reset_sessions()
    for extra in path.parent.glob("c.sqlite-*"):  # checkpointed: the main file holds everything
        extra.unlink()
    raw = path.read_bytes()
    path.write_bytes(b"this is not a database" * 200 if damage == "garbage" else raw[: len(raw) // 2])
    with pytest.warns(UserWarning, match="corrupt") as warned:
        frame = _noaa(server)  # the real source call, through the shared session, on the damaged file
    assert str(path) in str(warned[0].message) and "started an empty cache" in str(warned[0].message)
    assert len(frame) == 40 and not frame.attrs["provenance"].from_cache
    assert list(tmp_path.glob("c.sqlite.corrupt-*")), "the broken file is kept for inspection"
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_locked_cache_is_reported_clearly(tmp_path, monkeypatch, request):
    record(request, "request cache", "locked by another process (EXCLUSIVE transaction)", REPORTED)
    path = tmp_path / "c.sqlite"
    make_session(path, offline=False).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(session_module, "LOCK_WAIT_SECONDS", 0.3)
    try:
        with pytest.raises(ButterflyError) as err:
            make_session(path, offline=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    text = str(err.value)
    assert str(path) in text and "locked by another process" in text and "BUTTERFLY_CACHE" in text
    make_session(path, offline=False).close()  # released: opens again, nothing was moved aside
    assert not list(tmp_path.glob("c.sqlite.corrupt-*"))


def test_locked_cache_from_the_command_line(tmp_path, monkeypatch, capsys, request):
    record(request, "butterfly cache status", "cache locked by another process", REPORTED)
    path = tmp_path / "c.sqlite"
    monkeypatch.setenv("BUTTERFLY_CACHE", str(path))
    make_session(path, offline=False).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(session_module, "LOCK_WAIT_SECONDS", 0.3)
    try:
        code = cli.main(["cache", "status"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("butterfly cache: error: request cache") and "locked" in err


def _writer(cache: str, base: str, prefix: str, n: int) -> int:
    s = make_session(cache, offline=False, rate_limits={})
    for i in range(n):
        got = fetch("writer", f"{base}/{prefix}/{i}", tier=Tier.LIVE, session=s)
        assert got.data == {"prefix": prefix, "i": i}
    s.close()
    return n


def test_two_processes_writing_at_once_do_not_corrupt(tmp_path, request):
    record(request, "request cache", "two processes writing at once", CONSISTENT)
    n = 40
    cache = tmp_path / "shared.sqlite"
    with ReplayServer() as srv:
        for prefix in ("a", "b"):
            for i in range(n):
                srv.add(f"/{prefix}/{i}", Reply.json({"prefix": prefix, "i": i}))
        ctx = multiprocessing.get_context("spawn")  # a fresh interpreter each, like two `butterfly run`s
        with ctx.Pool(2) as pool:
            done = pool.starmap(_writer, [(str(cache), srv.url, "a", n), (str(cache), srv.url, "b", n)])
        assert done == [n, n] and len(srv.requests) == 2 * n
        base = srv.url
    con = sqlite3.connect(cache)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    s = make_session(cache, offline=True)
    assert len(s.cache.responses) == 2 * n
    for prefix in ("a", "b"):
        for i in range(n):
            got = fetch("writer", f"{base}/{prefix}/{i}", tier=Tier.LIVE, session=s)
            assert got.data == {"prefix": prefix, "i": i}
    s.close()


def test_cache_status_shows_entries_and_expired_per_source(replay, capsys, request, monkeypatch, tmp_path):
    record(request, "butterfly cache status", "mixed fresh and expired entries", SHOWN)
    monkeypatch.setenv("BUTTERFLY_CACHE", str(tmp_path / "status.sqlite"))
    http = load_settings().http
    s = get_session(http)
    s.endpoints.update(replay_endpoints(replay))
    replay.add("/noaa/x", Reply.json({"a": 1}))
    replay.add("/inaturalist/y", Reply.json({"b": 2}))
    replay.add("/inaturalist/z", Reply.json({"c": 3}))
    past = datetime.now(UTC) - timedelta(days=2)
    with time_machine.travel(past, tick=False):  # fetched two days ago: the live-tier ones are expired now
        fetch("noaa", s.url("noaa", "x"), tier=Tier.LIVE, session=s)
        fetch("inaturalist", s.url("inaturalist", "y"), tier=Tier.LIVE, session=s)
    fetch("inaturalist", s.url("inaturalist", "z"), tier=Tier.REFERENCE, session=s)
    assert cli.main(["cache", "status"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines()[2:]}
    assert rows["inaturalist"] == ["2", "1"] and rows["noaa"] == ["1", "1"], out
    assert str(http.cache_file) in out.splitlines()[0]
