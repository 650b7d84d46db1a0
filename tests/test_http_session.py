"""The one cached session: tiers, offline mode, retries, Retry-After, stale-if-error, rate limits, log."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from butterfly_lib.errors import OfflineCacheMiss, SourceError
from butterfly_lib.http import REQUEST_LOG, Tier, fetch, make_retry, tier_for_range
from butterfly_lib.http.session import RateLimiter
from butterfly_lib.settings import PROJECT_HOMEPAGE, load_settings
from tests.conftest import make_session
from tools.replay import Reply

OK = Reply.json({"results": [1, 2, 3]})


def test_user_agent_names_project_version_homepage(replay, session):
    replay.add("/x", OK)
    fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=session)
    ua = replay.requests[0].headers["User-Agent"]
    assert ua.startswith("butterfly-planner/0.1.0") and PROJECT_HOMEPAGE in ua


@pytest.mark.parametrize(
    "tier,hours",
    [(Tier.LIVE_SHORT, 1), (Tier.LIVE, 3), (Tier.CURRENT, 24), (Tier.REFERENCE, 90 * 24)],
)
def test_expiry_per_tier(replay, session, tier, hours):
    replay.add("/x", OK)
    start = datetime(2026, 6, 15, 12, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        first = fetch("test", f"{replay.url}/x", tier=tier, session=session)
        assert not first.provenance.from_cache
    with time_machine.travel(start + timedelta(hours=hours) - timedelta(minutes=1), tick=False):
        assert fetch("test", f"{replay.url}/x", tier=tier, session=session).provenance.from_cache
    assert len(replay.requests) == 1
    with time_machine.travel(start + timedelta(hours=hours, minutes=1), tick=False):
        again = fetch("test", f"{replay.url}/x", tier=tier, session=session)
        assert not again.provenance.from_cache
    assert len(replay.requests) == 2


def test_historical_never_expires(replay, session):
    replay.add("/x", OK)
    fetch("test", f"{replay.url}/x", tier=Tier.HISTORICAL, session=session)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=3650)):
        hit = fetch("test", f"{replay.url}/x", tier=Tier.HISTORICAL, session=session)
    assert hit.provenance.from_cache and hit.provenance.expires is None
    assert len(replay.requests) == 1


def test_date_range_tier_follows_end_date():
    today = date(2026, 6, 15)
    assert tier_for_range(date(2025, 12, 31), today) is Tier.HISTORICAL
    assert tier_for_range(today - timedelta(days=11), today) is Tier.HISTORICAL
    assert tier_for_range(today - timedelta(days=10), today) is Tier.CURRENT
    assert tier_for_range(today, today) is Tier.CURRENT


def test_offline_hit_and_miss(replay, tmp_path):
    online = make_session(tmp_path / "c.sqlite", offline=False, rate_limits={})
    replay.add("/x", OK)
    fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=online)
    online.close()
    offline = make_session(tmp_path / "c.sqlite", offline=True)
    hit = fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=offline)
    assert hit.data == {"results": [1, 2, 3]} and hit.provenance.offline
    with pytest.raises(OfflineCacheMiss) as err:
        fetch("test", f"{replay.url}/missing", params={"a": 1}, tier=Tier.LIVE, session=offline)
    assert f"{replay.url}/missing?a=1" in str(err.value) and "butterfly run --offline" in str(err.value)
    assert len(replay.requests) == 1  # offline never connected


def test_offline_from_environment(monkeypatch, replay, tmp_path):
    monkeypatch.setenv("BUTTERFLY_OFFLINE", "1")
    monkeypatch.setenv("BUTTERFLY_CACHE", str(tmp_path / "c.sqlite"))
    settings = load_settings()
    assert settings.http.offline and settings.snapshot is None  # an explicit cache: that cache, no snapshot
    replay.add("/x", OK)
    with pytest.raises(OfflineCacheMiss):
        fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=make_session(settings.http.cache_file, offline=True))
    assert replay.requests == []


def test_offline_serves_expired_copy_with_notice(replay, tmp_path):
    online = make_session(tmp_path / "c.sqlite", offline=False, rate_limits={})
    replay.add("/x", OK)
    fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=online)
    offline = make_session(tmp_path / "c.sqlite", offline=True)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=2)):
        got = fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=offline)
    assert got.provenance.stale and "offline" in got.provenance.notice


def test_retry_on_503_then_success(replay, session):
    replay.add("/x", Reply(status=503), Reply(status=503), OK)
    got = fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=session)
    assert got.data["results"] == [1, 2, 3]
    assert len(replay.requests) == 3


def test_429_honours_retry_after(replay, session):
    replay.add("/x", Reply(status=429, headers={"Retry-After": "1"}), OK)
    t0 = time.monotonic()
    got = fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=session)
    assert got.data["results"] == [1, 2, 3]
    assert replay.requests[1].at - replay.requests[0].at >= 0.95
    assert time.monotonic() - t0 >= 0.95


def test_retries_exhausted_is_a_clear_error(replay, session):
    replay.add("/x", Reply(status=500))
    with pytest.raises(SourceError) as err:
        fetch("src-name", f"{replay.url}/x", tier=Tier.LIVE, session=session)
    assert "src-name" in str(err.value) and "HTTP 500" in str(err.value) and f"{replay.url}/x" in str(err.value)
    assert len(replay.requests) == 4  # first try + 3 retries


def test_timeout_is_retried(replay, tmp_path):
    s = make_session(tmp_path / "c.sqlite", offline=False, retry=make_retry(2, 0.01), timeout=(1, 0.3), rate_limits={})
    replay.add("/x", Reply(delay=1.0), OK)
    assert fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=s).data["results"] == [1, 2, 3]


def test_stale_if_error_after_expiry(replay, session):
    replay.add("/x", OK, Reply(status=503))
    start = datetime(2026, 6, 15, 12, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=session)
    with time_machine.travel(start + timedelta(hours=5)):
        got = fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=session)
    assert got.provenance.stale and "refresh failed" in got.provenance.notice and "503" in got.provenance.notice
    assert got.data["results"] == [1, 2, 3]


@pytest.mark.parametrize(
    "bad",
    [
        Reply("<html><body>Service busy</body></html>", content_type="text/html"),
        Reply('{"results": [1, 2', content_type="application/json"),
        Reply(OK.body, truncate=5),
    ],
    ids=["html-200", "truncated-json", "connection-cut"],
)
def test_bad_refresh_never_replaces_good_cache(replay, session, bad):
    replay.add("/x", OK, bad)
    start = datetime(2026, 6, 15, 12, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=session)
    with time_machine.travel(start + timedelta(hours=5)):
        stale = fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=session)
        assert stale.provenance.stale and stale.data["results"] == [1, 2, 3]
        # and the good copy is still the one on file
        again = fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=session)
        assert again.data["results"] == [1, 2, 3]


def test_malformed_without_cache_is_clear_error(replay, session):
    replay.add("/x", Reply('{"a": ', content_type="application/json"))
    with pytest.raises(SourceError, match="malformed JSON"):
        fetch("test", f"{replay.url}/x", tier=Tier.LIVE, session=session)


def test_rate_limit_spacing_and_cache_hits_free(replay, tmp_path):
    s = make_session(tmp_path / "c.sqlite", offline=False, rate_limits={"test": 0.5})
    replay.add("/a", OK)
    replay.add("/b", OK)
    replay.add("/c", OK)
    for p in ("/a", "/b", "/c"):
        fetch("test", f"{replay.url}{p}", tier=Tier.LIVE, session=s)
    gaps = [b.at - a.at for a, b in zip(replay.requests, replay.requests[1:], strict=False)]
    assert all(g >= 0.45 for g in gaps), gaps
    t0 = time.monotonic()
    for p in ("/a", "/b", "/c"):
        assert fetch("test", f"{replay.url}{p}", tier=Tier.LIVE, session=s).provenance.from_cache
    assert time.monotonic() - t0 < 0.9  # rate-limited, three requests would take at least 1.0 s


def test_rate_limiter_default_inaturalist_one_per_second():
    http = load_settings().http
    assert RateLimiter(dict(http.rate_limits)).interval("inaturalist") >= 1.0


def test_request_log_counts(replay, session):
    replay.add("/x", OK)
    fetch("logsrc", f"{replay.url}/x", tier=Tier.LIVE, session=session)
    fetch("logsrc", f"{replay.url}/x", tier=Tier.LIVE, session=session)
    row = next(r for r in REQUEST_LOG.rows() if r["source"] == "logsrc")
    assert row["requests"] == 1 and row["cache_hits"] == 1 and row["bytes"] == len(OK.body)
    assert "logsrc" in REQUEST_LOG.table()


def test_base_urls_overridable(monkeypatch):
    monkeypatch.setenv("BUTTERFLY_NOAA_URL", "http://127.0.0.1:1234/noaa/")
    http = load_settings().http
    assert http.endpoint("noaa") == "http://127.0.0.1:1234/noaa"
    for name in ("inaturalist", "open_meteo_forecast", "open_meteo_archive", "open_meteo_ensemble"):
        assert http.endpoint(name).startswith("https://")


def test_corrupt_cache_is_rebuilt_with_warning(tmp_path):
    path = tmp_path / "broken.sqlite"
    make_session(path, offline=False).close()  # a cache of ours: its header carries our stamp
    for extra in tmp_path.glob("broken.sqlite-*"):
        extra.unlink()
    raw = path.read_bytes()
    path.write_bytes(raw[:100] + b"\xff" * (len(raw) - 100))  # the header survives, the schema does not
    with pytest.warns(UserWarning, match="corrupt"):
        s = make_session(path, offline=False)
    assert len(s.cache.responses) == 0
    assert list(tmp_path.glob("broken.sqlite.corrupt-*"))


def test_garbage_where_the_cache_should_be_is_refused_untouched(tmp_path):
    from butterfly_lib.http.cache_file import CacheRefused

    path = tmp_path / "broken.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CacheRefused, match="not an SQLite database"):
        make_session(path, offline=False)
    assert path.read_bytes() == b"this is not a database" * 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.sqlite"]


def test_network_guard_blocks_non_loopback():
    import socket

    from tests.conftest import NetworkBlocked

    with pytest.raises(NetworkBlocked), socket.create_connection(("93.184.216.34", 80), timeout=1):
        pass
