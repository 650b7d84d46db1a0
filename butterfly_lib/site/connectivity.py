"""A quick probe (about 3 s) of whether the API hosts answer, used to pick live or snapshot mode.

Look here to change which hosts count or how long to wait. ``probe_apis`` opens one TCP connection per host of
the settings' endpoints (``api_hosts(settings.http)``) in parallel threads and returns a ``ProbeResult``; tests pass their own
``connect`` (or skip probing entirely by giving ``modes.choose_mode`` a ``probe``), so no test touches the network.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

from butterfly_lib.settings import HttpSettings

Connect = Callable[[tuple[str, int], float], object]


@dataclass(frozen=True)
class ProbeResult:
    reachable: tuple[str, ...]
    unreachable: tuple[str, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """True when every host answered (a live run needs them all)."""
        return not self.unreachable

    def describe(self) -> str:
        if self.ok:
            return f"all {len(self.reachable)} API hosts reachable ({self.seconds:.1f} s)"
        return f"unreachable: {', '.join(self.unreachable)} (probed in {self.seconds:.1f} s)"


def api_hosts(http: HttpSettings) -> list[tuple[str, int]]:
    """``(host, port)`` of every source base URL of the settings, without duplicates."""
    out: list[tuple[str, int]] = []
    for _name, url in http.endpoints:
        u = urlparse(url)
        port = u.port or (443 if u.scheme == "https" else 80)
        if u.hostname and (u.hostname, port) not in out:
            out.append((u.hostname, port))
    return out


def _tcp_connect(address: tuple[str, int], timeout: float) -> object:
    with socket.create_connection(address, timeout=timeout):
        return True


def probe_apis(
    hosts: Iterable[tuple[str, int]], timeout: float = 3.0, connect: Connect = _tcp_connect
) -> ProbeResult:
    """Try every host at once; a host that has not connected within ``timeout`` seconds is unreachable."""
    hosts = list(hosts)
    answered: dict[tuple[str, int], bool] = {}
    lock = threading.Lock()

    def attempt(addr: tuple[str, int]) -> None:
        try:
            connect(addr, timeout)
            ok = True
        except (OSError, RuntimeError):
            ok = False
        with lock:
            answered[addr] = ok

    start = time.monotonic()
    threads = [threading.Thread(target=attempt, args=(h,), daemon=True) for h in hosts]
    for t in threads:
        t.start()
    for t in threads:  # one shared deadline: DNS lookups can hang past the socket timeout
        t.join(max(0.0, timeout - (time.monotonic() - start)))
    with lock:
        up = tuple(f"{h}:{p}" for h, p in hosts if answered.get((h, p)))
    down = tuple(f"{h}:{p}" for h, p in hosts if f"{h}:{p}" not in up)
    return ProbeResult(reachable=up, unreachable=down, seconds=time.monotonic() - start)
