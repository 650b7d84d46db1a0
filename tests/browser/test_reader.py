"""The reader's site in headless Chromium at a desktop (1366 px) and a phone (390 px) width: the answer on the
first screen, nothing of the machinery on any page, no contradiction between the sky and the sunshine, alt text
on every image, nothing wider than the phone, the map's legend beside it rather than over it, banners one line,
charts drawn for the column. Like the page tests, on both shapes of the site (the fallback's and the
Quarto-shaped variant, tests/browser/conftest.py; in Quarto's shape the forecast at the desktop width and the map
at both, ``CASES``).
With ``--screenshots`` (``make screenshots``), a screenshot of every page loaded goes to test-output/screenshots/
(``<page>-<width>.png``, the whole page; ``quarto/<page>-<width>.png`` for Quarto's shape)."""

from __future__ import annotations

import re

import pytest

from butterfly_lib.site.navigation import site_pages
from tests.browser.conftest import Router
from tests.browser.test_pages import assert_page_works

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = site_pages()
WIDTHS = {1366: 900, 390: 844}
ANSWER_PAGES = {"index", "forecast"}
MAP_PAGE = "sightings_map"

#: what must never reach a reader: tracebacks, warnings, local paths, raw dicts and dataclass reprs, notebook
#: parameters, nbconvert's placeholder alt text
DEVELOPER = [
    ("a traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("a Python warning", re.compile(r"\b\w*Warning:")),
    ("a local path", re.compile(r"/work/|/home/|/tmp/|\.py:\d+")),
    ("a raw dict", re.compile(r"\{'\w+'\s*:")),
    ("a dataclass repr", re.compile(r"\b[A-Z][A-Za-z]+\(\w+=")),
    (
        "a page parameter",
        re.compile(r"PageParams|settings_file|injected-parameters|inat_place_id|output_dir"),
    ),
    ("code", re.compile(r"\bopen_page\(|\bprovenance_footer\(|\bimport butterfly_lib|\bfrom butterfly_lib")),
    ("placeholder alt text", re.compile(r"No description has been provided")),
]


@pytest.fixture
def tab(browser, site_url, request):
    """``tab(path, width)`` -> a loaded page at that viewport width (CDNs answered from npm)."""
    contexts = []

    def _open(path: str, width: int):
        ctx = browser.new_context(viewport={"width": width, "height": WIDTHS[width]})
        contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        router = Router()
        page.route("**/*", router)
        page.goto(f"{site_url}/{path}", wait_until="load")
        if MAP_PAGE in path:
            page.wait_for_selector(".leaflet-container", timeout=60_000)
            page.wait_for_function(
                "document.querySelectorAll('path.leaflet-interactive').length > 0", timeout=60_000
            )
        else:  # nothing loads after "load" on these pages but lazy images (loaded when scrolled to) and fonts
            page.wait_for_function(
                "[...document.images].every(i => i.complete || i.loading === 'lazy')"
                " && document.fonts.status === 'loaded'",
                timeout=60_000,
            )
        return page, errors, router

    yield _open
    for ctx in contexts:
        ctx.close()


#: every page at both widths in the fallback's shape. Quarto's shape changes only the scripts of the notebook
#: pages (tests/browser/conftest.py, ``quarto_shaped``): the index is the same file in both shapes, and every page
#: without a widget is the fallback's page with the same script tags as the forecast page's
#: (test_pages.py::test_quartos_shape_differs_from_the_fallback_only_in_scripts_the_same_on_every_page_without_a_widget).
#: So Quarto's shape is loaded for the forecast (the answer page, standing for the pages without a widget) at the
#: desktop width and for the map, whose layout its scripts make, at both widths.
QUARTO_PAGES = {"forecast", MAP_PAGE}
CASES = [
    (shape, p, w)
    for shape in ("fallback", "quarto")
    for p in PAGES
    for w in WIDTHS
    if shape == "fallback" or (p.name in QUARTO_PAGES and (w == 1366 or p.name == MAP_PAGE))
]
IDS = [f"{shape}-{p.name}-{w}" for shape, p, w in CASES]


@pytest.mark.parametrize(("site_shape", "page", "width"), CASES, ids=IDS, indirect=["site_shape"])
def test_reader_page(page, width, tab, screenshots, site_shape):
    t, errors, router = tab(page.html_path, width)
    if screenshots is not None:
        folder = screenshots if site_shape[0] == "fallback" else screenshots / site_shape[0]
        folder.mkdir(exist_ok=True)
        t.screenshot(path=str(folder / f"{page.name}-{width}.png"), full_page=True)
    assert not errors, errors
    if width == 1366:
        assert_page_works(t, router, page, site_shape)
    text = t.inner_text("body")

    for what, pattern in DEVELOPER:
        m = pattern.search(text)
        assert m is None, (
            f"{page.name} at {width} px shows {what}: …{text[max(0, m.start() - 60) : m.end() + 60]}…"
        )

    # every image says what it shows (Leaflet's map tiles are decorative: empty alt, role presentation)
    missing = t.evaluate(
        """() => [...document.querySelectorAll('img')]
            .filter(i => !i.classList.contains('leaflet-tile') && !i.closest('.leaflet-pane'))
            .filter(i => !(i.getAttribute('alt') || '').trim() || /No description/.test(i.alt))
            .map(i => i.outerHTML.slice(0, 120))"""
    )
    assert not missing, f"{page.name}: images without alt text: {missing}"
    unlabelled = t.evaluate(
        "() => [...document.querySelectorAll('svg[role=img]')].filter(s => !s.getAttribute('aria-label')).length"
    )
    assert unlabelled == 0

    # a warning banner is one line; its details are folded
    for box in t.locator(".bp-banner summary").all():
        if box.is_visible():
            height = box.evaluate("e => e.getBoundingClientRect().height")
            line = box.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20")
            assert height <= 1.6 * line, f"{page.name}: banner summary {height:.0f} px tall"

    if width == 390:
        assert_nothing_wider_than_the_phone(t, page.name)
        assert_charts_drawn_for_the_column(t, page.name)

    if page.name in ANSWER_PAGES:
        answer = t.locator(".bp-answer").first
        assert answer.is_visible(), f"{page.name}: no answer sentence"
        box = answer.bounding_box()
        assert box and box["y"] + min(box["height"], 120) <= WIDTHS[width], (
            f"{page.name}: answer below the first screen"
        )
        said = answer.inner_text()
        assert re.search(r"(Best day|least bad): (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} \w{3}", said), said

    if page.name == "forecast":
        table = t.locator("#outlook_table").first
        top = table.bounding_box()["y"]
        assert top <= 2 * WIDTHS[width], (
            f"viewing-index table starts at {top:.0f} px, below the first two screens"
        )
        assert_no_overcast_beside_sunshine(t)
        highlighted = t.locator("#outlook_table tr.bp-highlight").count()
        assert 0 < highlighted <= 3, (
            f"{highlighted} rows highlighted: the highlight must single out the best days"
        )

    if page.name == MAP_PAGE:
        assert_legend_does_not_cover_the_map(t)
        layers = t.evaluate(
            "() => [...document.querySelectorAll('.leaflet-control-layers label')].map(l => l.innerText.trim())"
        )
        assert layers and not any(re.search(r"\(0\)|: 0$", x) for x in layers), layers
        assert not any("OpenStreetMap.Mapnik" in x for x in layers), layers


def assert_nothing_wider_than_the_phone(t, name: str) -> None:
    width = t.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{name}: page is {width} px wide at 390 px"
    hidden = t.evaluate(
        """() => [...document.querySelectorAll('table, .bp-table, .jp-OutputArea-output, figure')]
            .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 2)
            .map(e => (e.id || e.className || e.tagName) + ' ' + e.scrollWidth + '>' + e.clientWidth)"""
    )
    assert not hidden, f"{name}: content scrolls sideways at 390 px: {hidden}"


def assert_charts_drawn_for_the_column(t, name: str) -> None:
    """On a phone the chart shown is the phone rendering, scaled down by at most a quarter (text stays readable)."""
    shown = t.evaluate(
        """() => [...document.querySelectorAll('figure.bp-chart img')].filter(i => i.offsetParent !== null)
            .map(i => ({cls: i.className, shown: i.getBoundingClientRect().width, css: +i.getAttribute('width')}))"""
    )
    for img in shown:
        if img["css"] <= 700:  # column figures; wide emergence figures have no phone rendering
            assert img["cls"] == "bp-narrow", f"{name}: desktop chart shown on a phone"
            assert img["shown"] >= 0.75 * img["css"], (
                f"{name}: chart shrunk to {img['shown']:.0f} of {img['css']} px"
            )


def assert_no_overcast_beside_sunshine(t) -> None:
    rows = t.evaluate(
        """() => [...document.querySelectorAll('#outlook_table tbody tr')].map(r => ({
            sky: (r.querySelector('td[data-label=sky]') || {}).innerText || '',
            sun: (r.querySelector('td[data-label=sunshine]') || {}).innerText || ''}))"""
    )
    assert rows
    for r in rows:
        m = re.match(r"([\d.]+) of ([\d.]+) h", r["sun"])
        if m and float(m.group(1)) >= 0.8 * float(m.group(2)):
            assert not re.search(r"overcast|cloudy", r["sky"]), f"'{r['sky']}' beside {r['sun']} of sunshine"


def assert_legend_does_not_cover_the_map(t) -> None:
    box = t.locator(".leaflet-container").first.bounding_box()
    legend = t.locator(".bp-legend").first
    assert legend.is_visible(), "the map has no legend"
    lb = legend.bounding_box()
    overlap = not (lb["y"] >= box["y"] + box["height"] or lb["y"] + lb["height"] <= box["y"]
                   or lb["x"] >= box["x"] + box["width"] or lb["x"] + lb["width"] <= box["x"])  # fmt: skip
    assert not overlap, "the legend covers the map"
    assert legend.evaluate("e => e.tagName") == "DETAILS", "the legend cannot be folded"
    # controls drawn on the map cover at most a fifth of it, and the markers in view can be tapped
    covered = t.evaluate(
        """() => [...document.querySelectorAll('.leaflet-control')].map(c => c.getBoundingClientRect())
            .reduce((a, r) => a + r.width * r.height, 0)"""
    )
    assert covered <= 0.2 * box["width"] * box["height"], f"map controls cover {covered:.0f} px²"
    tappable = t.evaluate(
        """() => { const m = [...document.querySelectorAll('path.leaflet-interactive')];
            let ok = 0, seen = 0;
            for (const p of m) { const r = p.getBoundingClientRect();
                const x = r.x + r.width / 2, y = r.y + r.height / 2;
                if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) continue;
                seen++; const hit = document.elementFromPoint(x, y);
                if (hit && hit.classList && hit.classList.contains('leaflet-interactive')) ok++; }
            return [ok, seen]; }"""
    )
    ok, seen = tappable
    assert seen == 0 or ok >= 0.8 * seen, f"only {ok} of {seen} markers in view can be tapped"
