"""Fetch, then render: the runner fetches everything the pages will ask for before (and while) the kernel renders.

Look here to see why a cold run takes about as long as its iNaturalist requests and no longer. ``Prefetch`` runs
the page builders themselves (``butterfly_lib.pages.<page>.build``, with each place's shared ``Products``) in
threads of the runner's process, so it asks exactly what the pages will ask, new pages and products included,
with no list of requests kept anywhere. All threads send through one ``Exchange``
(``butterfly_lib.http.exchange``): per source one turn at a time with one rate limiter and one session of its own
on the same WAL cache file, so iNaturalist sees one request a second from the whole process while Open-Meteo and
NOAA are asked at the same time; requests of several places are pooled (``sources.open_meteo.pooling``:
comma-separated coordinates; ``sources.inaturalist.pooling``: one query over the union of overlapping places,
split locally). The shared products the run's pages read (each page module declares its ``PRODUCTS``; the union
of the pages in the run, ``products_of``) are also asked each in a thread of their own, so products that do not
depend on each other are fetched at the same time; a product no page of the run reads is not asked (``butterfly
run --only degree_days`` downloads no observation record). Builders run ``WINDOW`` places at a time; a place's
products are dropped once its pages are fetched, so memory does not grow with the number of places.

When a page's builder has finished, its data is in the cache: ``ready(place, page)`` is set and the runner lets
a kernel render that page (``butterfly_lib.site.runner``); pages that need no iNaturalist data are rendered while
iNaturalist is still being asked. A builder that fails is reported and its page is rendered anyway: the kernel
meets the same fault and the page says so (stale copy with a notice, or the error). Offline runs and read-only
caches have nothing to prefetch (``start_prefetch`` returns None). When the run fails (a page raised),
``close(cancel=True)`` returns at once: the exchange refuses every further request, builders not started are
dropped, and those with a request on the wire stop when it returns (their sessions are closed by the last one),
so the failure is reported without waiting for fetches no page will use.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from butterfly_lib.http.exchange import Exchange, Pool, attach_exchange
from butterfly_lib.http.session import ButterflySession, build_session
from butterfly_lib.pages import PAGES
from butterfly_lib.pages.context import open_context
from butterfly_lib.pages.products import Products, forget_products, product
from butterfly_lib.settings import PlaceSettings, Settings
from butterfly_lib.sources.inaturalist.pooling import union_pools
from butterfly_lib.sources.open_meteo.pooling import location_pools

#: places whose pages are being fetched at the same time (their products are held until their pages are done)
WINDOW = 2


@dataclass
class Job:
    """One page of one place: its builder run in a prefetch thread."""

    place: PlaceSettings
    page: str
    done: threading.Event = field(default_factory=threading.Event)
    seconds: float = 0.0
    error: str = ""


#: glibc's mallopt parameter for the number of malloc arenas
_M_ARENA_MAX = -8


def _glibc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def _few_arenas() -> None:
    """At most two malloc arenas in this process (glibc; elsewhere nothing). glibc gives threads that allocate
    at once arenas of their own (up to eight per core), and freed blocks stay in them: builders in a dozen
    threads took the runner from 100 MB to 380 MB where their data never passed 50 MB; with two, 260 MB."""
    libc = _glibc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(_M_ARENA_MAX, 2)


def _give_back_memory() -> None:
    """Return freed heap to the system (glibc ``malloc_trim``), once a place's products are dropped."""
    libc = _glibc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def product_names() -> list[str]:
    """Every shared product of a place (each ``@product`` of ``Products``), in the order the class declares them."""
    return [name for name, value in vars(Products).items() if isinstance(value, product)]


def products_of(page_names: Sequence[str]) -> list[str]:
    """The shared products the pages ``page_names`` read (the union of their modules' ``PRODUCTS``), in the order
    ``Products`` declares them. A page module without ``PRODUCTS`` is taken to read every product."""
    every = product_names()
    wanted: set[str] = set()
    for name in page_names:
        declared = getattr(importlib.import_module(f"butterfly_lib.pages.{name}"), "PRODUCTS", None)
        wanted |= set(every if declared is None else declared)
    unknown = wanted - set(every)
    if unknown:
        raise ValueError(f"pages {list(page_names)} declare products Products does not have: {sorted(unknown)}")
    return [name for name in every if name in wanted]


def pools_for(settings: Settings) -> dict[str, Pool]:
    """The pooling rule of each source for the run's places (none for a single place)."""
    places = [p.place for p in settings.places]
    return {**location_pools(places), **union_pools(places)}


class Prefetch:
    """The prefetch of one run (see the module docstring). Start with ``start()``; ``close()`` waits for it."""

    def __init__(
        self,
        settings: Settings,
        page_names: Sequence[str],
        *,
        window: int = WINDOW,
        log: Callable[[str], None] = print,
    ):
        self.settings = settings
        self.log = log
        self.jobs = {(p.slug, name): Job(p, name) for p in settings.places for name in page_names}
        self.exchange = Exchange(settings.http, pools_for(settings))
        self.session: ButterflySession = attach_exchange(build_session(settings.http), self.exchange)
        self.window = max(1, window)
        self._left = {p.slug: len(page_names) for p in settings.places}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.started = time.monotonic()
        self.finished: float | None = None

    def start(self) -> Prefetch:
        _few_arenas()
        products = products_of(sorted({name for _slug, name in self.jobs}))
        self._pool = ThreadPoolExecutor(
            max_workers=self.window * (max(1, len({name for _slug, name in self.jobs})) + len(products)),
            thread_name_prefix="prefetch",
        )
        # place after place: the pool's queue keeps about WINDOW places going
        for place in self.settings.places:
            # every product the run's pages read in a thread of its own first, so independent ones are fetched
            # side by side (the record's effort from iNaturalist while its cells come from Open-Meteo) instead of
            # one after the other as a page asks for them
            for name in products:
                self._pool.submit(self._warm, place, name)
            for job in self.jobs.values():
                if job.place.slug == place.slug:
                    self._pool.submit(self._run, job)
        return self

    def _warm(self, place: PlaceSettings, name: str) -> None:
        with self._lock:
            if self._left.get(place.slug, 0) == 0:  # the place's pages are done (or failed): nothing to warm
                return
        # a product that fails is not reported here: the page that needs it meets the fault and reports it
        with contextlib.suppress(Exception):
            ctx = open_context(self.settings, place, session=self.session, log=lambda _m: None)
            getattr(ctx.products, name)

    def _run(self, job: Job) -> None:
        t0 = time.monotonic()
        try:
            module = importlib.import_module(f"butterfly_lib.pages.{job.page}")
            build = getattr(module, "build", None)
            if build is not None:
                build(open_context(self.settings, job.place, session=self.session, log=lambda _m: None))
        except Exception as exc:  # noqa: BLE001 - the kernel meets the same fault and the page reports it
            job.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        finally:
            job.seconds = time.monotonic() - t0
            job.done.set()
            with self._lock:
                self._left[job.place.slug] -= 1
                place_done = self._left[job.place.slug] == 0
                if all(n == 0 for n in self._left.values()):
                    self.finished = time.monotonic()
            if place_done:
                forget_products(job.place.slug)
                _give_back_memory()

    def ready(self, place: PlaceSettings, page: str) -> threading.Event:
        """Set once ``page`` of ``place`` has been fetched (or failed); always set for a page not prefetched."""
        job = self.jobs.get((place.slug, page))
        if job is None:
            event = threading.Event()
            event.set()
            return event
        return job.done

    def close(self, *, cancel: bool = False) -> None:
        """Wait for the builders, then close the sessions. ``cancel`` (the run failed): return at once; the
        exchange refuses further requests, builders not started are dropped, and the sessions are closed once
        the builders with a request on the wire have stopped (see the module docstring)."""
        if not cancel:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
            self._close_sessions()
            return
        self.exchange.cancel()
        pool = self._pool
        if pool is None:
            self._close_sessions()
            return
        pool.shutdown(wait=False, cancel_futures=True)

        def close_when_stopped() -> None:
            pool.shutdown(wait=True)
            self._close_sessions()

        threading.Thread(target=close_when_stopped, name="prefetch-close", daemon=True).start()

    def _close_sessions(self) -> None:
        self.session.close()
        self.exchange.close()

    def report(self) -> str:
        """What the prefetch sent and shared, per source, its time, and the builders that failed."""
        ex = self.exchange
        took = (self.finished or time.monotonic()) - self.started
        lines = [f"prefetch: {len(self.jobs)} page(s) fetched in {took:.1f} s by their own builders"]
        for source in sorted(set(ex.sent) | set(ex.shared)):
            lines.append(
                f"  {source:<22} {ex.sent.get(source, 0):>4} request(s) {ex.seconds.get(source, 0.0):6.1f} s on the "
                f"wire; {ex.shared.get(source, 0)} answer(s) shared from pooled requests"
            )
        for job in self.jobs.values():
            if job.error:
                lines.append(f"  {job.place.name}: {job.page}: {job.error} (the page will show it)")
        return "\n".join(lines)


def start_prefetch(
    settings: Settings, page_names: Sequence[str], *, log: Callable[[str], None] = print
) -> Prefetch | None:
    """A started ``Prefetch`` for a live run; None offline (nothing to fetch), when no name is one of the site's
    pages (notebooks without a page builder fetch nothing the prefetch could know of) or when the cache is
    read-only (nothing fetched could be kept for the kernel)."""
    pages = [name for name in page_names if name in PAGES]
    if settings.offline or not pages:
        return None
    prefetch = Prefetch(settings, pages, log=log)
    if prefetch.session.read_only:
        prefetch.close()
        return None
    return prefetch.start()


__all__ = ["WINDOW", "Job", "Prefetch", "pools_for", "product_names", "products_of", "start_prefetch"]
