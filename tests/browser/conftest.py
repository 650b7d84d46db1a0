"""Browser-test fixtures: the site built offline, served on 127.0.0.1, and headless Chromium whose requests
to CDNs are answered from the npm packages in ``tests/browser/node_modules`` (everything else is aborted).

Look here when a page's widgets do not render in the browser tests. The site is built once per session into a
temporary folder (``butterfly run --offline`` + the nbconvert fallback); the checkout's ``pages/`` and ``_site/`` stay untouched.
"""

from __future__ import annotations

import functools
import http.server
import json
import mimetypes
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from butterfly_lib.settings import PROJECT_ROOT

NODE_MODULES = Path(__file__).parent / "node_modules"
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com")
_PACKAGE = re.compile(r"^/((?:@[^/@]+/)?[^/@]+)(?:@[^/]*)?(/.*)?$")


def local_file(url: str, node_modules: Path = NODE_MODULES) -> Path | None:
    """The npm file that answers a CDN ``url``: require.js from cdnjs, any package path from jsDelivr/unpkg
    (``/npm/<pkg>@<range>/<path>``; a bare package means its browser entry point). None when not served."""
    u = urlparse(url)
    path = unquote(u.path)
    if u.hostname == "cdnjs.cloudflare.com":
        if re.fullmatch(r"/ajax/libs/require\.js/[^/]+/require(\.min)?\.js", path):
            return node_modules / "requirejs" / "require.js"
        return None
    if u.hostname not in CDN_HOSTS:
        return None
    m = _PACKAGE.match(path.removeprefix("/npm") if u.hostname == "cdn.jsdelivr.net" else path)
    if not m:
        return None
    root = node_modules / m.group(1)
    rest = (m.group(2) or "").lstrip("/")
    if not rest and (root / "package.json").exists():
        meta = json.loads((root / "package.json").read_text())
        rest = (
            meta.get("jsdelivr") or meta.get("unpkg") or meta.get("browser") or meta.get("main") or "index.js"
        )
    for candidate in (root / rest, root / f"{rest}.js"):
        if rest and candidate.is_file() and node_modules in candidate.resolve().parents:
            return candidate
    return None


class Router:
    """Playwright route handler: loopback passes, CDN files come from npm, everything else is aborted."""

    def __init__(self) -> None:
        self.served: list[str] = []
        self.aborted: list[str] = []

    def __call__(self, route) -> None:
        url = route.request.url
        host = urlparse(url).hostname
        if host == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route.continue_()
            return
        f = local_file(url)
        if f is None:
            self.aborted.append(url)
            route.abort()
            return
        self.served.append(url)
        ctype = mimetypes.guess_type(f.name)[0] or "application/javascript"
        route.fulfill(path=str(f), content_type=ctype, headers={"Access-Control-Allow-Origin": "*"})


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site built offline from the bundled snapshot into a temporary folder (the checkout's ``pages/`` and
    ``_site/`` are the user's and stay untouched), once per test session."""
    from dataclasses import replace

    from butterfly_lib.settings import load_settings
    from butterfly_lib.site.fallback import build_site
    from butterfly_lib.site.modes import choose_mode
    from butterfly_lib.site.runner import run_pages

    tmp = tmp_path_factory.mktemp("built-site")
    settings = load_settings(env={}, offline=True)
    settings = settings.with_(
        paths=replace(settings.paths, pages_dir=tmp / "pages"),
        http=replace(settings.http, cache_file=tmp / "snapshot.sqlite"),
    )
    run_pages(choose_mode(settings, log=lambda _m: None), log=lambda _m: None)
    build_site(PROJECT_ROOT, pages_dir=tmp / "pages", out_dir=tmp / "_site", log=lambda _m: None)
    return tmp / "_site"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(built_site):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(built_site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def open_page(browser, site_url):
    """``open_page(path)`` -> (page, errors, router): the page loaded with CDN routing and error capture."""
    contexts = []

    def _open(path: str):
        ctx = browser.new_context(viewport={"width": 1100, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        router = Router()
        page.route("**/*", router)
        page.goto(f"{site_url}/{path}", wait_until="load")
        return page, errors, router

    yield _open
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
