"""Cache integrity: a path that is not a cache of ours is refused and left untouched; only a corrupt cache
identified as ours is moved aside and rebuilt; a read-only cache is served and its failed writes reported; a
full disk is reported, never silent; a locked one is reported clearly; two processes writing at once leave it
consistent; ``butterfly cache status`` shows entries and expired counts per source; ``make clean`` keeps it."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from butterfly_lib import cli
from butterfly_lib.errors import ButterflyError, SourceError
from butterfly_lib.http import Tier, fetch, get_session, reset_sessions
from butterfly_lib.http import session as session_module
from butterfly_lib.http.cache_file import CacheRefused
from butterfly_lib.settings import load_settings
from butterfly_lib.sources.noaa import noaa_daily
from tests.conftest import FIXTURES, make_session, replay_endpoints
from tests.report_plugin import record
from tools.replay import ReplayServer, Reply

CSV = FIXTURES / "noaa" / "daily_summaries_USW00024229_first40.csv"
ROOT = Path(__file__).resolve().parent.parent
RECOVERED = "rebuilt empty with a warning, broken file kept aside"
REPORTED = "clear error naming the file and what to do"
CONSISTENT = "integrity_check ok, every entry readable"
SHOWN = "entries and expired counts per source"


def _shared(server=None):
    """The shared session of the environment's settings (``BUTTERFLY_CACHE``, ``BUTTERFLY_OFFLINE``), as the
    command line gets it, with its sources on ``server``."""
    session = get_session(load_settings().http)
    if server is not None:
        session.endpoints.update(replay_endpoints(server))
    return session


def _noaa(server, session=None):
    """The real NOAA client through the shared session of the environment's settings."""
    from datetime import date

    return noaa_daily("USW00024229", date(1940, 10, 14), date(1940, 11, 22), session=session or _shared(server))


@pytest.fixture
def server(replay, point_sources_at):
    point_sources_at(replay)
    replay.add("/noaa/", Reply.file(CSV))
    return replay


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param("pages", id=f"cache|our stamp kept, every page after it overwritten|{RECOVERED}"),
        pytest.param("half", id=f"cache|file cut in half|{RECOVERED}"),
    ],
)
def test_corrupt_cache_is_rebuilt_with_warning(server, tmp_path, monkeypatch, request, damage):
    record(request, "request cache", f"corrupt cache of ours ({damage})", RECOVERED)
    path = tmp_path / "c.sqlite"
    monkeypatch.setenv("BUTTERFLY_CACHE", str(path))
    reset_sessions()
    _noaa(server)
    reset_sessions()
    for extra in path.parent.glob("c.sqlite-*"):  # checkpointed: the main file holds everything
        extra.unlink()
    raw = path.read_bytes()
    path.write_bytes(raw[:100] + b"\xff" * (len(raw) - 100) if damage == "pages" else raw[: len(raw) // 2])
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


# ------------------------------------------------------------------ data loss: paths that are not ours, read-only, full

REFUSED = "refused with a message naming the path; left untouched"
SERVED_READ_ONLY = "served read-only; failed write reported, nothing renamed, clear refused"
FULL_REPORTED = "data served; every failed write counted with its reason in the log and run output"
KEPT = "cache kept; only generated output removed"


def _fingerprint(path: Path) -> dict:
    """What must not change about ``path``: its kind, and for every file under it the bytes, mode and mtime."""
    if path.is_dir():
        return {str(p.relative_to(path)): _fingerprint(p) for p in sorted(path.rglob("*"))} | {".": "dir"}
    st = path.stat()
    return {"sha": hashlib.sha256(path.read_bytes()).hexdigest(), "mode": st.st_mode, "mtime": st.st_mtime_ns}


def _foreign_sqlite(path: Path, app_id: int = 0) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE birds (name TEXT, seen INTEGER)")
    con.execute("INSERT INTO birds VALUES ('wren', 3)")
    if app_id:
        con.execute(f"PRAGMA application_id = {app_id}")
    con.commit()
    con.close()
    return path


def _damaged_foreign_sqlite(path: Path) -> Path:
    raw = _foreign_sqlite(path).read_bytes()
    path.write_bytes(raw[:100] + b"\xff" * (len(raw) - 100))
    return path


def _user_folder(base: Path) -> Path:
    folder = base / "my-field-notes"
    (folder / "2025").mkdir(parents=True)
    (folder / "2025" / "june.txt").write_text("Lorquin's admiral at Powell Butte\n")
    (folder / "todo.txt").write_text("check the meadow\n")
    return folder


NOT_OURS: dict[str, Callable[[Path], Path]] = {
    "a folder of the user's, with files": _user_folder,
    "a user's text file": lambda b: (b / "notes.txt").write_text("my notes\n") and b / "notes.txt",
    "garbage where the cache should be": lambda b: (b / "http_cache.sqlite").write_bytes(b"\x00garbage" * 500)
    and b / "http_cache.sqlite",
    "another program's SQLite database": lambda b: _foreign_sqlite(b / "birds.sqlite"),
    "another program's SQLite database (its own application_id)": lambda b: _foreign_sqlite(
        b / "app.db", app_id=0x12345678
    ),
    "a damaged SQLite file without our stamp": lambda b: _damaged_foreign_sqlite(b / "old.sqlite"),
    "a user's file named without an extension": lambda b: (b / "notes").write_text("x\n") and b / "notes",
}


@pytest.mark.parametrize("case", [pytest.param(c, id=f"BUTTERFLY_CACHE|{c}|{REFUSED}") for c in NOT_OURS])
def test_a_path_that_is_not_our_cache_is_refused_untouched(server, tmp_path, monkeypatch, capsys, request, case):
    record(request, "request cache", f"BUTTERFLY_CACHE is {case}", REFUSED)
    home = tmp_path / "home"
    home.mkdir()
    path = NOT_OURS[case](home)
    before = _fingerprint(home)
    monkeypatch.setenv("BUTTERFLY_CACHE", str(path))
    reset_sessions()
    with pytest.raises(CacheRefused) as err:
        _noaa(server)  # the real source call through the shared session
    assert str(path) in str(err.value) and "left untouched" in str(err.value)
    assert cli.main(["cache", "status"]) == 1
    message = capsys.readouterr().err
    assert message.startswith(f"butterfly cache: error: request cache {path}: ") and "left untouched" in message
    assert _fingerprint(home) == before, "nothing under the user's folder may change"
    assert not server.requests, "refused before any request"


@pytest.mark.parametrize(
    "system_path", [pytest.param(p, id=f"BUTTERFLY_CACHE|{p}|{REFUSED}") for p in ("/tmp", "/dev/null")]
)
def test_system_paths_are_refused_untouched(server, monkeypatch, capsys, request, system_path):
    record(request, "request cache", f"BUTTERFLY_CACHE is {system_path}", REFUSED)
    path = Path(system_path)
    kind = path.stat().st_mode
    monkeypatch.setenv("BUTTERFLY_CACHE", system_path)
    reset_sessions()
    assert cli.main(["cache", "status"]) == 1
    assert f"request cache {system_path}: " in capsys.readouterr().err
    with pytest.raises(CacheRefused, match="left untouched"):
        _noaa(server)
    assert path.stat().st_mode == kind
    assert not list(path.parent.glob(f"{path.name}.corrupt-*")) and not Path(f"{system_path}.sqlite").exists()


_READ_ONLY_SCRIPT = r"""
import json, os, sys, warnings
from butterfly_lib import cli
from pathlib import Path
from butterfly_lib.http import REQUEST_LOG, Tier, build_session, fetch
from butterfly_lib.settings import HttpSettings
path, base = sys.argv[1], sys.argv[2]
out = {}
s = build_session(HttpSettings(Path(path), rate_limits=()))
out["read_only"] = s.read_only
kept = fetch("ro", base + "/kept", tier=Tier.HISTORICAL, session=s)
out["kept"] = [kept.data, kept.provenance.from_cache]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    new = fetch("ro", base + "/new", tier=Tier.LIVE, session=s)
out["new"] = [new.data, new.provenance.from_cache, new.provenance.notice]
out["warnings"] = [str(w.message) for w in caught]
out["log"] = REQUEST_LOG.rows()
out["table"] = REQUEST_LOG.table()
s.close()
os.environ["BUTTERFLY_CACHE"] = path
out["status"] = cli.main(["cache", "status"])
out["clear"] = cli.main(["cache", "clear"])
print("RESULT " + json.dumps(out))
"""


def _run_on_read_only_folder(folder: Path, args: list[str]) -> subprocess.CompletedProcess:
    """Run the script in a child process that sees ``folder`` read-only: a read-only bind mount in a private mount
    namespace when we are root (root ignores file modes), else the folder and its files made read-only."""
    cmd = [sys.executable, "-c", _READ_ONLY_SCRIPT, *args]
    if os.geteuid() == 0:
        if not shutil.which("unshare"):
            pytest.skip("root without unshare(1): cannot make a read-only filesystem here")
        script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"'
        cmd = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", str(folder), *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
        if "mount" in result.stderr and "RESULT" not in result.stdout:
            pytest.skip(f"cannot make a read-only filesystem here: {result.stderr.strip()[:200]}")
        return result
    modes = {p: p.stat().st_mode for p in [folder, *folder.iterdir()]}
    try:
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def test_a_healthy_cache_on_a_read_only_filesystem_is_served(tmp_path, request):
    record(request, "request cache", "healthy cache on a read-only filesystem (or read-only file)", SERVED_READ_ONLY)
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "c.sqlite"
    with ReplayServer() as srv:
        srv.add("/kept", Reply.json({"kept": 1}))
        srv.add("/new", Reply.json({"new": 2}))
        s = make_session(path, offline=False, rate_limits={})
        fetch("ro", f"{srv.url}/kept", tier=Tier.HISTORICAL, session=s)
        s.close()
        before = _fingerprint(folder)
        result = _run_on_read_only_folder(folder, [str(path), srv.url])
        served = [r.path for r in srv.requests]
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, f"child failed: {result.stdout[-2000:]} {result.stderr[-2000:]}"
    out = json.loads(line.removeprefix("RESULT "))
    assert out["read_only"] is True
    assert out["kept"] == [{"kept": 1}, True], "the cached answer is served from the read-only cache"
    data, from_cache, notice = out["new"]
    assert data == {"new": 2} and not from_cache
    assert "not saved to the request cache" in notice and "read-only" in notice
    (row,) = out["log"]
    assert row["unsaved"] == 1 and any("read-only" in r for r in row["unsaved_reasons"])
    assert "WARNING: 1 answer(s) used but NOT saved" in out["table"]
    assert any("read-only" in w for w in out["warnings"])
    assert out["status"] == 0 and out["clear"] == 1
    assert "[read-only]" in result.stdout and "is read-only" in result.stderr and "nothing was removed" in result.stderr
    assert "OSError" not in result.stderr and "Traceback" not in result.stderr
    assert served == ["/kept", "/new"], "the cached answer cost no request"
    assert _fingerprint(folder) == before, "a read-only cache is never renamed or rewritten"


def test_a_full_disk_is_reported_not_silent(tmp_path, request):
    record(request, "request cache", "disk full after 4 of 30 answers (SQLite max_page_count)", FULL_REPORTED)
    from butterfly_lib.http import REQUEST_LOG
    from butterfly_lib.site.runner import PageRun, request_table

    body = CSV.read_text()
    path = tmp_path / "c.sqlite"
    with ReplayServer() as srv:
        for i in range(30):
            srv.add(f"/r/{i}", Reply(f"{body}\n# {i}\n" * 3, content_type="text/csv"))
        s = make_session(path, offline=False, rate_limits={})
        for i in range(4):
            fetch("fullsrc", f"{srv.url}/r/{i}", tier=Tier.LIVE, expected="csv", session=s)
        with s.cache.responses.connection() as con:  # the disk is full: the file may not grow by a single page
            pages = con.execute("PRAGMA page_count").fetchone()[0]
            con.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.warns(UserWarning, match="not saved to the request cache") as warned:
            got = [fetch("fullsrc", f"{srv.url}/r/{i}", tier=Tier.LIVE, expected="csv", session=s) for i in range(4, 30)]
        s.close()
    assert [g.data for g in got] == [f"{body}\n# {i}\n" * 3 for i in range(4, 30)], "the data is still served"
    assert all("disk full" in g.provenance.notice for g in got)
    assert len(warned) == 26
    row = next(r for r in REQUEST_LOG.rows() if r["source"] == "fullsrc")
    assert row["requests"] == 30 and row["unsaved"] == 26
    ((reason, n),) = row["unsaved_reasons"].items()
    assert n == 26 and reason.startswith("disk full") and "database or disk is full" in reason
    # the run's output: the runner totals each page's request log from its provenance file
    page = tmp_path / "page"
    page.mkdir()
    (page / "forecast-provenance.json").write_text(json.dumps({"requests": REQUEST_LOG.rows()}))
    table = request_table([PageRun("forecast", "Portland", page / "forecast.ipynb", 1.0, [])])
    assert "WARNING: 26 answer(s) used but NOT saved to the request cache" in table and "26 x disk full" in table
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM responses").fetchone()[0] == 4
    con.close()


def test_make_clean_keeps_the_cache(request):
    record(request, "make clean", "a cache holding past-years answers that never expire", KEPT)
    out = subprocess.run(["make", "-n", "clean"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "_site" in out and "data/cache" not in out and "http_cache" not in out


# ------------------------------------------------------------------ implausible answers cached by an older version

FOUND = "named by `cache verify --dry-run`, removed by `cache verify` / `clear-expired`; others kept"
NOT_SERVED = "never served (nor kept as fallback): fetched again; offline, a clear error"
SIGHTING_DAY = ROOT / "data" / "snapshot" / "open-meteo-archive-88d0ec1751.json"  # Portland, 2007-06-19


def _bad_sighting_day(server) -> dict:
    body = json.loads(SIGHTING_DAY.read_text())
    body["daily"]["temperature_2m_max"][0], body["daily"]["temperature_2m_min"][0] = -60.0, 70.0
    body["daily"]["sunshine_duration"][0] = 500000.0
    return body


def _sighting_day(server, session=None):
    from butterfly_lib.sources.open_meteo import daily_at_points

    return daily_at_points(
        [45.5], [-122.6], "2007-06-19", "2007-06-19", timezone="America/Los_Angeles",
        session=session or _shared(server),
    )  # fmt: skip


def _cache_as_an_older_version_did(session) -> None:
    """Store the implausible answer under the exact key ``_sighting_day`` uses, without today's checks."""
    from butterfly_lib.sources.open_meteo.archive import ARCHIVE_DEFAULT

    params = {
        "latitude": ["45.5"], "longitude": ["-122.6"], "start_date": "2007-06-19", "end_date": "2007-06-19",
        "daily": list(ARCHIVE_DEFAULT), "timezone": "America/Los_Angeles",
    }  # fmt: skip
    fetch("open_meteo_archive", session.url("open_meteo_archive", "archive"), params,
          tier=Tier.HISTORICAL, session=session)  # fmt: skip


@pytest.mark.parametrize(
    "command", [pytest.param(c, id=f"butterfly cache {c}|implausible entry cached long ago|{FOUND}")
                for c in ("verify", "clear-expired")]  # fmt: skip
)
def test_cache_verify_finds_and_removes_entries_failing_todays_checks(server, capsys, request, command):
    record(request, f"butterfly cache {command}", "historical archive entry with -60/70 °C and 500,000 s sun", FOUND)
    server.add("/open_meteo_archive/archive", Reply.json(_bad_sighting_day(server)))
    s = _shared(server)
    _cache_as_an_older_version_did(s)
    _noaa(server, s)  # a good entry, which must stay
    assert len(s.cache.responses) == 2
    assert cli.main(["cache", "verify", "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "checked 2 cached answer(s) against today's checks: 1 failed" in out
    assert "/open_meteo_archive/archive?" in out and "tmin 70 °C above tmax -60 °C at 2007-06-19" in out
    assert "dry run: nothing removed" in out and len(s.cache.responses) == 2
    assert cli.main(["cache", command]) == 0
    out = capsys.readouterr().out
    assert "1 failed" in out and "removed 1" in out
    reset_sessions()
    left = _shared(server).cache.responses
    assert len(left) == 1 and "noaa" in next(iter(left.values())).url


def test_an_implausible_cached_copy_is_never_served(server, monkeypatch, request):
    record(request, "open_meteo/archive (sighting day)", "implausible copy cached long ago, never expires", NOT_SERVED)
    good = json.loads(SIGHTING_DAY.read_text())
    server.add("/open_meteo_archive/archive", Reply.json(_bad_sighting_day(server)))
    _cache_as_an_older_version_did(_shared(server))
    server.add("/open_meteo_archive/archive", Reply.json(good))
    monkeypatch.setenv("BUTTERFLY_OFFLINE", "1")
    reset_sessions()
    with pytest.raises(SourceError, match="cached copy fails today's checks") as err:
        _sighting_day(server)
    assert "tmin 70 °C above tmax -60 °C" in str(err.value) and "butterfly cache verify" in str(err.value)
    monkeypatch.delenv("BUTTERFLY_OFFLINE")
    reset_sessions()
    before = len(server.requests)
    frame = _sighting_day(server)  # online: fetched again, checked, and the good answer replaces the bad one
    assert len(server.requests) == before + 1 and not frame.attrs["provenance"].from_cache
    assert frame["tmax_c"].tolist() == good["daily"]["temperature_2m_max"]
    assert _sighting_day(server).attrs["provenance"].from_cache


def test_a_write_beside_a_read_of_an_older_snapshot_waits_instead_of_failing(tmp_path, request):
    """requests-cache reads on a session's one connection without a lock; a write begun on it while another
    thread's read still holds an older snapshot, after another process wrote, gets "database is locked" at once
    (SQLITE_BUSY_SNAPSHOT, no busy wait). Seen under load as a lost prefetch write; the write now waits."""
    import threading

    import requests

    from butterfly_lib.http.cache_write import save_response
    from butterfly_lib.http.snapshot import make_response

    record(request, "request cache", "write beside another thread's read of an older snapshot", "written, not lost")
    path = tmp_path / "c.sqlite"
    session = make_session(path, offline=False)
    store = session.cache.responses
    prepared = requests.Request("GET", "http://127.0.0.1:9/x", params={"a": 1}).prepare()
    for key in ("first", "second"):
        save_response(session.cache, make_response(prepared, b"{}", {"Content-Type": "application/json"}), key, None)
    with store.connection() as con:
        reading = con.execute(f"SELECT key FROM {store.table_name}")  # another thread's read, rows still to come:
        reading.fetchone()  # it holds its snapshot
    other = sqlite3.connect(path, isolation_level=None)  # another process writes meanwhile
    other.execute(f"INSERT INTO {store.table_name} (key, value, expires) VALUES ('theirs', x'00', NULL)")
    other.close()
    threading.Timer(0.2, reading.close).start()  # the read ends a moment later, as the other thread's would
    save_response(session.cache, make_response(prepared, b"[]", {"Content-Type": "application/json"}), "mine", None)
    keys = {k for (k,) in sqlite3.connect(path).execute(f"SELECT key FROM {store.table_name}")}
    assert {"first", "theirs", "mine"} <= keys
    session.close()
