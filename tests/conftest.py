"""Shared pytest fixtures: the loopback-only network guard, the replay server, a fresh cached session.

Every test runs with sockets limited to loopback: a connection anywhere else fails the test.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

from butterfly_lib import config
from butterfly_lib.http import REQUEST_LOG, build_session, make_retry, reset_sessions
from butterfly_lib.replay import ReplayServer

FIXTURES = Path(__file__).parent / "fixtures"
pytest_plugins = ["tests.report_plugin"]
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkBlocked(RuntimeError):
    pass


def _check_address(address) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes | str) and str(host).startswith("/"):
        return  # unix socket
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        if host == "localhost":
            return
    raise NetworkBlocked(f"test tried to connect to {address!r}; only loopback is allowed")


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only():
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Each test gets its own cache file and a clean request log; real API hosts are never the default."""
    monkeypatch.setenv("BUTTERFLY_CACHE", str(tmp_path / "cache" / "http_cache.sqlite"))
    monkeypatch.delenv("BUTTERFLY_OFFLINE", raising=False)
    for var, _default in config.BASE_URLS.values():
        monkeypatch.setenv(var, "http://127.0.0.1:9/unset-in-this-test")
    reset_sessions()
    REQUEST_LOG.reset()
    yield
    reset_sessions()


@pytest.fixture
def replay():
    """A running ``ReplayServer``; every source base URL points at it (see ``point_sources_at``)."""
    with ReplayServer() as server:
        yield server


@pytest.fixture
def point_sources_at(monkeypatch):
    def _point(server: ReplayServer) -> None:
        for name, (var, _default) in config.BASE_URLS.items():
            monkeypatch.setenv(var, f"{server.url}/{name}")
        reset_sessions()

    return _point


@pytest.fixture
def session(tmp_path):
    """A fresh session with fast retries and no rate limit, caching into the test's folder."""
    s = build_session(
        tmp_path / "session-cache.sqlite",
        offline=False,
        retry=make_retry(total=3, backoff_factor=0.01),
        timeout=(2.0, 2.0),
        rate_limits={},
    )
    yield s
    s.close()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's, driven by Playwright) for every browser test of the session.

    Playwright's sync API allows one running instance per thread, so all browser tests share this one.
    """
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, NODE_MODULES

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    if not (NODE_MODULES / "@jupyter-widgets" / "html-manager").exists():
        pytest.fail(f"{NODE_MODULES} lacks the widget JavaScript: run `npm ci` in tests/browser (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
