"""Which shared products each page reads, and a live run's prefetch asking only for those: each page module's
``PRODUCTS`` against what its builder really touches, a live ``--only degree_days`` run that asks nothing of
iNaturalist (no observation record), and a failing page reported while the prefetch still has a request on the
wire (no waiting for fetches no page will use).

Nothing here depends on time: the request on the wire is held by an event of the replay server.
"""

from __future__ import annotations

import importlib
import threading
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from butterfly_lib.pages import PAGES
from butterfly_lib.pages.products import product


def _snapshot_settings(tmp_path: Path):  # noqa: ANN202
    from butterfly_lib.settings import load_settings

    settings = load_settings(env={}, offline=True)
    return settings.with_(
        paths=replace(settings.paths, pages_dir=tmp_path / "pages"),
        http=replace(settings.http, cache_file=tmp_path / "snapshot.sqlite"),
    )


def test_each_page_declares_exactly_the_products_its_builder_reads(tmp_path, monkeypatch):
    """Every builder run offline on the snapshot with ``Products`` watched: the products it reads itself, and
    through them (a product computed for the first time records what it reads), must be its ``PRODUCTS``. Each
    product is computed once; its value is kept aside rather than on the instance, so every read, also a
    later page's, passes the watch."""
    from butterfly_lib.pages.context import open_context

    direct: dict[str, set[str]] = defaultdict(set)
    needs: dict[str, set[str]] = defaultdict(set)
    kept: dict[str, object] = {}
    stack: list[str] = []
    page: list[str] = []
    plain_get = product.__get__

    def watched(self, instance, owner=None):  # noqa: ANN001, ANN202
        if instance is None:
            return self
        name = self.attrname
        (needs[stack[-1]] if stack else direct[page[-1]]).add(name)
        if name not in kept:
            stack.append(name)
            try:
                kept[name] = plain_get(self, instance, owner)
            finally:
                stack.pop()
            instance.__dict__.pop(name, None)
        return kept[name]

    monkeypatch.setattr(product, "__get__", watched)
    ctx = open_context(_snapshot_settings(tmp_path), log=lambda _m: None)
    for name in PAGES:
        page.append(name)
        importlib.import_module(f"butterfly_lib.pages.{name}").build(ctx)

    def closure(names: set[str]) -> set[str]:
        out, todo = set(), list(names)
        while todo:
            n = todo.pop()
            if n not in out:
                out.add(n)
                todo.extend(needs[n])
        return out

    for name in PAGES:
        declared = getattr(importlib.import_module(f"butterfly_lib.pages.{name}"), "PRODUCTS", None)
        assert declared is not None, f"pages/{name}.py declares no PRODUCTS"
        read = closure(direct[name])
        assert set(declared) == read, (
            f"{name}: declares {sorted(declared)}, reads {sorted(read)} "
            f"(missing {sorted(read - set(declared))}, unused {sorted(set(declared) - read)})"
        )
        assert len(declared) == len(set(declared)), f"{name}: a product named twice"


def test_the_prefetch_warms_the_union_of_the_run_s_pages_products_in_class_order():
    from butterfly_lib.site.prefetch import product_names, products_of

    assert products_of(["degree_days"]) == ["temperatures", "forecast", "season"]
    assert products_of(["methods", "sightings_map"]) == []
    assert "record" not in products_of(["degree_days", "sightings_map", "methods"])
    assert products_of(["degree_days", "species"]) == [n for n in product_names() if n != "flying"]
    assert products_of(list(PAGES)) == product_names()


# ---------------------------------------------------------------- live runs against the snapshot's replay server


def _live_settings(server, tmp_path: Path):  # noqa: ANN001, ANN202
    from benchmarks.refresh import bench_settings
    from tools.snapshot import SNAPSHOT_AS_OF

    settings = bench_settings(server, tmp_path / "c.sqlite", tmp_path / "pages", as_of=SNAPSHOT_AS_OF.isoformat())
    return settings.with_(http=replace(settings.http, rate_limits=()))  # no waiting in a test


RECORD_PATHS = ("/inaturalist/",)  # the record's pages and its effort histograms are iNaturalist requests


def _is_record_request(r) -> bool:  # noqa: ANN001
    return r.path.startswith(RECORD_PATHS) or r.query.get("models") == "era5_land"


@pytest.mark.slow
def test_a_live_only_degree_days_run_asks_nothing_of_the_observation_record(tmp_path):
    """``butterfly run --only degree_days``: the page needs temperatures and the forecast, so neither its
    builder nor the prefetch's products ask iNaturalist (the record, its effort) or the record's ERA5-Land cells.
    (``--only forecast`` does need the record: its viewing index counts the species expected to fly, from the
    record's phenology.)"""
    from butterfly_lib.site.modes import ModeChoice
    from butterfly_lib.site.runner import run_pages
    from tools.snapshot_server import server_misses, snapshot_server

    with snapshot_server(0.0) as server:
        settings = _live_settings(server, tmp_path)
        result = run_pages(ModeChoice(settings, "test"), only="degree_days", log=lambda _m: None)
        asked = list(server.requests)
        assert server_misses(server) == []
    assert [r.name for r in result.pages] == ["degree_days"]
    assert asked, "the live run asked nothing at all"
    assert [r.path for r in asked if _is_record_request(r)] == []
    assert not (tmp_path / "record").exists() or not any((tmp_path / "record").rglob("*.duckdb"))


class _Arrival(threading.Event):
    """An event whose waiters announce themselves: the first request held on it sets ``arrived``."""

    def __init__(self, arrived: threading.Event):
        super().__init__()
        self.arrived = arrived

    def wait(self, timeout: float | None = None) -> bool:
        self.arrived.set()
        return super().wait(timeout)


def _failing_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("place = None\nsettings_file = None", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise RuntimeError('this page fails')"),
    ])  # fmt: skip
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))


@pytest.mark.slow
def test_a_failing_page_is_raised_while_the_prefetch_still_has_a_request_on_the_wire(tmp_path):
    """The degree-days page fails in the kernel while the species page's iNaturalist requests are held by the
    server: the failure is raised without waiting for them, and the prefetch sends nothing more afterwards."""
    from butterfly_lib.site.modes import ModeChoice
    from butterfly_lib.site.runner import PageFailed, run_pages
    from tools.snapshot_server import snapshot_server

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _failing_notebook(notebooks / "degree_days.ipynb")
    _failing_notebook(notebooks / "species.ipynb")  # never rendered: its data never arrives
    arrived = threading.Event()
    hold = _Arrival(arrived)
    # the safety net of a test that would otherwise hang: released long after any run of the page could end
    safety = threading.Timer(300, lambda: (arrived.set(), hold.set()))
    safety.daemon = True
    with snapshot_server(0.0) as server:
        # iNaturalist's answers wait for the release; every other answer waits until an iNaturalist request is
        # on the wire, so the degree-days page (no iNaturalist data) fails only once one is held
        for route in server.routes:
            wait = hold if route.path.startswith("/inaturalist/") else arrived
            route.replies = [replace(reply, hold=wait) for reply in route.replies]
        settings = _live_settings(server, tmp_path)
        safety.start()
        try:
            with pytest.raises(PageFailed, match="this page fails"):
                run_pages(ModeChoice(settings, "test"), notebooks_dir=notebooks,
                          page_names=["degree_days", "species"], log=lambda _m: None)  # fmt: skip
            still_held = not hold.is_set()
            at_failure = len([r for r in server.requests if r.path.startswith("/inaturalist/")])
        finally:
            arrived.set()
            hold.set()
            safety.cancel()
        # released: the builders waiting for their turn stop at their next request instead of sending it; the
        # thread that closes the prefetch's sessions ends once they have stopped (joined with a safety net only)
        for thread in [t for t in threading.enumerate() if t.name == "prefetch-close"]:
            thread.join(300)
        after = len([r for r in server.requests if r.path.startswith("/inaturalist/")])
    assert still_held, "the failure was raised only after the held iNaturalist requests were answered"
    assert at_failure >= 1, "the species page's prefetch never reached iNaturalist: nothing was held"
    assert after == at_failure, f"the prefetch sent {after - at_failure} iNaturalist request(s) after the failure"
