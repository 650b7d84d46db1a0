"""Every page of the offline-built site in headless Chromium: no page errors, figures present, the sightings
map draws its markers with the widget JavaScript served from npm, the offline banner visible, derived and
simulated labels shown; a screenshot of each page goes to test-output/screenshots/."""

from __future__ import annotations

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


def shown_kinds(site: Path, name: str) -> set[str]:
    """Data kinds a page shows, from the provenance files the pages wrote (the index shows the card pages')."""
    names = CARD_PAGES if name == "index" else (name,)
    return set().union(*(data_kinds(site / "pages", n) for n in names))


def test_every_navbar_page_has_a_notebook():
    missing = [
        p.name for p in notebook_pages() if not (PROJECT_ROOT / "notebooks" / f"{p.name}.ipynb").exists()
    ]
    assert not missing, f"page notebooks not written: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page(page, built_site, open_page, screenshots):
    assert (built_site / page.html_path).exists(), f"{page.html_path} was not built"
    tab, errors, router = open_page(page.html_path)
    if page.name == MAP_PAGE:
        tab.wait_for_selector(".leaflet-container", timeout=30_000)
        tab.wait_for_function(
            "document.querySelectorAll('.leaflet-marker-icon, path.leaflet-interactive').length > 0",
            timeout=30_000,
        )
    else:
        tab.wait_for_load_state("networkidle")
    tab.screenshot(path=str(screenshots / f"{page.name}.png"), full_page=True)

    assert not errors, f"{page.name}: page errors {errors}"
    banner = tab.locator(".bp-banner-offline").first
    assert banner.is_visible(), f"{page.name}: the offline snapshot banner is not visible"
    nav = [a.inner_text().strip() for a in tab.locator("nav a").all()]
    for other in PAGES:
        assert other.title in nav, f"{page.name}: navbar lacks {other.title}"
    if page.name in FIGURE_PAGES:
        assert tab.locator("img").count() > 0, f"{page.name}: no figure"
    if page.name == MAP_PAGE:
        markers = tab.locator(".leaflet-marker-icon, path.leaflet-interactive").count()
        assert markers > 0
        assert any("embed-amd.js" in u for u in router.served), router.served
        assert any("jupyter-leaflet" in u for u in router.served), router.served
    text = tab.inner_text("body").lower()
    for kind in sorted(shown_kinds(built_site, page.name) & {"derived", "simulated"}):
        assert kind in text, f"{page.name}: shows {kind} data without a visible '{kind}' label"
