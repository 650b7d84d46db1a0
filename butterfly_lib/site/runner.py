"""``butterfly run``: execute every page notebook for each configured place, in one kernel, into ``pages/``.

Look here for where executed pages land and how failures are reported. The first place's pages go to
``pages/<name>.ipynb``, each further place's to ``pages/<place-slug>/<name>.ipynb``. The run's ``Settings`` are
written to a temporary JSON file and handed to every notebook as its ``settings_file`` parameter (papermill's
parameter injection), with the notebook's ``place``: each kernel works with exactly the run's settings, and
nothing travels through environment variables. All notebooks of a run execute in **one** Jupyter kernel
(nbclient with a shared kernel manager, over IPC sockets rather than TCP), so the imports happen once and the
pages share the run's ``Products`` (the season, the profiles) instead of computing them again.

A live run fetches first (``butterfly_lib.site.prefetch``: the page builders run in this process, every
source asked at once and iNaturalist through one limiter, several places' requests pooled) and a kernel renders
each page as soon as its data is in the cache; several places are spread over a few kernels, one per worker
(``butterfly_lib.site.workers``).

One run owns ``pages/`` (``run_folder``): it takes the lock, executes into a staging folder and, when every page
succeeded, writes ``run.json`` (mode, places, every page and its data files) and the landing page's cards
(``index_cards``) there and swaps the folder in. A failing notebook stops the run with ``PageFailed`` naming
the notebook, the place and the cell; ``pages/`` stays as it was and the partly executed notebook is kept in
``.butterfly-run/failed/``. ``--only PAGE`` re-runs one page on a copy of the current pages, and is refused when
those pages come from another mode, snapshot or set of places: the landing page would otherwise mix them.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from butterfly_lib.errors import ButterflyError, InvalidInput
from butterfly_lib.settings import PlaceSettings, Settings
from butterfly_lib.site.modes import ModeChoice
from butterfly_lib.site.navigation import notebook_pages
from butterfly_lib.site.run_folder import keep_failed, new_staging, pages_lock, publish
from butterfly_lib.site.workers import Task, kernel_count, run_on_kernels

if TYPE_CHECKING:
    import nbformat


def _nbformat() -> ModuleType:
    """nbformat, imported where it is used (a live run starts fetching first). It brings jsonschema, which
    imports rfc3987-syntax when installed (JupyterLab's jupyter-events brings it) only to check "iri" string
    formats, building a grammar for about two seconds of CPU; no notebook schema uses that format, so this
    process does without it."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import nbformat

    return nbformat


RUN_RECORD = "run.json"
#: seconds one cell may run before the run is stopped (a live cold run of the map page takes the longest)
CELL_TIMEOUT = 900
#: seconds a new kernel may take to answer its first request (nbclient's default)
STARTUP_TIMEOUT = 60


class PageFailed(ButterflyError):
    """A page notebook raised while it was executed."""

    def __init__(self, notebook: str, place: str, cell: int | None, error: str, source: str, output: str):
        self.notebook, self.place, self.cell, self.error = notebook, place, cell, error
        where = f"cell {cell}" if cell is not None else "an unknown cell"
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
    choice: ModeChoice
    pages: list[PageRun]
    pages_dir: Path
    seconds: float


def _data_files(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.glob(f"{name}-*") if p.suffix in (".csv", ".json"))


def parameterized(notebook: Path, parameters: dict[str, Any], kernel_name: str) -> nbformat.NotebookNode:
    """The notebook with papermill's injected-parameters cell (tagged ``remove-cell``, so no page shows it) after
    its ``parameters`` cell."""
    _nbformat()
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(str(notebook))  # papermill's reader adds the metadata its injection expects
    nb = parameterize_notebook(nb, parameters, report_mode=False, kernel_name=kernel_name, language="python")
    for cell in nb.cells:  # the injected cell is machinery: Quarto and the fallback drop cells tagged remove-cell
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    return nb


class Kernel:
    """One Jupyter kernel that executes notebook after notebook (nbclient with a shared kernel manager)."""

    def __init__(self, kernel_name: str = "python3", cwd: Path | None = None):
        from jupyter_client.manager import KernelManager

        self.kernel_name = kernel_name
        # IPC: Unix sockets in a private folder (mode 0700), not TCP ports. Over TCP every kernel warns that its
        # traffic is unencrypted, and a local run has no reason to open ports. The socket path is absolute since
        # the kernel runs in another working folder than this process.
        self._sockets = tempfile.TemporaryDirectory(prefix="butterfly-kernel-")
        self.km = KernelManager(kernel_name=kernel_name, transport="ipc", ip=str(Path(self._sockets.name) / "k"))
        self._kc: Any = None
        # no history and no output cache: a kernel that renders page after page would otherwise keep every
        # figure and table it ever displayed (Out[n]), its memory growing with every place
        try:
            self.km.start_kernel(
                cwd=str(cwd) if cwd else None,
                extra_arguments=["--HistoryManager.enabled=False", "--InteractiveShell.cache_size=0"],
            )
        except BaseException:
            self._sockets.cleanup()
            raise

    def _client(self) -> Any:
        """The kernel's one client, connected on first use and kept for every notebook. A client per notebook
        (nbclient's default) waits at connection until its IOPub channel has been quiet for 0.2 s: a fifth of
        a second of nothing before every page. Messages left over from an earlier notebook are harmless, as
        nbclient reads only the replies to its own requests."""
        if self._kc is None:
            kc = self.km.client()
            kc.start_channels()
            try:
                kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
            except BaseException:
                kc.stop_channels()
                raise
            self._kc = kc
        return self._kc

    def execute(self, nb: nbformat.NotebookNode, timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
        from nbclient import NotebookClient

        client = NotebookClient(
            nb, km=self.km, kernel_name=self.kernel_name, timeout=timeout, allow_errors=False, record_timing=False
        )
        client.kc = self._client()  # after the constructor, which clears it
        return client.execute()

    def run_code(self, code: str, timeout: int = 60) -> None:
        """Run ``code`` in the kernel (between pages: dropping a finished place's products)."""
        nbformat = _nbformat()
        self.execute(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), timeout=timeout)

    def close(self) -> None:
        try:
            if self._kc is not None:
                self._kc.stop_channels()
                self._kc = None
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        finally:
            self._sockets.cleanup()

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Failed(Exception):
    """A page raised inside the staging folder; turned into ``PageFailed`` once the folder has moved."""

    def __init__(self, exc: Exception, nb: nbformat.NotebookNode, notebook: Path, output: Path, place: PlaceSettings):
        self.exc, self.nb, self.notebook, self.output, self.place = exc, nb, notebook, output, place


def run_pages(
    choice: ModeChoice,
    *,
    only: str | None = None,
    notebooks_dir: Path | None = None,
    page_names: Sequence[str] | None = None,
    kernel_name: str = "python3",
    log: Callable[[str], None] = print,
) -> RunResult:
    """Execute the pages (navbar order of ``_quarto.yml`` unless ``page_names``) for every place of the run's
    settings (``choice.settings``) and publish them into ``settings.paths.pages_dir``.

    Raises ``InvalidInput`` for an unknown ``only``, a missing notebook or an ``only`` run that would mix modes,
    ``RunLocked`` while another run owns the pages, ``PageFailed`` when a cell raises (nothing is published).
    """
    settings = choice.settings
    root = settings.paths.root
    notebooks_dir = Path(notebooks_dir or root / "notebooks")
    pages_dir = settings.paths.pages_dir
    names = list(page_names) if page_names is not None else [p.name for p in notebook_pages(root)]
    if only is not None:
        if only not in names:
            raise InvalidInput("--only", only, f"one of {names}")
        names = [only]
    missing = [n for n in names if not (notebooks_dir / f"{n}.ipynb").exists()]
    if missing:
        raise InvalidInput("page", missing[0], f"a notebook in {notebooks_dir} (missing: {', '.join(missing)})")

    with pages_lock(pages_dir, log):
        previous = read_run_record(pages_dir)
        if only is not None:
            refuse_mixed_run(previous, choice, only)
        total = len(names) * len(settings.places)
        log(f"butterfly run: {choice.name} mode ({choice.reason}); {total} page(s) for {len(settings.places)} place(s)")
        start = time.monotonic()
        staging = new_staging(pages_dir, seed=only is not None)
        staged = settings.with_(paths=replace(settings.paths, pages_dir=staging))
        try:
            done = _execute(staged, names, notebooks_dir, kernel_name, total, log)
        except _Failed as f:
            failed = keep_failed(staging, pages_dir)
            raise _page_failed(f.exc, f.nb, f.notebook, failed / f.output.relative_to(staging), f.place, root) from f.exc
        except BaseException:
            keep_failed(staging, pages_dir)
            raise
        result = RunResult(choice=choice, pages=done, pages_dir=staging, seconds=time.monotonic() - start)
        write_run_record(result, previous=previous if only is not None else None)
        from butterfly_lib.site.index_cards import write_cards

        write_cards(staging, root=root, link_base=link_base(pages_dir, root))
        publish(staging, pages_dir)
    for run in done:
        run.notebook = pages_dir / run.notebook.relative_to(staging)
    result.pages_dir = pages_dir
    log(
        f"butterfly run: {len(done)} page(s) in {result.seconds:.1f} s, published to {_rel(pages_dir, root)} "
        f"(run.json, landing-page cards)"
    )
    log("requests by source (network requests, cache hits, stale copies served, errors, bytes, seconds):")
    log(request_table(done))
    return result


def _execute(
    settings: Settings,
    names: list[str],
    notebooks_dir: Path,
    kernel_name: str,
    total: int,
    log: Callable[[str], None],
) -> list[PageRun]:
    """Run ``names`` for every place into ``settings.paths.pages_dir`` (the staging folder): a live run's
    prefetch fetches while kernels (one per worker) render each page once its data is cached."""
    from butterfly_lib.site.prefetch import start_prefetch

    pages_dir = settings.paths.pages_dir
    for place in settings.places:
        settings.pages_folder(place).mkdir(parents=True, exist_ok=True)
    tasks = [Task(p, n, i * len(names) + j) for i, p in enumerate(settings.places) for j, n in enumerate(names)]
    counter = iter(range(1, total + 1))
    with tempfile.TemporaryDirectory(prefix="butterfly-run-") as tmp:
        settings_file = Path(tmp) / "settings.json"
        settings_file.write_text(settings.to_json(), encoding="utf-8")

        def execute(kernel: Kernel, task: Task) -> PageRun:
            nbformat = _nbformat()
            place, name = task.place, task.name
            folder = settings.pages_folder(place)
            notebook, output = notebooks_dir / f"{name}.ipynb", folder / f"{name}.ipynb"
            log(f"[{next(counter)}/{total}] {place.name}: {name} ...")
            t0 = time.monotonic()
            nb = parameterized(notebook, {"place": place.slug, "settings_file": str(settings_file)}, kernel_name)
            try:
                kernel.execute(nb)
            except Exception as exc:
                nbformat.write(nb, str(output))
                raise _Failed(exc, nb, notebook, output, place) from exc
            nbformat.write(nb, str(output))
            run = PageRun(name, place.name, output, time.monotonic() - t0, _data_files(folder, name))
            log(f"    {place.name}: {name} done in {run.seconds:.1f} s; data: {', '.join(run.data_files) or 'none'}")
            return run

        def place_done(kernel: Kernel, place: PlaceSettings) -> None:
            kernel.run_code(f"from butterfly_lib.pages.products import forget_products\nforget_products({place.slug!r})")

        prefetch = start_prefetch(settings, names, log=log)
        failed = True
        try:
            done = run_on_kernels(
                tasks,
                kernels=kernel_count(len(settings.places)),
                start_kernel=lambda: Kernel(kernel_name, cwd=pages_dir),
                execute=execute,
                ready=(lambda t: prefetch.ready(t.place, t.name)) if prefetch is not None else None,
                place_done=place_done,
            )
            failed = False
        finally:
            if prefetch is not None:
                prefetch.close(cancel=failed)
                log(prefetch.report())
    return done


def link_base(pages_dir: Path, root: Path) -> str:
    """How the landing page (at the site's root) reaches the pages: ``pages/`` unless they live elsewhere in
    the project."""
    try:
        return Path(pages_dir).resolve().relative_to(Path(root).resolve()).as_posix() + "/"
    except ValueError:
        return "pages/"


def read_run_record(pages_dir: Path) -> dict[str, Any] | None:
    """``pages/run.json`` of the run that made the current pages, or None (no run yet, or unreadable)."""
    try:
        record = json.loads((Path(pages_dir) / RUN_RECORD).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) else None


def _places(settings: Settings) -> list[dict[str, str]]:
    return [{"name": p.name, "folder": "." if i == 0 else p.slug} for i, p in enumerate(settings.places)]


def refuse_mixed_run(previous: dict[str, Any] | None, choice: ModeChoice, only: str) -> None:
    """``--only`` adds one page to the current pages: refused when they are of another mode, snapshot or set of
    places, since the landing page's cards (read from every page) would then mix them."""
    if previous is None:
        return
    settings = choice.settings
    snapshot = settings.snapshot.isoformat() if settings.snapshot else None
    theirs = f"a {previous.get('mode')} run" + (
        f" of the snapshot of {previous['snapshot_as_of']}" if previous.get("snapshot_as_of") else ""
    )
    ours = f"a {choice.name} run" + (f" of the snapshot of {snapshot}" if snapshot else "")
    if previous.get("mode") != choice.name or previous.get("snapshot_as_of") != snapshot:
        raise InvalidInput(
            "--only", only,
            f"a page of the same mode as the current pages, which are {theirs} while this is {ours}; run every "
            "page (`butterfly run` without --only) to change the mode",
        )  # fmt: skip
    theirs_places = [{"name": p.get("name"), "folder": p.get("folder")} for p in previous.get("places", [])]
    if theirs_places != _places(settings):
        names = ", ".join(str(p["name"]) for p in theirs_places) or "none"
        raise InvalidInput(
            "--only", only,
            f"a page of the places the current pages were made for ({names}); site.yml has changed since, so "
            "run every page (`butterfly run` without --only)",
        )  # fmt: skip


def request_table(pages: list[PageRun]) -> str:
    """The request log of every page (``<name>-provenance.json`` "requests"), totalled per source."""
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


def _failing_cell(nb: nbformat.NotebookNode) -> tuple[int | None, str, str]:
    """``(index, error, source)`` of the first cell with an error output."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, f"{out.get('ename')}: {out.get('evalue')}", cell.source
    return None, "", ""


def _page_failed(
    exc: Exception, nb: nbformat.NotebookNode, notebook: Path, output: Path, place: PlaceSettings, root: Path
) -> ButterflyError:
    cell, error, source = _failing_cell(nb)
    return PageFailed(
        _rel(notebook, root), place.name, cell, error or f"{type(exc).__name__}: {exc}", source, _rel(output, root)
    )


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def write_run_record(result: RunResult, previous: dict[str, Any] | None = None) -> Path:
    """``run.json`` in ``result.pages_dir``: mode, snapshot date, places (with their section folders) and each page
    with its data files. ``previous``: the record of the pages a run of some pages only was added to (their
    other pages stay listed)."""
    settings = result.choice.settings
    now = datetime.now(UTC).isoformat(timespec="seconds")
    fresh = [
        {
            "name": r.name,
            "place": r.place,
            "notebook": _rel(r.notebook, result.pages_dir),
            "seconds": round(r.seconds, 2),
            "data_files": r.data_files,
            "generated_at": now,
        }
        for r in result.pages
    ]
    redone = {(p["name"], p["place"]) for p in fresh}
    kept = [p for p in (previous or {}).get("pages", []) if (p.get("name"), p.get("place")) not in redone]
    record = {
        "generated_at": now,
        "mode": result.choice.name,
        "reason": result.choice.reason,
        "snapshot_as_of": settings.snapshot.isoformat() if settings.snapshot else None,
        "places": [
            {**place, "parameters": p.to_parameters()}
            for place, p in zip(_places(settings), settings.places, strict=True)
        ],
        "pages": kept + fresh,
    }
    path = result.pages_dir / RUN_RECORD
    path.write_text(json.dumps(record, indent=2, default=str))
    return path
