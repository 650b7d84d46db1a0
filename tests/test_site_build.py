"""The whole site pipeline on a small temporary notebook set: runner (papermill, snapshot mode) -> index cards
-> nbconvert fallback. Pages exist, every navbar link resolves, data files sit next to their pages, the
offline banner is on every page and the cards escape what the summaries hold."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from butterfly_lib.settings import PROJECT_ROOT, Paths, Settings, places_from_site
from butterfly_lib.site.fallback import build_site
from butterfly_lib.site.modes import ModeChoice
from butterfly_lib.site.navigation import notebook_pages, site_pages
from butterfly_lib.site.runner import run_pages
from tests.site_helpers import page_cells, write_notebook

#: its tests share a module fixture costly to build: one worker runs them all (make test: --dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("test_site_build")]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    shutil.copy(PROJECT_ROOT / "_quarto.yml", root / "_quarto.yml")
    shutil.copy(PROJECT_ROOT / "index.qmd", root / "index.qmd")
    for page in notebook_pages(root):
        write_notebook(root / "notebooks" / f"{page.name}.ipynb", page_cells(page.name, banner=True))
    places = places_from_site(
        {"places": [{}, {"place_name": "Eugene, Oregon", "latitude": 44.05, "longitude": -123.09}]}
    )
    settings = Settings(
        places=places, offline=True, snapshot=date(2026, 6, 13),
        paths=Paths(root=root, data_dir=root / "data", pages_dir=root / "pages", site_file=None),
    )  # fmt: skip
    lines: list[str] = []
    result = run_pages(ModeChoice(settings, "test"), log=lines.append)
    out = build_site(root, log=lines.append)
    return root, result, out, lines


def test_runner_writes_pages_for_every_place(built):
    root, result, _, lines = built
    names = [p.name for p in notebook_pages(root)]
    assert [r.name for r in result.pages] == names * 2
    for name in names:
        assert (root / "pages" / f"{name}.ipynb").exists()
        assert (root / "pages" / "eugene-oregon" / f"{name}.ipynb").exists()
        assert f"{name}-table.csv" in next(r for r in result.pages if r.name == name).data_files
    # two places render on two kernels side by side: the counter runs 1..12 once, in whatever order they finish
    started = [re.match(r"\[(\d+)/12\] (.+): (\w+) \.\.\.$", line) for line in lines]
    started = [m for m in started if m]
    assert sorted(int(m[1]) for m in started) == list(range(1, 13))
    assert {(m[2], m[3]) for m in started} == {(p, n) for p in ("Portland, Oregon", "Eugene, Oregon") for n in names}


def test_snapshot_mode_reaches_the_kernels(built):
    import nbformat

    root, *_ = built
    nb = nbformat.read(str(root / "pages" / "forecast.ipynb"), as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'place = "portland-oregon"' in injected.source and "settings_file = " in injected.source


def test_fallback_builds_every_page_and_says_so(built):
    root, _, out, lines = built
    for page in site_pages(root):
        assert (root / "_site" / page.html_path).exists(), page.html_path
        assert (
            root / "_site" / "pages" / "eugene-oregon" / Path(page.html_path).name
        ).exists() or page.name == "index"
    assert any("nbconvert fallback" in line for line in lines)
    assert (root / "_site" / "pages" / "forecast-table.csv").exists()
    assert (root / "_site" / "pages" / "eugene-oregon" / "species-summary.json").exists()


def test_navbar_links_resolve(built):
    root, _, out, _ = built
    checked = 0
    for html_file in out.pages:
        html = html_file.read_text()
        nav = re.search(r'<nav class="bp-nav".*?</nav>', html, flags=re.S).group(0)
        hrefs = re.findall(r'href="([^"]+)"', nav)
        assert len(hrefs) == len(site_pages(root)) + 1
        for href in hrefs:
            assert (html_file.parent / href).resolve().exists(), f"{html_file}: {href}"
            checked += 1
    assert checked >= 13 * 8


def test_index_links_resolve_and_banner_on_every_page(built):
    root, _, out, _ = built
    index = (root / "_site" / "index.html").read_text()
    for href in re.findall(r'href="([^":#]+)"', index):
        assert (root / "_site" / href).exists(), href
    assert "pages/forecast.html" in index and "ipynb" not in re.sub(
        r"<script.*?</script>", "", index, flags=re.S
    )
    for html_file in out.pages:
        assert "bp-banner-offline" in html_file.read_text(), html_file


def test_cards_show_the_summaries_escaped(built):
    root, *_ = built
    index = (root / "_site" / "index.html").read_text()
    assert "812" in index and "9 days ahead of normal" in index
    assert "sunny &lt;b&gt;&amp;&lt;/b&gt; warm" in index
    assert "Western Tiger Swallowtail" in index and "Lorquin&#x27;s Admiral" in index
    assert "<h2>Eugene, Oregon</h2>" in index and "pages/eugene-oregon/forecast.html" in index


def test_figures_embedded_and_code_hidden(built):
    root, *_ = built
    html = (root / "_site" / "pages" / "forecast.html").read_text()
    assert "data:image/png;base64," in html
    assert "print(" not in html and "page_banner()" not in html  # code cells hidden


def test_fallback_without_pages_is_a_clear_error(tmp_path):
    shutil.copy(PROJECT_ROOT / "_quarto.yml", tmp_path / "_quarto.yml")
    with pytest.raises(FileNotFoundError, match="butterfly run"):
        build_site(tmp_path, log=lambda s: None)
