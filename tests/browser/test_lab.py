"""The sightings map is interactive in JupyterLab: open the notebook with ``offline = True`` (the bundled
snapshot), run all cells through the Run menu, and use the map: markers drawn, zoom works, a popup opens."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from butterfly_lib.settings import PROJECT_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    pytest.importorskip(
        "jupyterlab", reason="JupyterLab comes with the test extra (pip install -e '.[test]')"
    )
    nb = json.loads((PROJECT_ROOT / "notebooks" / "sightings_map.ipynb").read_text())
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            cell["source"] = [line.replace("offline = None", "offline = True") for line in cell["source"]]
    (tmp_path / "sightings_map.ipynb").write_text(json.dumps(nb))
    port = _free_port()
    data = (
        tmp_path / "data"
    )  # the bundled snapshot and records, with a cache and lab outputs of the test's own
    data.mkdir()
    for name in ("snapshot", "noaa", "upstream-site"):
        (data / name).symlink_to(PROJECT_ROOT / "data" / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUTTERFLY_")}
    env["BUTTERFLY_DATA_DIR"] = str(data)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         "--ServerApp.token=", "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={tmp_path}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # a loaded machine starts JupyterLab slowly, not wrongly
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/lab", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start within 600 s")
    yield url, Path(tmp_path)
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


#: the notebook's kernel has started and is idle: the status bar names the kernel and says "Idle". (The toolbar's
#: execution indicator says "idle" before any kernel exists, and "Run All" pressed then opens a "Select Kernel"
#: dialog instead of running.)
KERNEL_IDLE = """() => [...document.querySelectorAll('.jp-StatusBar-Widget')]
  .some(e => /\\| Idle/.test(e.textContent) && !/No Kernel/.test(e.textContent))"""
#: every code cell has run: its prompt shows an execution count, none shows "[*]" (queued or running)
ALL_CELLS_RAN = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim());
  return prompts.length > 0 && prompts.every(t => /^\\[\\d+\\]:$/.test(t));
}"""
#: the text of outputs that are errors (a traceback in a cell)
ERROR_OUTPUTS = """els => els.filter(e => e.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr'
  && /Traceback|Error/.test(e.textContent)).map(e => e.textContent.slice(0, 500))"""


def test_map_is_interactive_in_jupyterlab(browser, lab, screenshots):
    url, folder = lab
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/lab/tree/sightings_map.ipynb")
    # Waits are for events, never for a time: on a loaded machine JupyterLab, the kernel and the snapshot seeding
    # are slow, not wrong. As a person would: "Run All" once the kernel is idle (a click while it starts is lost);
    # when JupyterLab asks for a kernel again (under load its first kernel can be given up on, and the queued
    # cells with it), accept and run all again. The run is over when every code cell has its execution count;
    # only then are the outputs judged.
    page.wait_for_selector(".jp-Notebook", timeout=600_000)
    deadline = time.monotonic() + 2400
    ran = False
    while not (ran and page.evaluate(ALL_CELLS_RAN)):
        assert time.monotonic() < deadline, "the notebook did not run within 40 minutes"
        if page.locator(".jp-Dialog .jp-mod-accept").is_visible():
            page.click(".jp-Dialog .jp-mod-accept")
            ran = False
        elif not ran and page.evaluate(KERNEL_IDLE):
            page.click("text=Run", timeout=60_000)
            page.click("text=Run All Cells", timeout=60_000)
            ran = True
        page.wait_for_timeout(2000)
    failed = page.eval_on_selector_all(".jp-OutputArea-output", ERROR_OUTPUTS)
    assert not failed, failed
    page.wait_for_selector(".leaflet-container path.leaflet-interactive", state="attached", timeout=600_000)
    page.wait_for_timeout(1500)
    markers = page.eval_on_selector_all("path.leaflet-interactive", "els => els.length")
    assert markers > 50, markers
    page.query_selector(".leaflet-container").scroll_into_view_if_needed()
    page.click(".leaflet-control-zoom-in")  # the legend must not cover the zoom buttons
    page.click("path.leaflet-interactive >> nth=5", force=True)
    page.wait_for_selector(".leaflet-popup-content", timeout=60_000)
    popup = page.inner_text(".leaflet-popup-content")
    assert "Seen" in popup and "Weather that day" in popup
    if screenshots is not None:
        page.screenshot(path=str(screenshots / "jupyterlab-sightings-map.png"))
    context.close()
    assert errors == [], errors
    assert (
        folder / "data" / "lab" / "sightings_map-sightings.csv"
    ).exists()  # git-ignored, not next to the notebook
