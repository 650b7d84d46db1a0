"""One run owns pages/: a second run is refused while one runs, a lock left by a dead run is taken over, a
failed run publishes nothing, pages of places no longer configured vanish from pages/ and _site/, run.json lists
exactly what pages/ holds, --only is refused across modes and places, and kernels talk over IPC (no TCP
warning). Tiny real notebooks, executed for real by the runner."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from butterfly_lib.errors import InvalidInput
from butterfly_lib.settings import PROJECT_ROOT, Paths, Settings, places_from_site
from butterfly_lib.site.fallback import build_site
from butterfly_lib.site.modes import ModeChoice
from butterfly_lib.site.navigation import notebook_pages
from butterfly_lib.site.run_folder import RUN_FOLDER, RunLocked, run_folder
from butterfly_lib.site.runner import Kernel, PageFailed, read_run_record, run_pages
from tests.site_helpers import page_cells, write_notebook

pytestmark = pytest.mark.slow

EUGENE = {"place_name": "Eugene, Oregon", "latitude": 44.05, "longitude": -123.09}
BOISE = {"place_name": "Boise, Idaho", "latitude": 43.62, "longitude": -116.2}


@pytest.fixture
def project(tmp_path) -> Path:
    """A project folder with the real _quarto.yml and index.qmd and small page notebooks; the forecast page
    fails for Boise, as a page of a place the snapshot cannot serve does."""
    shutil.copy(PROJECT_ROOT / "_quarto.yml", tmp_path / "_quarto.yml")
    shutil.copy(PROJECT_ROOT / "index.qmd", tmp_path / "index.qmd")
    for page in notebook_pages(tmp_path):
        cells = page_cells(page.name)
        if page.name == "forecast":
            cells.append(
                "if place == 'boise-idaho':\n    raise RuntimeError('no forecast recorded for Boise')"
            )
        write_notebook(tmp_path / "notebooks" / f"{page.name}.ipynb", cells)
    return tmp_path


def choice(root: Path, *places: dict, snapshot: bool = True) -> ModeChoice:
    settings = Settings(
        places=places_from_site({"places": [{}, *places]}),
        offline=snapshot,
        snapshot=date(2026, 6, 13) if snapshot else None,
        paths=Paths(root=root, data_dir=root / "data", pages_dir=root / "pages", site_file=None),
    )
    return ModeChoice(settings, "test")


def quiet(_msg: str) -> None:
    pass


def listed(pages: Path) -> set[str]:
    return {p["notebook"] for p in json.loads((pages / "run.json").read_text())["pages"]}


def on_disk(pages: Path) -> set[str]:
    return {p.relative_to(pages).as_posix() for p in pages.rglob("*.ipynb")}


def test_removed_place_and_failed_page_never_reach_the_site(project):
    pages, site = project / "pages", project / "_site"
    run_pages(choice(project, EUGENE), log=quiet)
    assert (pages / "eugene-oregon" / "forecast.ipynb").exists()
    assert listed(pages) == on_disk(pages) and len(on_disk(pages)) == 12

    # add Boise: its forecast fails, so nothing of this run is published; pages/ keeps the last complete run
    before = {p: p.stat().st_mtime_ns for p in pages.rglob("*")}
    with pytest.raises(PageFailed, match="no forecast recorded for Boise") as e:
        run_pages(choice(project, EUGENE, BOISE), log=quiet)
    assert {p: p.stat().st_mtime_ns for p in pages.rglob("*")} == before
    assert not (pages / "boise-idaho").exists()
    assert f"{RUN_FOLDER}/failed/boise-idaho/forecast.ipynb" in str(e.value)
    assert (run_folder(pages) / "failed" / "boise-idaho" / "forecast.ipynb").exists()

    # remove Eugene and Boise again: their folders are gone from pages/ and from the site
    run_pages(choice(project), log=quiet)
    assert not (pages / "eugene-oregon").exists() and not (pages / "boise-idaho").exists()
    assert listed(pages) == on_disk(pages) == {f"{p.name}.ipynb" for p in notebook_pages(project)}
    build_site(project, pages, site, log=quiet)
    assert not (site / "pages" / "eugene-oregon").exists() and not (site / "pages" / "boise-idaho").exists()
    assert "Eugene" not in (site / "index.html").read_text()
    assert not list(run_folder(pages).glob("staging-*"))


def test_the_fallback_publishes_only_what_run_json_lists(project):
    pages, site = project / "pages", project / "_site"
    run_pages(choice(project), log=quiet)
    stray = pages / "boise-idaho"
    stray.mkdir()
    shutil.copy(pages / "forecast.ipynb", stray / "forecast.ipynb")
    (stray / "forecast-outlook.csv").write_text("date\n")
    build_site(project, pages, site, log=quiet)
    assert not (site / "pages" / "boise-idaho").exists()
    (pages / "run.json").unlink()
    with pytest.raises(FileNotFoundError, match="butterfly run"):
        build_site(project, pages, site, log=quiet)


def test_a_second_run_is_refused_while_one_runs(project):
    pages = project / "pages"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfrom pathlib import Path\nfrom butterfly_lib.site.run_folder import pages_lock\n"
         "with pages_lock(Path(sys.argv[1]), log=print):\n    print('locked', flush=True)\n    sys.stdin.readline()\n",
         str(pages)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLocked, match=f"pid {holder.pid}"):
            run_pages(choice(project), log=quiet)
        assert not pages.exists()
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=120)
    run_pages(choice(project), log=quiet)  # released: the next run goes ahead
    assert listed(pages) == on_disk(pages)


def test_a_lock_left_by_a_dead_run_is_taken_over(project):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    folder = run_folder(project / "pages")
    folder.mkdir()
    (folder / "lock").write_text(
        json.dumps({"pid": pid, "host": "here", "started": "earlier", "command": "x"})
    )
    (folder / f"staging-{pid}-0").mkdir()
    lines: list[str] = []
    run_pages(choice(project), log=lines.append)
    assert any("taking over" in line and f"pid {pid}" in line for line in lines), lines
    assert any(f"staging-{pid}-0" in line for line in lines) and not (folder / f"staging-{pid}-0").exists()
    assert (folder / "lock").read_text() == ""  # released


def test_only_is_refused_across_modes_and_places_and_keeps_run_json_whole(project):
    pages = project / "pages"
    run_pages(choice(project), log=quiet)
    first = read_run_record(pages)
    assert first is not None and first["mode"] == "snapshot"
    with pytest.raises(InvalidInput, match="current pages, which are a snapshot run") as e:
        run_pages(choice(project, snapshot=False), only="methods", log=quiet)
    assert "this is a live run" in str(e.value) and read_run_record(pages) == first
    with pytest.raises(InvalidInput, match="site.yml has changed"):
        run_pages(choice(project, EUGENE), only="methods", log=quiet)

    run_pages(choice(project), only="methods", log=quiet)
    record = read_run_record(pages)
    assert record is not None and record["mode"] == "snapshot"
    assert listed(pages) == on_disk(pages) and len(record["pages"]) == 6
    methods = next(p for p in record["pages"] if p["name"] == "methods")
    forecast = next(p for p in record["pages"] if p["name"] == "forecast")
    assert methods["generated_at"] >= forecast["generated_at"]
    assert (pages / "_cards.html").exists()


def test_only_on_empty_pages_runs_that_page(project):
    pages = project / "pages"
    run_pages(choice(project), only="forecast", log=quiet)
    assert on_disk(pages) == listed(pages) == {"forecast.ipynb"}
    assert "the species page wrote no summary" in (pages / "_cards.html").read_text()


def test_kernel_talks_over_ipc_without_the_tcp_warning(project, capfd):
    with Kernel(cwd=project) as kernel:
        assert kernel.km.transport == "ipc"
        info = kernel.km.get_connection_info()
        assert info["transport"] == "ipc" and Path(info["ip"]).is_absolute()
    run_pages(choice(project), page_names=["methods"], log=quiet)
    assert "without encryption" not in capfd.readouterr().err
