"""One kernel per worker: a run's pages spread over a few Jupyter kernels, each page rendered once its data is in.

Look here to see in what order pages are executed and by which kernel. Every place's pages go to one worker
(place i to worker i mod n), so a kernel computes a place's shared products once; each worker owns one kernel
and renders, among its pages whose data has been fetched (``ready``, from ``butterfly_lib.site.prefetch``), the
first in run order (places in ``site.yml`` order, pages in navbar order). A page that fails stops every worker
after the page it is rendering; the first failure is raised. One place runs on one kernel (a second one would
cost memory and save nothing: its pages wait for their data); several places on up to ``MAX_KERNELS``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from butterfly_lib.settings import PlaceSettings

#: the most kernels a run starts (each holds its own imports and products: about 200 MB)
MAX_KERNELS = 2
#: seconds between looks at which page became ready
POLL = 0.05

R = TypeVar("R")


class KernelLike(Protocol):
    def close(self) -> None: ...


K = TypeVar("K", bound=KernelLike)


@dataclass(frozen=True)
class Task:
    """One page of one place, ``index`` its position in the run's order."""

    place: PlaceSettings
    name: str
    index: int


def kernel_count(n_places: int, cpus: int | None = None) -> int:
    """How many kernels a run of ``n_places`` places starts."""
    if n_places <= 1:
        return 1
    return max(1, min(MAX_KERNELS, cpus or os.cpu_count() or 1, n_places))


def run_on_kernels(
    tasks: Sequence[Task],
    *,
    kernels: int,
    start_kernel: Callable[[], K],
    execute: Callable[[K, Task], R],
    ready: Callable[[Task], threading.Event] | None = None,
    place_done: Callable[[K, PlaceSettings], None] | None = None,
) -> list[R]:
    """Execute every task on ``kernels`` workers (see the module docstring); results in run order."""
    slugs = list(dict.fromkeys(t.place.slug for t in tasks))
    shares: list[list[Task]] = [[] for _ in range(max(1, kernels))]
    for t in sorted(tasks, key=lambda t: t.index):
        shares[slugs.index(t.place.slug) % len(shares)].append(t)
    shares = [s for s in shares if s]
    results: dict[int, R] = {}
    failures: list[BaseException] = []
    stop = threading.Event()
    lock = threading.Lock()

    def is_ready(t: Task) -> bool:
        return ready is None or ready(t).is_set()

    def worker(mine: list[Task]) -> None:
        kernel: K | None = None
        try:
            kernel = start_kernel()
            left = list(mine)
            while left and not stop.is_set():
                task = next((t for t in left if is_ready(t)), None)
                if task is None:
                    assert ready is not None
                    ready(left[0]).wait(POLL)
                    continue
                left.remove(task)
                result = execute(kernel, task)
                with lock:
                    results[task.index] = result
                if place_done is not None and left and all(t.place.slug != task.place.slug for t in left):
                    place_done(kernel, task.place)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            with lock:
                failures.append(exc)
            stop.set()
        finally:
            if kernel is not None:
                kernel.close()

    if len(shares) == 1:
        worker(shares[0])
    else:
        threads = [
            threading.Thread(target=worker, args=(s,), name=f"kernel-{i}") for i, s in enumerate(shares)
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    if failures:
        raise failures[0]
    return [results[i] for i in sorted(results)]


__all__ = ["MAX_KERNELS", "Task", "kernel_count", "run_on_kernels"]
