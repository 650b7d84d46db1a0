"""One run owns ``pages/``: the lock, the staging folder a run writes into, and the swap that publishes it.

Look here when two builds overlap, when a page of a removed place or a failed notebook shows up on the site, or
when ``pages/run.json`` disagrees with the pages. A run never writes into ``pages/`` itself. It takes the lock,
executes every notebook into a fresh staging folder, and only when all of them succeeded replaces ``pages/``
with that folder in two renames. So ``pages/`` always holds exactly one complete run (its ``run.json``
describes it); pages of places no longer configured vanish with the old folder; a failed run leaves ``pages/``
as it was and keeps its partly executed notebooks for reading in the ``failed/`` folder.

The working folders sit next to ``pages/`` (same file system, so the swap is a rename) in the git-ignored
``.butterfly-run/``: ``lock`` (who runs: pid, host, start, command), ``staging-<pid>-<n>/`` and ``failed/``.
The lock is an ``flock`` on ``lock``, which the kernel releases when its process dies: a second run while one
runs is refused at once with the owner's pid; a lock file left by a run that died is taken over, and said so.
Refusing rather than waiting: a run that waited would only replace, minutes later, the pages the first run
has just made from the same sources. Within one process the lock is re-entrant, so ``butterfly site`` can hold
it across the run and the fallback build.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from butterfly_lib.errors import ButterflyError

RUN_FOLDER = ".butterfly-run"
LOCK_FILE = "lock"
FAILED = "failed"

_held: dict[Path, tuple[IO[str], int]] = {}


class RunLocked(ButterflyError):
    """Another run is writing the pages folder."""

    def __init__(self, pages_dir: Path, owner: dict[str, Any]):
        self.pages_dir, self.owner = pages_dir, owner
        who = describe_owner(owner) or "another process"
        super().__init__(
            f"{pages_dir} is being built by {who}; one run owns it at a time. Wait for that run to finish "
            f"(or stop it), then run again"
        )


def run_folder(pages_dir: Path) -> Path:
    """``.butterfly-run/`` beside ``pages_dir``: the lock, staging folders, the last failed run."""
    return Path(pages_dir).parent / RUN_FOLDER


def describe_owner(owner: dict[str, Any]) -> str:
    if not owner.get("pid"):
        return ""
    where = f" on {owner['host']}" if owner.get("host") and owner["host"] != socket.gethostname() else ""
    return f"pid {owner['pid']}{where} (`{owner.get('command', '?')}`, started {owner.get('started', '?')})"


def _read_owner(handle: IO[str]) -> dict[str, Any]:
    handle.seek(0)
    try:
        data = json.loads(handle.read() or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def pages_lock(pages_dir: Path, log: Callable[[str], None] = print) -> Iterator[None]:
    """Hold the lock of ``pages_dir`` (raises ``RunLocked`` if another process holds it)."""
    key = Path(pages_dir).resolve()
    if key in _held:
        handle, depth = _held[key]
        _held[key] = (handle, depth + 1)
        try:
            yield
        finally:
            handle, depth = _held[key]
            _held[key] = (handle, depth - 1)
        return
    folder = run_folder(pages_dir)
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 - held until the run ends
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = _read_owner(handle)
        handle.close()
        raise RunLocked(Path(pages_dir), owner) from None
    stale = _read_owner(handle)
    if stale.get("pid"):
        log(
            f"butterfly run: taking over the lock of a run that ended without releasing it ({describe_owner(stale)})"
        )
    _write_owner(handle)
    _clear_leftovers(folder, log)
    _held[key] = (handle, 1)
    try:
        yield
    finally:
        del _held[key]
        handle.seek(0)
        handle.truncate()
        handle.flush()
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def _write_owner(handle: IO[str]) -> None:
    owner = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["butterfly", *sys.argv[1:]]) if sys.argv else "butterfly",
    }
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(owner))
    handle.flush()


def _clear_leftovers(folder: Path, log: Callable[[str], None]) -> None:
    """Staging folders of runs that died: nobody else can be using them while we hold the lock."""
    for old in sorted([*folder.glob("staging-*"), *folder.glob("replaced-*")]):
        log(f"butterfly run: removing {old.name}, left by a run that did not finish")
        shutil.rmtree(old, ignore_errors=True)


def new_staging(pages_dir: Path, *, seed: bool = False) -> Path:
    """A fresh staging folder (holder of the lock only). ``seed``: start from a copy of the current pages, for
    a run of some pages only."""
    folder = run_folder(pages_dir)
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    while (folder / f"staging-{os.getpid()}-{n}").exists():
        n += 1
    staging = folder / f"staging-{os.getpid()}-{n}"
    if seed and Path(pages_dir).is_dir():
        shutil.copytree(pages_dir, staging, symlinks=True)
    else:
        staging.mkdir()
    return staging


def publish(staging: Path, pages_dir: Path) -> None:
    """Replace ``pages_dir`` with ``staging`` (two renames on one file system; the old pages are removed)."""
    pages_dir = Path(pages_dir)
    old = None
    if pages_dir.exists():
        old = staging.with_name(staging.name.replace("staging-", "replaced-", 1))
        pages_dir.rename(old)
    staging.rename(pages_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def keep_failed(staging: Path, pages_dir: Path) -> Path:
    """Move a failed run's staging folder to ``.butterfly-run/failed/`` (replacing the previous one)."""
    failed = run_folder(pages_dir) / FAILED
    if failed.exists():
        shutil.rmtree(failed)
    staging.rename(failed)
    return failed
