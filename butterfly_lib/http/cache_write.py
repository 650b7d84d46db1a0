"""Writing one response to the cache so that a failed write is known, with its reason.

Look here when responses were fetched but not kept. requests-cache's SQLite backend rolls back and swallows an
``OperationalError`` raised by a write (a full disk, a read-only file): the response is silently not stored and
the next run fetches it again. ``save_response`` writes the same row requests-cache would (its serializer, its
table, its ``expires`` column) in a transaction of its own and raises ``CacheWriteFailed`` with the reason in
words; ``fetch`` reports it (request log, run output, the dataset's notice) and still returns the data.

The write waits for SQLite's write lock (the busy timeout) and, where SQLite answers "locked" without waiting,
tries again until ``LOCK_WAIT_SECONDS`` (``cache_file.while_locked``): requests-cache shares one connection among
a session's threads and reads on it without a lock, and in WAL mode a write begun on a connection whose other
statement still reads an older snapshot is refused at once (``SQLITE_BUSY_SNAPSHOT``) as soon as another process
has written since. The runner's prefetch threads and the kernel write the same file, so under load this refused a
write now and then.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from datetime import datetime
from typing import Any

import requests
from requests_cache import CachedResponse

from butterfly_lib.errors import ButterflyError
from butterfly_lib.http.cache_file import while_locked


class CacheWriteFailed(ButterflyError):
    """A response could not be stored in the cache; ``reason`` says why in a few words."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"not saved to the request cache: {reason}")


READ_ONLY = "the cache is read-only (a read-only file or filesystem)"
#: how long a write keeps trying when SQLite answers "locked" at once (the busy timeout covers a lock held)
LOCK_WAIT_SECONDS = 30.0


def describe(exc: BaseException) -> str:
    """A write error in a few words, with SQLite's own message."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL" or "disk is full" in str(exc):
        return f"disk full (SQLite: {exc})"
    if name.startswith("SQLITE_READONLY") or "readonly" in str(exc):
        return f"{READ_ONLY} (SQLite: {exc})"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(exc):
        return f"the cache is locked by another process (SQLite: {exc})"
    if name.startswith("SQLITE_IOERR"):
        return f"I/O error writing the cache (SQLite: {exc})"
    return f"{type(exc).__name__}: {exc}"


def save_response(
    backend: Any, response: requests.Response, key: str, expires: datetime | None, *, read_only: bool = False
) -> None:
    """Store ``response`` under ``key`` with absolute expiry ``expires`` (None: never), or raise ``CacheWriteFailed``."""
    if read_only:
        raise CacheWriteFailed(READ_ONLY)
    cached = CachedResponse.from_response(response, expires=expires)
    store = backend.responses
    value = store.serialize(cached)
    # requests-cache's own per-file lock: one statement sequence on the shared connection at a time
    with store._lock, store.connection() as con:
        try:
            while_locked(lambda: con.execute("BEGIN IMMEDIATE"), LOCK_WAIT_SECONDS)
            con.execute(
                f"INSERT OR REPLACE INTO {store.table_name} (key, value, expires) VALUES (?, ?, ?)",
                (key, value, cached.expires_unix),
            )
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            if con.in_transaction:
                with suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
            raise CacheWriteFailed(describe(exc)) from exc
        except OSError as exc:
            raise CacheWriteFailed(describe(exc)) from exc
