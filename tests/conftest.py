"""Shared pytest fixtures: the loopback-only network guard, the replay server, a fresh cached session.

Every test runs with sockets limited to loopback: a connection anywhere else fails the test. Every test also runs
without the developer's ``BUTTERFLY_*`` environment (settings read it) and with a fresh request log.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from butterfly_lib.http import REQUEST_LOG, build_session, make_retry, reset_sessions
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.pages.products import forget_products
from butterfly_lib.settings import ENDPOINTS, HttpSettings
from tests.fresh_clone import Build, shared_build
from tools.replay import ReplayServer

# No property test may fail because the machine is busy: no per-example deadline, no too-slow health check.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

FIXTURES = Path(__file__).parent / "fixtures"
pytest_plugins = ["tests.report_plugin"]
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--screenshots", action="store_true",
        help="browser tests save a full-page screenshot of every page they load in test-output/screenshots/",
    )  # fmt: skip


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: a worker per core for the tests that compute, and one for each group of tests that mostly
    wait (``WAITING_GROUPS``, see ``pytest_collection_modifyitems``)."""
    import os

    return (os.cpu_count() or 1) + WAITING_GROUPS


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


#: where sources point unless a test points them at its replay server: a closed loopback port
UNSET = "http://127.0.0.1:9/unset-in-this-test"


def unset_endpoints() -> tuple[tuple[str, str], ...]:
    return tuple((name, f"{UNSET}/{name}") for name in ENDPOINTS)


def replay_endpoints(server: ReplayServer) -> dict[str, str]:
    """Every source's base URL on ``server`` (``<server>/<source name>``)."""
    return {name: f"{server.url}/{name}" for name in ENDPOINTS}


def test_http_settings(cache_file: Path, *, offline: bool = False, server: ReplayServer | None = None,
                       timeout: tuple[float, float] = (2.0, 2.0)) -> HttpSettings:
    """HTTP settings for a test: its own cache, no rate limit, short timeouts, sources on ``server`` (or unset)."""
    endpoints = tuple(replay_endpoints(server).items()) if server is not None else unset_endpoints()
    return HttpSettings(cache_file=cache_file, offline=offline, endpoints=endpoints, rate_limits=(), timeout=timeout)


def test_session(cache_file: Path, **kw) -> ButterflySession:
    """A session of ``test_http_settings`` with fast retries."""
    return build_session(test_http_settings(cache_file, **kw), retry=make_retry(total=3, backoff_factor=0.01))


def make_session(
    cache_file: Path,
    *,
    offline: bool = False,
    rate_limits: dict[str, float] | None = None,
    retry=None,  # noqa: ANN001
    timeout: tuple[float, float] = (10.0, 60.0),
    server: ReplayServer | None = None,
    limits=None,  # noqa: ANN001
) -> ButterflySession:
    """A session on ``cache_file`` with the given offline flag, per-source rate limits, retry, timeout and limits
    (sources point at ``server`` when given, else at a dead loopback port)."""
    http = test_http_settings(Path(cache_file), offline=offline, server=server, timeout=timeout)
    http = replace(http, rate_limits=tuple((rate_limits or {}).items()))
    return build_session(http, retry=retry, limits=limits)


test_http_settings.__test__ = False  # type: ignore[attr-defined]
test_session.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No ``BUTTERFLY_*`` variable of the developer's shell reaches a test, and settings built from the
    environment cache into the test's own folder (never the project's cache); fresh request log and sessions."""
    import os

    for var in [v for v in os.environ if v.startswith("BUTTERFLY_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("BUTTERFLY_CACHE", str(tmp_path / "env-cache" / "http_cache.sqlite"))
    reset_sessions()
    forget_products()
    REQUEST_LOG.reset()
    yield
    reset_sessions()
    forget_products()


@pytest.fixture
def replay():
    """A running ``ReplayServer`` (point a session at it with ``point_sources_at``)."""
    with ReplayServer() as server:
        yield server


@pytest.fixture
def session(tmp_path):
    """A fresh session with fast retries and no rate limit, caching into the test's folder; its sources point
    at a closed loopback port until ``point_sources_at`` points them at a replay server."""
    s = test_session(tmp_path / "session-cache.sqlite")
    yield s
    s.close()


@pytest.fixture
def point_sources_at(session):
    """``point_sources_at(server)``: the test's ``session`` asks ``server`` for every source."""

    def _point(server: ReplayServer, target: ButterflySession | None = None) -> None:
        (target or session).endpoints.update(replay_endpoints(server))

    return _point


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


def _shared_root(tmp_path_factory, worker_id: str) -> Path:
    """A folder every worker of this run shares (the workers' own temporary folders sit in it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


def _uses_the_site(item: pytest.Item) -> bool:
    return "fresh_site" in getattr(item, "fixturenames", ())


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks this adds
def pytest_collection_modifyitems(config, items: list[pytest.Item]) -> None:
    """The order the workers take tests in: the tests that mostly wait first, in ``WAITING_GROUPS`` groups of
    their own (each group runs on one worker, one test after another), then long tests, the rest, and the tests
    of the shared built site last (each group in its collected order).

    While a worker or two sit in the fault matrix's read timeouts, trickled bodies and Retry-After pauses (about
    90 s of waiting for 20 s of CPU, ``WAITING``), the others keep the cores busy with the long tests, and the site
    is built in the background meanwhile (``_site_built_in_the_background``). Spread among the other tests
    instead, the waiting still bunched up: every worker sat in a timeout at once and the machine idled for half a
    minute.
    The waiting tests keep their order, so the reliability report, whose rows follow the collection, does too."""
    from tests.report_plugin import FILES

    def rank(item: pytest.Item) -> int:
        if item.path.name in WAITING:
            return -1
        if _uses_the_site(item):
            return 2
        if item.get_closest_marker("slow") and item.path.name not in FILES:
            return 0
        return 1

    items.sort(key=rank)
    waiting = [i for i in items if rank(i) == -1]
    for n, item in enumerate(waiting):  # the mark means nothing outside --dist loadgroup
        item.add_marker(pytest.mark.xdist_group(f"waiting-{n * WAITING_GROUPS // len(waiting) + 1}"))


#: modules whose tests mostly wait (read timeouts, trickled bodies, Retry-After, pacing, a second process holding
#: a lock) rather than compute
WAITING = ("test_cache_integrity.py", "test_effort_cells.py", "test_fault_matrix.py", "test_http_session.py")
#: the waiting tests run in this many groups, each on a worker of its own
WAITING_GROUPS = 2


@pytest.fixture(autouse=True, scope="session")
def _site_built_in_the_background(request, tmp_path_factory, worker_id):
    """One worker starts building the shared site (``fresh_site``) as the session starts, in a thread (the build
    is a subprocess), so the tests that need it, which run last, find it built."""
    thread = None
    if worker_id in ("master", "gw0") and any(_uses_the_site(i) for i in request.session.items):
        thread = threading.Thread(target=shared_build, args=(_shared_root(tmp_path_factory, worker_id),), daemon=True)
        thread.start()
    yield
    if thread is not None:
        thread.join()


@pytest.fixture(scope="session")
def fresh_site(tmp_path_factory, worker_id) -> Build:
    """The site a user builds from a fresh clone: ``butterfly site --offline`` (the nbconvert fallback, from the
    bundled snapshot) in a ``git clone`` of this checkout with its uncommitted changes. Built once per run and
    shared by every worker (tests/fresh_clone.py); the checkout's own ``pages/`` and ``_site/`` stay untouched."""
    return shared_build(_shared_root(tmp_path_factory, worker_id))


@pytest.fixture(scope="session")
def offline_site(fresh_site) -> tuple[Path, Path]:
    """``(pages, _site)`` of ``fresh_site``: the real page notebooks run offline and the fallback site built
    from them."""
    fresh_site.check()
    return fresh_site.pages, fresh_site.site


#: what a build writes in the checkout, and the places' observation records (costly to download again, and a
#: test's simulated world must never land in them); the suite must leave all of it as the user had it
USER_OUTPUT = ("pages", "_site", ".butterfly-run", "data/lab", "data/record")


def _fingerprint(root: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for name in USER_OUTPUT:
        top = root / name
        if top.exists():
            for p in [top, *top.rglob("*")]:
                st = p.lstat()
                found[p.relative_to(root).as_posix()] = (st.st_mtime_ns, st.st_size)
    return found


@pytest.fixture(autouse=True, scope="session")
def _user_output_untouched():
    """`make test` never rewrites what the user built: ``pages/``, ``_site/``, the run folder, ``data/lab/`` and
    ``data/record/`` of the checkout are the same after the session as before (tests build into temporary
    folders)."""
    from butterfly_lib.settings import PROJECT_ROOT

    before = _fingerprint(PROJECT_ROOT)
    yield
    after = _fingerprint(PROJECT_ROOT)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"the test session changed the user's build output: {changed[:20]}"
