"""urllib3's ``Retry`` with two bounds it lacks: a cap on ``Retry-After`` and the request's overall deadline.

Look here when a retry waited too long or stopped early. ``BoundedRetry`` is urllib3's ``Retry`` (backoff,
``Retry-After``, status and error retries, all urllib3's own) with one check added before each retry: if the
server asks (``Retry-After``) for more than ``retry_after_cap`` seconds, or the next wait would pass the deadline
of the request in flight (``request_budget``, set by ``butterfly_lib.http.bounded`` for each request), it does
not sleep; urllib3 then hands back the last answer (a 429 or 503), or raises for a connection error, and
``fetch`` reports why, naming the wait asked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from urllib3.exceptions import InvalidHeader, MaxRetryError
from urllib3.util.retry import Retry

from butterfly_lib.http.limits import RETRY_AFTER_CAP


class RetryStopped(Exception):
    """Why no further try was made (the reason inside urllib3's ``MaxRetryError``)."""


class Budget:
    """The wall-clock budget of one request: ``seconds`` in all, ending at ``ends`` (monotonic clock)."""

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.ends = time.monotonic() + self.seconds
        self.stopped = ""  # why retries stopped early, if they did

    def remaining(self) -> float:
        return self.ends - time.monotonic()


_LOCAL = threading.local()
#: parses Retry-After without urllib3's clamp (``retry_after_max``), to name the wait the server really asked for
_PARSER = Retry(retry_after_max=10**9)


@contextmanager
def request_budget(seconds: float) -> Iterator[Budget]:
    """Give the request made inside the block (in this thread) ``seconds`` in all, retries included."""
    previous = getattr(_LOCAL, "budget", None)
    budget = Budget(seconds)
    _LOCAL.budget = budget
    try:
        yield budget
    finally:
        _LOCAL.budget = previous


def current_budget() -> Budget | None:
    return getattr(_LOCAL, "budget", None)


def retry_after_seconds(headers: Any) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (None: absent or unreadable)."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        return float(_PARSER.parse_retry_after(value))
    except (InvalidHeader, ValueError, TypeError):
        return None


class BoundedRetry(Retry):
    """``Retry`` that never sleeps longer than ``retry_after_cap`` for a ``Retry-After`` nor past the deadline."""

    def __init__(self, *args: Any, retry_after_cap: float = RETRY_AFTER_CAP, **kwargs: Any):
        kwargs.setdefault("retry_after_max", int(retry_after_cap))  # urllib3's own clamp, as a second guard
        super().__init__(*args, **kwargs)
        self.retry_after_cap = float(retry_after_cap)

    def new(self, **kw: Any) -> BoundedRetry:
        kw.setdefault("retry_after_cap", self.retry_after_cap)
        return super().new(**kw)

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        asked = (
            retry_after_seconds(response.headers)
            if (response is not None and self.respect_retry_after_header)
            else None
        )
        budget = current_budget()
        if asked is not None and asked > self.retry_after_cap:
            reason = (
                f"the server asks to wait {asked:g} s (Retry-After), longer than the {self.retry_after_cap:g} s "
                "this planner waits; not waiting"
            )
        elif (
            budget is not None
            and (asked if asked is not None else new.get_backoff_time()) >= budget.remaining()
        ):
            reason = f"no time left for another try within the request's {budget.seconds:g} s deadline"
        else:
            if response is not None:  # urllib3 drains a retried answer's body; a trickled one would never end
                with suppress(Exception):
                    response.close()
            return new
        if budget is not None:
            budget.stopped = reason
        raise MaxRetryError(_pool, url or "", RetryStopped(reason))
