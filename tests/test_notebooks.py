"""Every page notebook runs top to bottom offline against the bundled snapshot, under nbval (``--nbval-lax``),
and declares only the parameters its page uses.

The notebooks are copied to a temporary folder and run in a child pytest whose environment says offline
(``BUTTERFLY_OFFLINE=1``, read by the settings as a user's would be) with a data folder of its own
(``BUTTERFLY_DATA_DIR``: links to the bundled snapshot and records, a fresh snapshot cache, and the notebooks'
data files in its ``lab/``). Offline, the session answers only from the cache, so a request the snapshot lacks
fails its cell with a message naming it.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from butterfly_lib.pages import PAGES
from butterfly_lib.settings import PARAMETER_KEYS

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
#: what every page notebook declares: which place, which date, which mode, and the runner's settings
COMMON = {"place", "as_of", "offline", "settings_file"}


def _assigned(source: str) -> set[str]:
    return {t.id for node in ast.parse(source).body if isinstance(node, ast.Assign) for t in node.targets
            if isinstance(t, ast.Name)}  # fmt: skip


def test_every_page_notebook_exists_without_outputs_and_declares_only_its_parameters():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(PAGES)
    for page in PAGES:
        nb = nbformat.read(NOTEBOOKS / f"{page}.ipynb", as_version=4)
        tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, page
        names = _assigned(nb.cells[tagged[0]].source)
        assert names >= COMMON and names - COMMON <= set(PARAMETER_KEYS), (page, names)
        opening = next(c.source for c in nb.cells[tagged[0] + 1 :] if "open_page(" in c.source)
        for name in names:  # each declared parameter reaches the page; none is declared and then ignored
            assert f"{name}={name}" in opening.replace(" ", ""), (page, name)
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), page
        for c in nb.cells:
            if c.cell_type == "code":
                assert not c.outputs and c.execution_count is None, f"{page} is committed with outputs"


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nbval")
    data = tmp / "data"
    data.mkdir()
    for name in ("snapshot", "noaa", "upstream-site"):
        (data / name).symlink_to(ROOT / "data" / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUTTERFLY_")}
    env.update({
        "BUTTERFLY_OFFLINE": "1",
        "BUTTERFLY_DATA_DIR": str(data),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    })  # fmt: skip
    work = tmp / "notebooks"
    shutil.copytree(NOTEBOOKS, work)
    return env, work, data


@pytest.mark.slow
def test_notebooks_run_offline_under_nbval(offline_env):
    env, work, data = offline_env
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--nbval-lax", "-p", "no:cacheprovider", "--rootdir", str(work),
         "-c", os.devnull, *[str(work / f"{p}.ipynb") for p in PAGES]],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if result.returncode != 0:
        import re

        plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
        misses = sorted(set(re.findall(r"OfflineCacheMiss: .*", plain)))
        first = plain[plain.find("Traceback") :][:3000]
        pytest.fail("notebooks failed offline; requests the snapshot lacks:\n" + "\n".join(misses[:20])
                    + "\n\nfirst failure:\n" + first)
    out = data / "lab"
    summaries = {
        "degree_days": {"as_of", "cum_dd", "normal_mean", "diff_dd", "days_ahead", "percentile_rank", "method", "units",
                        "partly_derived", "season_start"},
        "forecast": {"best_days"},
        "species": {"flying_now", "window_start", "window_end", "as_of", "species_total"},
        "emergence": {"expected_soon"},
    }
    for page, keys in summaries.items():
        assert set(json.loads((out / f"{page}-summary.json").read_text())) == keys, page
    snapshot = json.loads((ROOT / "data" / "snapshot" / "manifest.json").read_text())["as_of"]
    assert json.loads((out / "degree_days-summary.json").read_text())["as_of"] == snapshot
    assert json.loads((out / "forecast-summary.json").read_text())["best_days"]
    assert (out / "sightings_map-sightings.csv").stat().st_size > 0
    assert not list(work.glob("*.csv")), "notebooks must not write data files next to themselves"
