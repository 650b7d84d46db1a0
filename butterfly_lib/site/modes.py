"""Live, snapshot-fallback and strict modes: which data the notebooks read, set through environment variables.

Look here to see what a run's kernels inherit. ``choose_mode`` decides (``--offline`` -> snapshot; otherwise ask
each API one cheap real question, ``api_probe``: all answer as themselves -> live; any unreachable, or answering
with something else such as a captive portal's HTML page -> snapshot fallback, or ``SourceError`` under
``--strict``).
``Mode.environment()`` is what the runner exports: in snapshot mode ``BUTTERFLY_OFFLINE=1``,
``BUTTERFLY_CACHE=data/cache/snapshot.sqlite`` (seeded from ``data/snapshot/`` by
``butterfly_lib.snapshot.seed_cache``), ``BUTTERFLY_SNAPSHOT`` and ``BUTTERFLY_AS_OF`` = the snapshot date;
in live mode those are cleared so a stray shell setting cannot leak in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from butterfly_lib import config
from butterfly_lib.errors import ButterflyError, InvalidInput, SourceError
from butterfly_lib.site.api_probe import probe_api_answers
from butterfly_lib.site.connectivity import ProbeResult

MODE_VARS = ("BUTTERFLY_OFFLINE", "BUTTERFLY_CACHE", "BUTTERFLY_SNAPSHOT", "BUTTERFLY_AS_OF")


class SnapshotUnavailable(ButterflyError):
    """The snapshot machinery (``butterfly_lib.snapshot``) or its data is missing."""


@dataclass(frozen=True)
class Mode:
    """``name`` is "live" or "snapshot"; ``reason`` says why (shown in the run's progress)."""

    name: str
    reason: str
    snapshot_as_of: str | None = None
    cache_file: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def offline(self) -> bool:
        return self.name == "snapshot"

    def environment(self) -> dict[str, str | None]:
        """Variables to export (``None`` = unset) for the kernels of this run."""
        if self.name == "live":
            return {
                "BUTTERFLY_OFFLINE": None,
                "BUTTERFLY_SNAPSHOT": None,
                "BUTTERFLY_AS_OF": None,
                **self.extra_env,
            }
        return {
            "BUTTERFLY_OFFLINE": "1",
            "BUTTERFLY_CACHE": str(self.cache_file),
            "BUTTERFLY_SNAPSHOT": str(self.snapshot_as_of),
            "BUTTERFLY_AS_OF": str(self.snapshot_as_of),
            **self.extra_env,
        }


@contextmanager
def exported(env: dict[str, str | None]) -> Iterator[None]:
    """Set (or unset, for ``None``) environment variables for the duration of the block, then restore them."""
    saved = {k: os.environ.get(k) for k in env}
    try:
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def snapshot_cache_file() -> Path:
    return config.data_dir() / "cache" / "snapshot.sqlite"


def _snapshot_module():
    try:
        import butterfly_lib.snapshot as snapshot
    except ImportError as exc:
        raise SnapshotUnavailable(
            f"offline snapshot mode needs butterfly_lib.snapshot, which cannot be imported ({exc}); "
            "run live (with network) or restore butterfly_lib/snapshot/"
        ) from None
    if not hasattr(snapshot, "seed_cache"):
        raise SnapshotUnavailable(
            "butterfly_lib.snapshot has no seed_cache(cache_file); the snapshot cannot be loaded"
        )
    return snapshot


def snapshot_mode(reason: str, cache_file: Path | None = None, log: Callable[[str], None] = print) -> Mode:
    """Seed the snapshot cache (only when ``data/snapshot/manifest.json`` is newer than it) and return the mode."""
    _snapshot_module()
    from butterfly_lib.snapshot.use import snapshot_environment

    try:
        env = snapshot_environment(cache_file or snapshot_cache_file(), log)
    except SnapshotUnavailable:
        raise
    except ButterflyError as exc:
        raise SnapshotUnavailable(str(exc)) from None
    return Mode("snapshot", reason, snapshot_as_of=env["BUTTERFLY_SNAPSHOT"], cache_file=Path(env["BUTTERFLY_CACHE"]))


def choose_mode(
    *,
    offline: bool = False,
    strict: bool = False,
    probe: Callable[[], ProbeResult] = probe_api_answers,
    cache_file: Path | None = None,
    log: Callable[[str], None] = print,
) -> Mode:
    """Pick the run's mode. ``probe`` is injectable so tests never reach the network."""
    if offline and strict:
        raise InvalidInput("--strict", True, "not together with --offline (strict means: live data or fail)")
    if os.environ.get("BUTTERFLY_SNAPSHOT_RECORD"):
        # scripts/build_snapshot.py: the session answers the real hosts from the recordings, so run "live"
        return Mode("live", "recording the snapshot (BUTTERFLY_SNAPSHOT_RECORD=1): no network is used")
    if offline:
        return snapshot_mode("--offline asked for the bundled snapshot", cache_file, log)
    result = probe()
    if result.ok:
        return Mode("live", result.describe())
    if strict:
        raise SourceError(
            "site",
            ", ".join(result.unreachable),
            f"strict mode and the APIs cannot be reached ({result.describe()})",
            "run again when the network is back, or drop --strict to fall back to the bundled snapshot",
        )
    return snapshot_mode(
        f"APIs cannot be reached, using the bundled snapshot: {result.describe()}", cache_file, log
    )
