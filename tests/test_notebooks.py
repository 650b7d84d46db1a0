"""Every page notebook runs top to bottom offline against the bundled snapshot, under nbval (``--nbval-lax``).

The notebooks are copied to a temporary folder (their data files land there, not in ``notebooks/``) and run
in a child pytest with the offline environment the site runner sets: ``BUTTERFLY_OFFLINE=1``, a fresh cache
seeded from ``data/snapshot/`` (``butterfly_lib.snapshot.seed_cache``), ``BUTTERFLY_SNAPSHOT`` and
``BUTTERFLY_AS_OF`` = the snapshot's date (papermill parameters cannot reach nbval). Offline, the session
answers only from the cache, so a request the snapshot lacks fails its cell with a message naming it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PAGES = ["forecast", "species", "sightings_map", "degree_days", "emergence", "methods"]


def test_every_page_notebook_exists_without_outputs_and_one_parameters_cell():
    from dataclasses import fields

    from butterfly_lib.params import PageParams

    names = {f.name for f in fields(PageParams) if f.init}
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(PAGES)
    for page in PAGES:
        nb = nbformat.read(NOTEBOOKS / f"{page}.ipynb", as_version=4)
        tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, page
        cell = nb.cells[tagged[0]]
        assigned = {line.split("=")[0].strip() for line in cell.source.splitlines() if "=" in line}
        assert assigned == names, (page, assigned ^ names)
        assert "page_params(" in nb.cells[tagged[0] + 1].source
        for c in nb.cells:
            if c.cell_type == "code":
                assert not c.outputs and c.execution_count is None, f"{page} is committed with outputs"


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory):
    from butterfly_lib.snapshot import SNAPSHOT_AS_OF, seed_cache

    tmp = tmp_path_factory.mktemp("nbval")
    cache = tmp / "snapshot.sqlite"
    seed_cache(cache)
    env = {k: v for k, v in os.environ.items() if not (k.startswith("BUTTERFLY_") and k.endswith("_URL"))}
    env.update({
        "BUTTERFLY_OFFLINE": "1",
        "BUTTERFLY_CACHE": str(cache),
        "BUTTERFLY_SNAPSHOT": SNAPSHOT_AS_OF.isoformat(),
        "BUTTERFLY_AS_OF": SNAPSHOT_AS_OF.isoformat(),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    })
    env.pop("BUTTERFLY_SNAPSHOT_RECORD", None)
    work = tmp / "notebooks"
    shutil.copytree(NOTEBOOKS, work)
    return env, work


@pytest.mark.slow
def test_notebooks_run_offline_under_nbval(offline_env):
    env, work = offline_env
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--nbval-lax", "-p", "no:cacheprovider", "--rootdir", str(work),
         "-c", os.devnull, *[str(work / f"{p}.ipynb") for p in PAGES]],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )
    if result.returncode != 0:
        import re

        plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
        misses = sorted(set(re.findall(r"OfflineCacheMiss: .*", plain)))
        first = plain[plain.find("Traceback") :][:3000]
        pytest.fail("notebooks failed offline; requests the snapshot lacks:\n" + "\n".join(misses[:20])
                    + "\n\nfirst failure:\n" + first)
    # each page wrote its data and, where the index has a card, the summary the contract names
    summaries = {
        "degree_days": {"as_of", "cum_dd", "normal_mean", "diff_dd", "days_ahead", "percentile_rank", "method", "units",
                        "partly_derived"},
        "forecast": {"best_days"},
        "species": {"flying_now"},
        "emergence": {"expected_soon"},
    }
    for page, keys in summaries.items():
        data = json.loads((work / f"{page}-summary.json").read_text())
        assert set(data) == keys, page
    assert json.loads((work / "degree_days-summary.json").read_text())["as_of"] == env["BUTTERFLY_AS_OF"]
    assert json.loads((work / "forecast-summary.json").read_text())["best_days"]
    assert (work / "sightings_map-sightings.csv").stat().st_size > 0
