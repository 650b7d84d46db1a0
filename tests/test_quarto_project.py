"""The project as Quarto 1.7 sees it, checked here where Quarto cannot run (rules in tests/quarto_rules.py).

A fresh clone (``git clone`` of this checkout, with its uncommitted changes applied) lists for Quarto with no
generated file present, builds with ``butterfly site`` both through a stand-in for ``quarto render`` that
follows Quarto's order (tests/fake_quarto.py; small page notebooks of the same names, committed in the clone)
and through the nbconvert fallback (the real pages), and is left with no tracked file changed and nothing new
outside the ignored build output. The landing page's shortcode runs through its
own Lua under pandoc, and the fallback renders the same cards from the same source. No rendered table's id or
caption reads as a Quarto cross-reference label.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from butterfly_lib.presentation import page_tables
from butterfly_lib.presentation.tables import html_table
from butterfly_lib.settings import PROJECT_ROOT
from butterfly_lib.site.fallback import render_index
from butterfly_lib.site.index_cards import CARDS_FILE
from butterfly_lib.site.navigation import site_pages, site_title
from tests.fake_quarto import SHORTCODE_HARNESS
from tests.fresh_clone import build_offline, clone_checkout, git
from tests.quarto_rules import gitignore_additions, listing_includes, pandoc_path, ref_type, table_hazards
from tests.site_helpers import page_cells, write_notebook

EXTENSION = PROJECT_ROOT / "_extensions" / "butterfly-cards"


# ------------------------------------------------------------------ what Quarto reads before anything runs


def test_no_input_includes_a_file_a_build_writes():
    q = yaml.safe_load((PROJECT_ROOT / "_quarto.yml").read_text())
    for pattern in q["project"]["render"]:
        for source in PROJECT_ROOT.glob(pattern):
            for written, target in listing_includes(source):
                assert target.is_file() and "pages" not in target.relative_to(PROJECT_ROOT).parts, (
                    source,
                    written,
                )


def test_the_cards_extension_is_a_shortcode_quarto_loads():
    meta = yaml.safe_load((EXTENSION / "_extension.yml").read_text())
    assert meta["contributes"]["shortcodes"] == ["cards.lua"]
    lua = (EXTENSION / "cards.lua").read_text()
    assert '["butterfly-cards"] = function' in lua and f'"pages/{CARDS_FILE}"' in lua
    ignored = subprocess.run(["git", "check-ignore", "-q", str(EXTENSION / "cards.lua")], cwd=PROJECT_ROOT)
    assert ignored.returncode == 1, "_extensions/ must be committed: a fresh clone needs it"


def _shortcode(project: Path, raw: str, tmp: Path) -> dict:
    harness = tmp / "harness.lua"
    harness.write_text(SHORTCODE_HARNESS)
    done = subprocess.run(
        [pandoc_path(), "lua", str(harness), str(project), str(EXTENSION / "cards.lua"), raw],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_shortcode_shows_the_generated_cards_and_the_fallback_the_same(tmp_path):
    project = tmp_path / "project"
    (project / "pages").mkdir(parents=True)
    fragment = '<div class="bp-cards"><div class="bp-card"><h3>Season &amp; more</h3><p>812 °F·days</p></div></div>\n'
    (project / "pages" / CARDS_FILE).write_text(fragment, encoding="utf-8")
    out = _shortcode(project, f"butterfly-cards pages/{CARDS_FILE}", tmp_path)
    assert not out["warnings"] and out["html"].strip() == fragment.strip()

    shutil.copy(PROJECT_ROOT / "index.qmd", project / "index.qmd")
    page = render_index(project, site_pages(), site_title(), project / "pages")
    assert fragment.strip() in page and "butterfly-cards" not in page


def test_without_the_cards_file_the_shortcode_says_so_and_warns(tmp_path):
    out = _shortcode(tmp_path, f"butterfly-cards pages/{CARDS_FILE}", tmp_path)
    assert len(out["warnings"]) == 1 and "butterfly run" in out["warnings"][0]
    assert "The cards appear once" in out["html"]


# ------------------------------------------------------------------ tracked files a render touches


def test_gitignore_is_as_quarto_leaves_it():
    """ensureGitignore rewrites .gitignore unless its exact lines are there; it must find nothing to add."""
    assert gitignore_additions(PROJECT_ROOT) == []
    lines = (PROJECT_ROOT / ".gitignore").read_text().splitlines()
    assert "/.quarto/" in lines and "/pages/" in lines and "/.butterfly-run/" in lines


def test_the_gitignore_rule_port_sees_what_quarto_would_add(tmp_path):
    (tmp_path / ".gitignore").write_text(".quarto/\n_site/\n")
    assert gitignore_additions(tmp_path) == [
        "/.quarto/"
    ]  # the form Quarto 1.7 appended to this project's file
    (tmp_path / "_quarto.local").write_text("")
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("")
    assert gitignore_additions(tmp_path) == ["/env/", "/.quarto/", "/_*.local"]


# ------------------------------------------------------------------ tables and cross-references


def test_quartos_ref_type_rule():
    assert (
        ref_type("emergence-table") == "emergence"
        and ref_type("tbl-x") == "tbl"
        and ref_type("Fig-1") == "fig"
    )
    assert ref_type("emergence_table") is None and ref_type("t2-x") is None and ref_type("-x") is None


def test_table_hazards_finds_what_quarto_would_label(tmp_path):
    bad = (
        '<table id="emergence-table"><caption>Windows</caption><tr><td>1</td></tr></table>'
        '<table id="plain_id"><caption>Caption</caption><tr><td>1</td></tr></table>'
        "<table><caption>Windows {#tbl-windows}</caption><tr><td>1</td></tr></table>"
    )
    found = table_hazards(bad, tmp_path)
    assert len(found) == 3, found
    assert "'emergence'" in found[0] and "float" in found[1] and "{#label}" in found[2]


def test_page_tables_carry_their_ids_where_quarto_does_not_read_them(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2]})
    html = str(
        html_table(frame, ["a"], caption="Derived values, 2026", label="derived", table_id="some_table")
    )
    assert 'id="some_table"' in html and table_hazards(html, tmp_path) == []
    ids = sorted(
        i
        for f in Path(page_tables.__file__).parent.glob("*.py")
        for i in re.findall(r'table_id="([^"]+)"', f.read_text())
    )
    assert ids == [
        "emergence_status_table",
        "emergence_table",
        "hindcast_table",
        "outlook_table",
        "species_table",
    ]
    assert all(ref_type(i) is None for i in ids)
    with pytest.raises(ValueError, match="'emergence-table'.*cross-reference"):
        html_table(frame, ["a"], caption="x", table_id="emergence-table")


def _html_outputs(nb_path: Path) -> str:
    nb = nbformat.read(str(nb_path), as_version=4)
    return "\n".join(
        str(o.get("data", {}).get("text/html", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") in ("display_data", "execute_result")
    )


@pytest.mark.slow
def test_no_rendered_table_reads_as_a_cross_reference_label(offline_site, tmp_path):
    """Every table every real page shows, as Quarto gets it (the notebooks' HTML outputs) and as the fallback
    publishes it."""
    pages, site = offline_site
    notebooks = sorted(pages.rglob("*.ipynb"))
    assert len(notebooks) == 6
    tables = 0
    for nb in notebooks:
        html = _html_outputs(nb)
        tables += html.count("<table")
        assert table_hazards(html, tmp_path) == [], nb.name
    for page in sorted(site.rglob("*.html")):
        assert table_hazards(page.read_text(encoding="utf-8"), tmp_path) == [], page.name
    assert tables >= 4


# ------------------------------------------------------------------ a fresh clone


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    """A clone of its own for Quarto's path (the fallback's build is the shared ``fresh_site``)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return clone_checkout(tmp_path_factory.mktemp("fresh") / "clone")


def _assert_clean(clone: Path) -> None:
    status = git("status", "--porcelain", "--untracked-files=all", cwd=clone).stdout.decode()
    assert status == "", f"the build changed tracked files or left unignored ones:\n{status}"
    assert gitignore_additions(clone) == []


def _small_pages_committed(clone: Path) -> None:
    """Replace the clone's page notebooks by small real ones of the same names (tests/site_helpers.py), and commit
    them: the clone is then a fresh clone of a project whose pages are quick to run."""
    for notebook in sorted((clone / "notebooks").glob("*.ipynb")):
        write_notebook(notebook, page_cells(notebook.stem))
    git("commit", "-q", "-am", "small pages", cwd=clone)


@pytest.mark.slow
def test_fresh_clone_quarto_render(fresh_clone):
    """With Quarto on PATH, `butterfly site` is plain `quarto render`: Quarto's listing needs no generated file,
    its pre-render step runs the notebooks (with the flags handed down), the shortcode finds the cards.

    What this checks is Quarto's order around the pages, so the clone's notebooks are small real ones (a figure,
    a data file, a summary for the cards), executed by the same `butterfly run`.
    The real notebooks run in the fallback's build that every end-to-end test shares (``fresh_site``); the
    runner is the same code on both paths."""
    clone = fresh_clone
    assert not (clone / "pages").exists()
    _small_pages_committed(clone)
    bin_dir = clone.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "quarto").write_text(
        f'#!/bin/sh\nexec "{sys.executable}" "{clone / "tests" / "fake_quarto.py"}" "$@"\n'
    )
    (bin_dir / "quarto").chmod(0o755)
    done = build_offline(clone, bin_dir)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "quarto render" in done.stdout
    record = json.loads((clone / "_site" / "fake-quarto.json").read_text())
    assert record["first_listing"] == ["index.qmd"]  # the pages do not exist yet; nothing fails on that
    assert record["gitignore_added"] == []
    assert sorted(record["second_listing"]) == sorted(
        ["index.qmd"] + [f"pages/{p.name}.ipynb" for p in site_pages(clone) if p.name != "index"]
    )
    (cards,) = record["shortcodes"]
    assert (
        not cards["warnings"] and "bp-banner-offline" in cards["html"] and "Season progress" in cards["html"]
    )
    assert (
        json.loads((clone / "pages" / "run.json").read_text())["mode"] == "snapshot"
    )  # --offline reached it
    assert "without encryption" not in done.stderr
    _assert_clean(clone)


@pytest.mark.slow
def test_fresh_clone_fallback_build(fresh_site):
    """Without Quarto, `butterfly site` builds the same pages with nbconvert; the tree stays clean. (The build is
    the one every end-to-end test shares: tests/fresh_clone.py.)"""
    clone = fresh_site.check().clone
    assert "nbconvert fallback" in fresh_site.stdout and "without encryption" not in fresh_site.stderr
    index = (clone / "_site" / "index.html").read_text()
    assert "Season progress" in index and "bp-banner-offline" in index
    for page in site_pages(clone):
        assert (clone / "_site" / page.html_path).is_file(), page.html_path
    _assert_clean(clone)
