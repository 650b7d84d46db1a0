"""Browser-test fixtures: the site built offline in two shapes, served on 127.0.0.1, and headless Chromium whose
requests to CDNs are answered from the npm packages in ``tests/browser/node_modules`` (everything else is aborted).

Look here when a page's widgets do not render in the browser tests. The site is built once per session into a
temporary folder (``butterfly run --offline`` + the nbconvert fallback, ``offline_site`` in tests/conftest.py);
the checkout's ``pages/`` and ``_site/`` stay untouched. Every page test runs on two shapes of it:

- ``fallback``: the pages as the nbconvert fallback writes them (require.js 2.1.10, the widget manager appended
  by nbconvert's script);
- ``quarto``: the same pages with the ``<script>`` tags Quarto 1.7 writes for notebooks with HTML or widget
  outputs instead (require.js 2.3.6 and jQuery 3.5.1 from cdnjs with ``integrity`` hashes, jQuery moved to the top
  of the head, ``define('jquery')``, the widget manager from unpkg, the widget state after the body), made by
  ``quarto_shaped`` from the executed notebooks with ``tests/quarto_rules.py``.

Integrity, honestly: a CDN file is served from npm byte for byte where npm has that exact file (jQuery 3.5.1's
``dist/jquery.min.js`` is cdnjs's file: its sha512 is the one Quarto writes), and the page keeps its hash. Where
npm has no identical file (cdnjs minified require.js 2.3.6 itself; npm ships ``require.js`` only), an offline
test cannot satisfy the page's hash, so the router rewrites that ``integrity`` attribute in the served HTML to
the hash of the file it serves, and records each rewrite (``Router.integrity_rewritten``) for the tests to check.
The browser still verifies every hash.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import json
import mimetypes
import re
import shutil
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
        m = re.fullmatch(r"/ajax/libs/require\.js/([^/]+)/require(?:\.min)?\.js", path)
        if m:  # the exact version where tests/browser/package.json pins it, else the current one
            exact = node_modules / f"requirejs-{m.group(1)}" / "require.js"
            return exact if exact.is_file() else node_modules / "requirejs" / "require.js"
        m = re.fullmatch(r"/ajax/libs/jquery/([^/]+)/(jquery(?:\.min)?\.js)", path)
        if m:  # only the exact version: jQuery's versions differ
            exact = node_modules / f"jquery-{m.group(1)}" / "dist" / m.group(2)
            return exact if exact.is_file() else None
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
    candidates = [root / rest, root / f"{rest}.js"]
    if rest.endswith(".min.js"):  # jsDelivr minifies a package's file on request when the package has no .min
        candidates.append(root / f"{rest[: -len('.min.js')]}.js")
    for candidate in candidates:
        if rest and candidate.is_file() and node_modules in candidate.resolve().parents:
            return candidate
    return None


_SCRIPT_TAG = re.compile(r"<script\b[^>]*>", flags=re.I)
_ATTR = re.compile(r'\s([\w-]+)="([^"]*)"')


def sri(path: Path, algorithm: str) -> str:
    """``algorithm-base64(digest)`` of a file, as in an ``integrity`` attribute."""
    return f"{algorithm}-{base64.b64encode(hashlib.new(algorithm, path.read_bytes()).digest()).decode()}"


def honest_integrity(html: str) -> tuple[str, list[str], list[tuple[str, str, str]]]:
    """``html`` with each ``<script src integrity>`` checked against the file the router will serve: kept when
    one of its hashes matches that file (``kept`` lists the URLs), else rewritten to that file's hash
    (``rewritten``: URL, old, new). Scripts the router does not serve are left as they are (and blocked)."""
    kept: list[str] = []
    rewritten: list[tuple[str, str, str]] = []

    def check(m: re.Match) -> str:
        tag = m.group(0)
        attrs = dict(_ATTR.findall(tag))
        src, integrity = attrs.get("src"), attrs.get("integrity")
        served = local_file(src) if src and integrity else None
        if served is None or src is None or integrity is None:
            return tag
        hashes = integrity.split()
        if any(h == sri(served, h.split("-", 1)[0]) for h in hashes):
            kept.append(src)
            return tag
        new = sri(served, hashes[0].split("-", 1)[0])
        rewritten.append((src, integrity, new))
        return tag.replace(f'integrity="{integrity}"', f'integrity="{new}"')

    return _SCRIPT_TAG.sub(check, html), kept, rewritten


class Router:
    """Playwright route handler: loopback passes (its HTML with ``honest_integrity``), CDN files come from npm,
    everything else is aborted."""

    def __init__(self) -> None:
        self.served: list[str] = []
        self.aborted: list[str] = []
        self.integrity_kept: list[str] = []
        self.integrity_rewritten: list[tuple[str, str, str]] = []

    def __call__(self, route) -> None:
        url = route.request.url
        host = urlparse(url).hostname
        if host == "127.0.0.1" and route.request.resource_type == "document":
            response = route.fetch()
            html, kept, rewritten = honest_integrity(response.text())
            self.integrity_kept += kept
            self.integrity_rewritten += rewritten
            route.fulfill(response=response, body=html)
            return
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
def built_site(offline_site) -> Path:
    """The nbconvert fallback's ``_site`` of the offline build (see ``offline_site``)."""
    return offline_site[1]


_NBCONVERT_REQUIRE = re.compile(
    r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/require\.js/[^"]+"></script>'
)
_NBCONVERT_WIDGETS = re.compile(
    r"<script>\s*\(function\(\) \{\s*function addWidgetsRenderer\(\).*?</script>", re.S
)
_NBCONVERT_STATE = re.compile(
    r'<script type="application/vnd\.jupyter\.widget-state\+json">.*?</script>\s*', re.S
)


def quarto_shaped(html: str, nb: dict) -> str:
    """A fallback page with nbconvert's widget scripts replaced by those Quarto writes for notebook ``nb``."""
    from tests.quarto_rules import EMBED_AMD, relocate_top, widget_after_body, widget_head

    head_lines = widget_head(nb)
    html, n_require = _NBCONVERT_REQUIRE.subn("", html, count=1)
    html, n_widgets = _NBCONVERT_WIDGETS.subn("", html, count=1)
    html = _NBCONVERT_STATE.sub("", html, count=1)
    expected = (1, 1 if EMBED_AMD in head_lines else 0)
    assert (n_require, n_widgets) == expected, "nbconvert's widget scripts changed: update quarto_shaped"
    head_end = html.index("</head>")
    head = relocate_top(html[:head_end] + "\n".join(head_lines) + "\n")
    html = head + html[head_end:]
    body_end = html.rindex("</body>")
    return html[:body_end] + widget_after_body(nb) + html[body_end:]


@pytest.fixture(scope="session")
def quarto_site(offline_site, tmp_path_factory) -> Path:
    """The same site with every notebook page in Quarto's shape (``quarto_shaped``)."""
    pages, site = offline_site
    out = tmp_path_factory.mktemp("quarto-shaped") / "_site"
    shutil.copytree(site, out)
    for page in out.glob("pages/**/*.html"):
        nb = pages / page.relative_to(out / "pages").with_suffix(".ipynb")
        page.write_text(
            quarto_shaped(page.read_text(encoding="utf-8"), json.loads(nb.read_text())), encoding="utf-8"
        )
    return out


@pytest.fixture(scope="session", params=["fallback", "quarto"])
def site_shape(request, built_site, quarto_site) -> tuple[str, Path]:
    """``(shape, folder)``: each page test runs on the fallback's pages and on their Quarto-shaped variant."""
    return request.param, built_site if request.param == "fallback" else quarto_site


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(site_shape):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site_shape[1]))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def screenshots(pytestconfig) -> Path | None:
    """Where the browser tests save screenshots with ``--screenshots`` (``make screenshots``); None without it.
    A screenshot checks nothing (it is for a person to look at), and a full-page one costs Chromium about half
    a second of CPU, so the suite takes them only when asked."""
    if not pytestconfig.getoption("screenshots"):
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
