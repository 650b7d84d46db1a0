"""Every page of the offline-built site works in headless Chromium, in both shapes (the nbconvert fallback's pages
and their Quarto-shaped variant, see conftest.py, loaded where its scripts differ): no page errors, figures present, the sightings map draws its
markers with the widget JavaScript served from npm (on Quarto's shape through its integrity-checked require.js
and jQuery), the offline banner visible, derived and simulated labels shown, the tables found by their ids.

The pages are loaded by tests/browser/test_reader.py (every page at both widths in the fallback's shape; in
Quarto's the forecast and the map, as ``CASES`` there says why), which runs ``assert_page_works`` on each desktop
load and, with ``--screenshots``, saves a screenshot of each; this file holds those checks and the tests that need
no page load, among them the check that lets Quarto's shape be loaded for two pages only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from butterfly_lib.settings import PROJECT_ROOT
from butterfly_lib.site.index_cards import data_kinds
from butterfly_lib.site.navigation import notebook_pages, site_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = site_pages()
FIGURE_PAGES = {"forecast", "species", "degree_days", "emergence"}
MAP_PAGE = "sightings_map"
CARD_PAGES = ("degree_days", "forecast", "species", "emergence")
#: the tables each page shows offline (the snapshot's sample has no hindcast: its table is empty, said in words)
TABLE_IDS = {
    "forecast": ["outlook_table"],
    "species": ["species_table"],
    "emergence": ["emergence_table", "emergence_status_table"],
}


def shown_kinds(site: Path, name: str) -> set[str]:
    """Data kinds a page shows, from the provenance files the pages wrote (the index shows the card pages')."""
    names = CARD_PAGES if name == "index" else (name,)
    return set().union(*(data_kinds(site / "pages", n) for n in names))


def test_every_navbar_page_has_a_notebook():
    missing = [
        p.name for p in notebook_pages() if not (PROJECT_ROOT / "notebooks" / f"{p.name}.ipynb").exists()
    ]
    assert not missing, f"page notebooks not written: {missing}"


def assert_page_works(tab, router, page, site_shape) -> None:
    """The page as loaded, without page errors, by the reader tests (tests/browser/test_reader.py, at 1366 px): the
    offline banner, the whole navbar, figures and tables present, the map's markers drawn from npm's widget
    JavaScript, Quarto's integrity checks honoured, derived and simulated data labelled."""
    shape, site = site_shape
    assert (site / page.html_path).exists(), f"{page.html_path} was not built"
    banner = tab.locator(".bp-banner-offline").first
    assert banner.is_visible(), f"{page.name}: the offline snapshot banner is not visible"
    nav = [a.inner_text().strip() for a in tab.locator("nav a").all()]
    for other in PAGES:
        assert other.title in nav, f"{page.name}: navbar lacks {other.title}"
    if page.name in FIGURE_PAGES:
        assert tab.locator("img").count() > 0, f"{page.name}: no figure"
    for table_id in TABLE_IDS.get(page.name, []):
        assert tab.locator(f"#{table_id} table tbody tr").count() > 0, f"{page.name}: no rows in #{table_id}"
    if page.name == MAP_PAGE:
        markers = tab.locator(".leaflet-marker-icon, path.leaflet-interactive").count()
        assert markers > 0
        assert any("embed-amd.js" in u for u in router.served), router.served
        assert any("jupyter-leaflet" in u for u in router.served), router.served
    if shape == "quarto" and page.name != "index":
        # Quarto's tags were loaded and checked: jQuery byte-identical with its hash kept, require.js re-hashed
        assert tab.evaluate("typeof window.jQuery === 'function' && typeof window.define === 'function'")
        assert [u for u in router.integrity_kept if "jquery/3.5.1" in u], router.integrity_kept
        assert [u for u, *_ in router.integrity_rewritten] == [
            "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js"
        ], router.integrity_rewritten
    else:
        assert not router.integrity_rewritten
    text = tab.inner_text("body").lower()
    for kind in sorted(shown_kinds(site, page.name) & {"derived", "simulated"}):
        assert kind in text, f"{page.name}: shows {kind} data without a visible '{kind}' label"


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)


def _without_scripts(html: str) -> str:
    return "".join(_SCRIPT.sub("", html).split())  # whitespace left where the scripts were does not count


def test_quartos_shape_differs_from_the_fallback_only_in_scripts_the_same_on_every_page_without_a_widget(
    built_site, quarto_site
):
    """What lets the reader tests load Quarto's shape of one page without a widget only (test_reader.py,
    ``CASES``): the index is the same file in both shapes; every other page without a widget is the fallback's
    page but for its scripts, and those are the forecast page's, tag for tag."""
    assert (quarto_site / "index.html").read_bytes() == (built_site / "index.html").read_bytes()
    tags = {}
    for page in PAGES:
        if page.name == "index":
            continue
        fallback = (built_site / page.html_path).read_text(encoding="utf-8")
        quarto = (quarto_site / page.html_path).read_text(encoding="utf-8")
        assert _without_scripts(quarto) == _without_scripts(fallback), page.name
        if "application/vnd.jupyter.widget-state+json" not in fallback:
            tags[page.name] = sorted(re.findall(r"<script\b[^>]*>", quarto))
    assert "forecast" in tags and MAP_PAGE not in tags
    assert all(t == tags["forecast"] for t in tags.values()), tags


def test_quarto_shape_carries_quartos_script_tags(quarto_site):
    """The variant really is Quarto's shape: integrity-hashed require.js and jQuery, jQuery first, the state
    after the body."""
    from tests.quarto_rules import EMBED_AMD, REQUIRE_JS

    html = (quarto_site / "pages" / f"{MAP_PAGE}.html").read_text()
    head = html[: html.index("</head>")]
    assert REQUIRE_JS in head and EMBED_AMD in head and "require.js/2.1.10" not in html
    assert (
        head.index("jquery/3.5.1/jquery.min.js")
        < head.index("require.js/2.3.6")
        < head.index("define('jquery'")
    )
    assert "data-relocate-top" not in html
    assert html.index("<script type=application/vnd.jupyter.widget-state+json>") < html.rindex("</body>")
