"""Untrusted text: names, place guesses, logins, photo and observation URLs from iNaturalist users carry XSS
payloads through the real client (replay server), analysis-side helpers and presentation (tables, map popups,
legend, index cards), and come out escaped; links stay http(s). A browser test opens a page built from these
fragments by nbconvert in headless Chromium and checks that nothing executes."""

from __future__ import annotations

import copy
import dataclasses
import functools
import http.server
import json
import threading
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pandas as pd
import pytest

from butterfly_lib.pages.species import flying_now, species_rows
from butterfly_lib.presentation.maps import legend_entries, popup_html
from butterfly_lib.presentation.page_tables import species_table
from butterfly_lib.presentation.safe import link
from butterfly_lib.presentation.tables import html_table
from butterfly_lib.sources import inaturalist as inat
from tests.conftest import FIXTURES
from tests.report_plugin import record
from tools.replay import Reply

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS = "javascript:alert(1)"
ESCAPED = "escaped: no tag, handler or javascript: link survives"
AUG_2020 = inat.DateRange(date(2020, 8, 1), date(2020, 8, 31))


def _load(name: str) -> dict:
    return json.loads((FIXTURES / "inaturalist" / name).read_text())


def laden_observations() -> dict:
    """The real recorded observations with every user-supplied text and URL replaced by a payload."""
    results = (
        _load("get_observations_page1.json")["results"] + _load("get_observations_page2.json")["results"]
    )
    results = copy.deepcopy(results)
    for n, obs in enumerate(results):
        obs["taxon"]["name"] = SCRIPT
        obs["taxon"]["preferred_common_name"] = IMG
        obs["place_guess"] = SCRIPT + IMG
        obs["user"]["login"] = IMG
        obs["license_code"] = SCRIPT
        obs["uri"] = JS
        obs["photos"][0]["url"] = JS if n == 0 else 'https://static.inaturalist.org/a/square.jpg"><img src=x>'
        obs["photos"][0]["attribution"] = SCRIPT
    return {"total_results": len(results), "page": 1, "per_page": 200, "results": results}


def laden_species_counts() -> dict:
    body = copy.deepcopy(_load("get_observation_species_counts.json"))
    for n, item in enumerate(body["results"]):
        item["taxon"]["name"] = SCRIPT if n % 2 else IMG
        item["taxon"]["preferred_common_name"] = IMG if n % 2 else SCRIPT
        if isinstance(item["taxon"].get("default_photo"), dict):
            item["taxon"]["default_photo"]["medium_url"] = JS
            item["taxon"]["default_photo"]["url"] = JS
    return body


class Audit(HTMLParser):
    """Everything in a fragment that could execute or navigate: tags, event-handler attributes, hrefs, srcs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k.lower().startswith("on"):
                self.handlers.append((tag, k))
            if k.lower() in ("href", "src", "action", "formaction", "xlink:href"):
                self.urls.append(v or "")

    def handle_data(self, data):
        self.text.append(data)


def assert_safe(fragment: str, payloads: tuple[str, ...] = (SCRIPT, IMG)) -> Audit:
    audit = Audit()
    audit.feed(str(fragment))
    audit.close()
    assert "script" not in audit.tags, fragment
    assert audit.handlers == [], audit.handlers
    for url in audit.urls:
        scheme = urlsplit(url).scheme.lower()
        assert scheme in ("http", "https", ""), url
        assert not url.strip().lower().startswith("javascript"), url
    text = "".join(audit.text)
    assert any(p in text for p in payloads), "the payload text should be shown, as text"
    return audit


@pytest.fixture
def laden(replay, point_sources_at, session):
    """(observations, species counts) frames fetched through the real client from payload-laden answers."""
    point_sources_at(replay)
    replay.add("/inaturalist/observations", Reply.json(laden_observations()))
    replay.add("/inaturalist/observations/species_counts", Reply.json(laden_species_counts()))
    obs = inat.observations(inat.BBox(40, -130, 55, -100), AUG_2020, session=session)
    counts = inat.species_counts(inat.BBox(40, -130, 55, -100), AUG_2020, session=session)
    return obs, counts


def _row(request, surface: str, what: str) -> None:
    record(request, f"inaturalist -> {surface}", what, ESCAPED)


def test_client_keeps_text_raw_and_drops_unsafe_urls(laden, request):
    _row(request, "client frames", "javascript: and attribute-breaking photo URLs, observation uri")
    obs, counts = laden
    assert obs["scientific_name"].eq(SCRIPT).all() and obs["user_login"].eq(IMG).all()  # raw: escaped later
    assert obs["photo_url"].isna().all(), obs["photo_url"].tolist()
    assert obs["url"].str.startswith("https://www.inaturalist.org/observations/").all()
    assert counts["photo_url"].isna().all()


def test_map_popups(laden, request):
    _row(request, "map popups", "species, common name, place guess, login, licence, photo URL")
    obs, _ = laden
    for row in obs.to_dict("records"):
        audit = assert_safe(popup_html(row))
        assert "img" not in audit.tags  # the only photo URLs were unsafe
        assert all(u.startswith("https://www.inaturalist.org/observations/") for u in audit.urls)


def test_map_legend(laden, request):
    _row(request, "map legend", "common names")
    obs, _ = laden
    for name in legend_entries(obs):
        assert_safe(name)


def test_species_table(laden, request):
    _row(request, "species table", "names, photo URLs")
    _, counts = laden
    html = str(species_table(species_rows(counts, counts.head(2), {}, date(2020, 8, 15))))
    audit = assert_safe(html)
    assert all(u.startswith("https://www.inaturalist.org/taxa/") for u in audit.urls)


def test_observation_table_and_links(laden, request):
    _row(request, "observation table and links", "every text column; a javascript: link")
    obs, _ = laden
    table = html_table(
        obs,
        ["common_name", "scientific_name", "place_guess", "user_login", "license"],
        links={"common_name": "url"},
    )
    assert_safe(str(table))
    assert_safe(link(JS, SCRIPT))
    assert 'href="javascript' not in link(JS, SCRIPT).lower()


def test_index_cards(laden, tmp_path, request):
    index_cards = pytest.importorskip("butterfly_lib.site.index_cards")
    _row(request, "index cards", "flying-now names and links from species-summary.json")
    _, counts = laden
    summary = dataclasses.asdict(flying_now(species_rows(counts, counts.head(0), {}, date(2020, 8, 15))))
    summary["flying_now"][0]["url"] = JS  # a tampered summary file
    (tmp_path / "species-summary.json").write_text(json.dumps(summary))
    (tmp_path / "emergence-summary.json").write_text(
        json.dumps({"expected_soon": [{"common_name": IMG, "scientific_name": SCRIPT, "status": SCRIPT,
                                        "window_start": IMG, "window_end": None}]})
    )  # fmt: skip
    html = index_cards.place_cards(tmp_path, "pages/")
    assert_safe(html)


# ------------------------------------------------------------------ in the browser


def _page(obs: pd.DataFrame, counts: pd.DataFrame, out: Path) -> Path:
    """A notebook whose outputs are the real presentation fragments, exported by nbconvert like a site page."""
    from nbconvert import HTMLExporter

    fragments = [
        str(species_table(species_rows(counts, counts.head(2), {}, date(2020, 8, 15)))),
        *(popup_html(r) for r in obs.to_dict("records")),
        "<ul>" + "".join(f"<li>{k}</li>" for k in legend_entries(obs)) + "</ul>",
        link(JS, SCRIPT),
        str(html_table(obs, ["common_name", "place_guess", "user_login"], links={"common_name": "url"})),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Untrusted text")]
    for html in fragments:
        cell = nbformat.v4.new_code_cell("show()")
        cell.outputs = [
            nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "html"})
        ]
        nb.cells.append(cell)
    body, _ = HTMLExporter().from_notebook_node(nb)
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text(body, encoding="utf-8")
    return out / "index.html"


@pytest.mark.browser
def test_nothing_executes_in_the_browser(laden, tmp_path, request, browser):
    record(request, "inaturalist -> built page in Chromium", "all payloads on one nbconvert page",
           "no dialog, no injected element, links http(s) only")  # fmt: skip
    obs, counts = laden
    page_file = _page(obs, counts, tmp_path / "site")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(page_file.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.RequestHandlerClass.log_message = lambda *a: None
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    dialogs: list[str] = []
    aborted: list[str] = []

    def route(r):
        if urlsplit(r.request.url).hostname == "127.0.0.1" or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:  # CDN scripts of the nbconvert template are not needed for static HTML
            aborted.append(r.request.url)
            r.abort()

    try:
        context = browser.new_context()
        page = context.new_page()
        page.route("**/*", route)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/index.html", wait_until="load")
        page.wait_for_timeout(500)
        page.wait_for_selector("text=Untrusted text")
        injected_imgs = page.eval_on_selector_all("img[src='x'], img[onerror]", "els => els.length")
        alert_scripts = page.eval_on_selector_all(
            "script", "els => els.filter(e => e.textContent.includes('alert(')).length"
        )
        handlers = page.evaluate(
            "() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
            ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"
        )
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        shown = page.inner_text("body")
        context.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert dialogs == [], dialogs
    assert injected_imgs == 0 and alert_scripts == 0 and handlers == [], (
        injected_imgs,
        alert_scripts,
        handlers,
    )
    assert hrefs, "the page should hold links"
    for href in hrefs:
        assert urlsplit(href).scheme in ("http", "https", ""), href
        assert not href.lower().startswith("javascript"), href
    assert SCRIPT in shown and IMG in shown  # the text is shown, as text
