"""``butterfly run``: execute every page notebook with papermill, for each configured place, into ``pages/``.

Look here for where executed pages land and how failures are reported. The first place's pages go to
``pages/<name>.ipynb``, each further place's to ``pages/<place-slug>/<name>.ipynb``; each kernel runs in its
page folder with ``output_dir="."``, so a page's data files (``<name>-*.csv/json``) sit next to it and its
relative links resolve on the site. A failing notebook stops the run with ``PageFailed`` naming the notebook,
the place and the cell. After the run, ``pages/run.json`` records the mode and every page's data files, and
the landing page's cards are rebuilt (``index_cards``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from butterfly_lib.config import PROJECT_ROOT
from butterfly_lib.errors import ButterflyError, InvalidInput
from butterfly_lib.site.config import PlaceRun, SiteConfig
from butterfly_lib.site.modes import Mode, exported
from butterfly_lib.site.navigation import notebook_pages

RUN_RECORD = "run.json"


class PageFailed(ButterflyError):
    """A page notebook raised while papermill executed it."""

    def __init__(
        self,
        notebook: str,
        place: str,
        cell: int | None,
        exec_count: Any,
        error: str,
        source: str,
        output: str,
    ):
        self.notebook, self.place, self.cell, self.error = notebook, place, cell, error
        where = f"cell {cell}" if cell is not None else "an unknown cell"
        if exec_count is not None:
            where += f" (execution count {exec_count})"
        snippet = "\n".join("    " + line for line in source.strip().splitlines()[:8])
        super().__init__(
            f"{notebook} failed for {place} in {where}: {error}\n  cell source:\n{snippet}\n"
            f"  the partly executed notebook is {output}"
        )


@dataclass
class PageRun:
    name: str
    place: str
    notebook: Path
    seconds: float
    data_files: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    mode: Mode
    pages: list[PageRun]
    pages_dir: Path
    seconds: float


def page_dir(pages_dir: Path, index: int, place: PlaceRun) -> Path:
    """Folder of a place's pages: ``pages/`` for the first place, ``pages/<slug>/`` for the others."""
    return pages_dir if index == 0 else pages_dir / place.slug


def page_parameters(place: PlaceRun, mode: Mode, as_of: str | None) -> dict[str, Any]:
    """What papermill injects: the place's parameters, the mode's offline flag and date, ``output_dir="."``."""
    params = dict(place.parameters)
    if as_of:
        params["as_of"] = as_of
    if mode.offline:
        params["as_of"] = mode.snapshot_as_of
    params["offline"] = mode.offline
    params["output_dir"] = "."
    return params


def _data_files(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.glob(f"{name}-*") if p.suffix in (".csv", ".json"))


def _execute(notebook: Path, output: Path, parameters: dict[str, Any], kernel_name: str | None) -> None:
    import papermill as pm

    pm.execute_notebook(
        str(notebook),
        str(output),
        parameters=parameters,
        kernel_name=kernel_name,
        cwd=str(output.parent),
        progress_bar=False,
        log_output=False,
        report_mode=False,
    )


def run_pages(
    site: SiteConfig,
    mode: Mode,
    *,
    as_of: str | None = None,
    only: str | None = None,
    root: Path = PROJECT_ROOT,
    notebooks_dir: Path | None = None,
    pages_dir: Path | None = None,
    page_names: Sequence[str] | None = None,
    kernel_name: str | None = None,
    log: Callable[[str], None] = print,
) -> RunResult:
    """Execute the pages (navbar order of ``_quarto.yml`` unless ``page_names``) for every place of ``site``.

    Raises ``InvalidInput`` for an unknown ``only`` or a missing notebook, ``PageFailed`` when a cell raises.
    """
    root = Path(root)
    notebooks_dir = Path(notebooks_dir or root / "notebooks")
    pages_dir = Path(pages_dir or root / "pages")
    names = list(page_names) if page_names is not None else [p.name for p in notebook_pages(root)]
    if only is not None:
        if only not in names:
            raise InvalidInput("--only", only, f"one of {names}")
        names = [only]
    missing = [n for n in names if not (notebooks_dir / f"{n}.ipynb").exists()]
    if missing:
        raise InvalidInput(
            "page", missing[0], f"a notebook in {notebooks_dir} (missing: {', '.join(missing)})"
        )
    if as_of and mode.offline and as_of != mode.snapshot_as_of:
        log(f"note: --as-of {as_of} replaced by the snapshot date {mode.snapshot_as_of} (offline snapshot)")

    total = len(names) * len(site.places)
    log(f"butterfly run: {mode.name} mode ({mode.reason}); {total} page(s) for {len(site.places)} place(s)")
    done: list[PageRun] = []
    start = time.monotonic()
    with exported(mode.environment()):
        for i, place in enumerate(site.places):
            folder = page_dir(pages_dir, i, place)
            folder.mkdir(parents=True, exist_ok=True)
            params = page_parameters(place, mode, as_of)
            for name in names:
                notebook, output = notebooks_dir / f"{name}.ipynb", folder / f"{name}.ipynb"
                log(f"[{len(done) + 1}/{total}] {place.name}: {name} ...")
                t0 = time.monotonic()
                try:
                    _execute(notebook, output, params, kernel_name)
                except Exception as exc:
                    raise _page_failed(exc, notebook, output, place, root) from exc
                run = PageRun(name, place.name, output, time.monotonic() - t0, _data_files(folder, name))
                done.append(run)
                log(f"    done in {run.seconds:.1f} s; data: {', '.join(run.data_files) or 'none'}")
    result = RunResult(mode=mode, pages=done, pages_dir=pages_dir, seconds=time.monotonic() - start)
    write_run_record(result, site)
    from butterfly_lib.site.index_cards import write_cards

    cards = write_cards(pages_dir, root=root)
    log(f"butterfly run: {len(done)} page(s) in {result.seconds:.1f} s; index cards -> {cards}")
    log("requests by source (network requests, cache hits, stale copies served, errors, bytes, seconds):")
    log(request_table(done))
    return result


def request_table(pages: list[PageRun]) -> str:
    """The request log of every page's kernel (``<name>-provenance.json`` "requests"), totalled per source."""
    from butterfly_lib.http.requestlog import RequestLog, SourceStats

    total = RequestLog()
    for run in pages:
        prov = run.notebook.parent / f"{run.name}-provenance.json"
        if not prov.exists():
            continue
        for row in json.loads(prov.read_text()).get("requests", []):
            s = total.stats.setdefault(row["source"], SourceStats())
            s.requests += row["requests"]
            s.cache_hits += row["cache_hits"]
            s.stale_served += row["stale_served"]
            s.errors += row["errors"]
            s.bytes += row["bytes"]
            s.seconds += row["seconds"]
            s.unsaved += row.get("unsaved", 0)
            for reason, n in row.get("unsaved_reasons", {}).items():
                s.unsaved_reasons[reason] = s.unsaved_reasons.get(reason, 0) + n
    return total.table()


def _page_failed(exc: Exception, notebook: Path, output: Path, place: PlaceRun, root: Path) -> ButterflyError:
    from papermill.exceptions import PapermillExecutionError

    rel = _rel(notebook, root)
    if isinstance(exc, PapermillExecutionError):
        return PageFailed(
            rel,
            place.name,
            exc.cell_index,
            exc.exec_count,
            f"{exc.ename}: {exc.evalue}",
            exc.source,
            _rel(output, root),
        )
    return PageFailed(rel, place.name, None, None, f"{type(exc).__name__}: {exc}", "", _rel(output, root))


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def write_run_record(result: RunResult, site: SiteConfig) -> Path:
    """``pages/run.json``: mode, snapshot date, places (with their section folders) and each page's data files."""
    record = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": result.mode.name,
        "reason": result.mode.reason,
        "snapshot_as_of": result.mode.snapshot_as_of,
        "places": [
            {"name": p.name, "folder": "." if i == 0 else p.slug, "parameters": p.parameters}
            for i, p in enumerate(site.places)
        ],
        "pages": [
            {
                "name": r.name,
                "place": r.place,
                "notebook": _rel(r.notebook, result.pages_dir),
                "seconds": round(r.seconds, 2),
                "data_files": r.data_files,
            }
            for r in result.pages
        ],
    }
    path = result.pages_dir / RUN_RECORD
    path.write_text(json.dumps(record, indent=2, default=str))
    return path
