"""Is the file named for the request cache ours? Opening it read-only; moving a corrupt cache of ours aside.

Look here before anything touches the cache path. A path that is not positively a cache of ours is never moved,
renamed, written or deleted: ``inspect`` decides, reading at most the first 100 bytes and (read-only) SQLite's
schema, and ``refuse`` raises ``CacheRefused`` naming the path and why, leaving it as it was.

How a cache is recognised as ours:

- its SQLite header carries our ``application_id`` (``APPLICATION_ID``, "BFLY"), which every cache this package
  opens for writing is stamped with (and checkpointed into the main file, so it survives damage to the rest);
- or, for caches made before the stamp, SQLite can read its schema and it holds exactly requests-cache's objects
  (tables ``responses`` and ``redirects``, index ``expires_idx``).

A zero-byte file or an SQLite database with no tables holds nothing to lose and is used as a new cache. Anything
else is refused: a folder (``/tmp``), a device, a user's text file, garbage where the cache should be (it cannot be
told from someone else's file), another program's SQLite database, a damaged SQLite file without our stamp, and
a name without an extension (requests-cache would silently use ``<name>.sqlite`` instead).

Only a cache identified as ours that SQLite then reports corrupt is moved aside (with its ``-wal``/``-shm``) by
``move_aside``. A cache of ours on a read-only filesystem, or a read-only file, is opened read-only
(``open_read_only``): it is served, and writes are reported by ``fetch``, never mistaken for corruption.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import requests_cache

from butterfly_lib.errors import ButterflyError

T = TypeVar("T")


def while_locked(step: Callable[[], T], seconds: float) -> T:
    """``step()``, tried again while SQLite answers "locked", for up to ``seconds``. SQLite gives that answer at
    once, without waiting in its busy handler, in two cases met here: two processes switching a new file to WAL at
    the same moment, and a write begun on a connection whose other statement still reads an older snapshot after
    another connection wrote (WAL mode, ``SQLITE_BUSY_SNAPSHOT``)."""
    deadline = time.monotonic() + seconds
    pause = 0.005
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(pause * (1 + random.random()))  # jittered: two processes do not retry in step
            pause = min(0.1, pause * 2)


#: SQLite header field ``application_id`` of our caches: "BFLY"
APPLICATION_ID = 0x42464C59
SQLITE_MAGIC = b"SQLite format 3\x00"
#: the schema objects requests-cache (>= 1.0) creates in its SQLite file
REQUESTS_CACHE_OBJECTS = frozenset({"responses", "redirects", "expires_idx"})
_CORRUPT = ("SQLITE_NOTADB", "SQLITE_CORRUPT")


class CacheRefused(ButterflyError):
    """The path named for the request cache is not a cache of ours (or cannot be used); it was left untouched."""

    def __init__(self, path: Path | str, why: str, hint: str = ""):
        self.path, self.why = Path(path), why
        hint = hint or "point BUTTERFLY_CACHE at a cache file of its own (e.g. data/cache/http_cache.sqlite)"
        super().__init__(f"request cache {path}: {why}; left untouched. {hint[0].upper()}{hint[1:]}")


@dataclass(frozen=True)
class Verdict:
    """What is at the cache path: ``kind`` is "absent", "empty" (nothing to lose), "ours" or "foreign"."""

    kind: str
    detail: str = ""
    readable: bool = True  # False: ours by its stamp, but SQLite cannot read it (damaged)


def _header(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(100)


def _app_id(header: bytes) -> int:
    return int.from_bytes(header[68:72], "big") if len(header) >= 72 else 0


def _uri(path: Path, immutable: bool) -> str:
    # immutable: no locks, no -shm, nothing written next to the file (the only way to read it on a read-only
    # filesystem when the -shm is absent); it ignores the -wal, so it is used only when that holds nothing
    return f"file:{quote(str(path.absolute()))}?mode=ro" + ("&immutable=1" if immutable else "")


def _has_wal(path: Path) -> bool:
    wal = Path(f"{path}-wal")
    return wal.exists() and wal.stat().st_size > 0


def read_only_uri(path: Path) -> str:
    """A read-only SQLite URI for ``path`` that can read it here (with the -wal when one holds data)."""
    if not _has_wal(path):
        return _uri(path, immutable=True)
    try:
        con = sqlite3.connect(_uri(path, immutable=False), uri=True)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
        return _uri(path, immutable=False)
    except (
        sqlite3.OperationalError
    ):  # a -wal but no way to make the -shm (read-only folder): the main file alone
        return _uri(path, immutable=True)


def _schema(path: Path) -> tuple[int, set[str]]:
    con = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        names = {
            row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        }
    finally:
        con.close()
    return app_id, names


def check_name(path: Path) -> None:
    """Refuse a path that is a folder, not a regular file, or has no extension (see the module docstring)."""
    if path.is_dir():
        raise CacheRefused(
            path, "is a folder, not a cache file", f"name a file inside it, e.g. {path / 'http_cache.sqlite'}"
        )
    if path.exists() and not path.is_file():
        raise CacheRefused(path, "is not a regular file")
    if not path.suffix:
        raise CacheRefused(
            path, f"the name has no extension, and requests-cache would silently use {path}.sqlite instead",
            f"name the file with its extension, e.g. {path}.sqlite",
        )  # fmt: skip


def inspect(path: Path) -> Verdict:
    """What is at ``path``; reads, never writes. See the module docstring for the rules."""
    path = Path(path)
    check_name(path)
    if not path.exists():
        return Verdict("absent")
    try:
        header = _header(path)
    except OSError as exc:
        raise CacheRefused(path, f"cannot be read ({exc.strerror or exc})") from None
    if not header and path.stat().st_size == 0:
        return Verdict("empty", "a zero-byte file")
    if not header.startswith(SQLITE_MAGIC):
        return Verdict("foreign", "is not an SQLite database (it does not start with the SQLite header)")
    stamped = _app_id(header) == APPLICATION_ID
    try:
        app_id, names = _schema(path)
    except sqlite3.DatabaseError as exc:
        if stamped:
            return Verdict("ours", f"damaged ({exc})", readable=False)
        return Verdict(
            "foreign", f"is an SQLite file that cannot be read ({exc}) and carries no butterfly-planner stamp"
        )
    if stamped or app_id == APPLICATION_ID:
        return Verdict("ours", "stamped")
    if app_id != 0:
        return Verdict("foreign", f"is the SQLite database of another program (application_id {app_id:#x})")
    if not names:
        return Verdict("empty", "an SQLite database with no tables")
    if "responses" in names and names <= REQUESTS_CACHE_OBJECTS:
        return Verdict("ours", "requests-cache tables (made before the stamp)")
    shown = ", ".join(sorted(names)[:8]) + (" ..." if len(names) > 8 else "")
    return Verdict("foreign", f"is an SQLite database of another program (tables: {shown})")


def refuse_unless_ours(path: Path) -> Verdict:
    """``inspect(path)``, raising ``CacheRefused`` for anything that is not ours, absent or empty."""
    verdict = inspect(path)
    if verdict.kind == "foreign":
        raise CacheRefused(path, verdict.detail)
    return verdict


def writable(path: Path) -> bool:
    """True when the cache file (or, if absent, its folder) and its folder accept writes (SQLite needs both)."""
    folder_ok = os.access(path.parent, os.W_OK)
    return folder_ok and (not path.exists() or os.access(path, os.W_OK))


def prepare_folder(path: Path) -> None:
    """Make the cache's folder, or say clearly why it cannot be made."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CacheRefused(path, f"its folder cannot be created ({exc.strerror or exc})") from None
    if not os.access(path.parent, os.W_OK):
        raise CacheRefused(
            path, f"does not exist and its folder {path.parent} is read-only, so it cannot be created"
        )


def is_corruption(exc: BaseException) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    return name.startswith(_CORRUPT) or "malformed" in text or "not a database" in text


def move_aside(path: Path) -> Path:
    """Rename a corrupt cache of ours (and its -wal/-shm) to ``<path>.corrupt-<stamp>``; return the new name.

    Callers must have identified it as ours (``inspect``); this re-checks, so nothing else is ever moved."""
    verdict = inspect(path)
    if verdict.kind != "ours":
        raise CacheRefused(
            path, f"is damaged but not identifiable as a cache of ours ({verdict.detail or verdict.kind})"
        )
    broken = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
    try:
        for suffix in ("", "-wal", "-shm"):
            p = Path(f"{path}{suffix}")
            if p.exists():
                p.rename(Path(f"{broken}{suffix}"))
    except OSError as exc:
        raise CacheRefused(path, f"is corrupt and could not be moved aside ({exc.strerror or exc})") from None
    return broken


def stamp(path: Path, busy_ms: int = 10_000) -> None:
    """Write our ``application_id`` into the cache's header (checkpointed into the main file); best effort."""
    try:
        con = sqlite3.connect(str(path), timeout=busy_ms / 1000, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        if con.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        pass  # another process holds the lock: it will stamp, or the next run will
    finally:
        con.close()


def open_read_only(path: Path) -> requests_cache.SQLiteCache:
    """requests-cache's SQLite backend on ``path`` opened read-only, for a cache on a read-only filesystem.

    requests-cache has no read-only mode and rewrites any path into a file name, so the backend is built on a
    private in-memory database and then pointed at a read-only URI of the file."""
    uri = read_only_uri(path)
    backend = requests_cache.SQLiteCache(str(path), use_memory=True)
    for table in (backend.responses, backend.redirects):
        table.close()
        table.db_path = uri
        table.connection_kwargs["uri"] = True
        table.wal = False
    try:
        backend.responses.count()
    except sqlite3.DatabaseError as exc:
        raise CacheRefused(
            path, f"is read-only and cannot be read ({exc})", "restore it or point BUTTERFLY_CACHE elsewhere"
        ) from None
    return backend
