"""Live, snapshot-fallback and strict modes: which data a run reads, decided once, before any page runs.

Look here to see how a run chooses. ``choose_mode(settings)``: offline settings (``--offline``,
``BUTTERFLY_OFFLINE=1``) -> the bundled snapshot; otherwise ask each API of the settings' endpoints one cheap real
question (``api_probe``): all answer as themselves -> live; any unreachable, or answering with something else such
as a captive portal's HTML page -> the snapshot fallback, or ``SourceError`` under ``--strict``. The result is
the run's final ``Settings`` (offline snapshot: the snapshot's cache and date) and the reason in words; the
snapshot's cache is seeded when the snapshot is newer than it. Nothing is exported to the environment: the
runner hands the settings to the notebooks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from butterfly_lib.errors import ButterflyError, SourceError
from butterfly_lib.http.snapshot import SnapshotMissing, ensure_seeded
from butterfly_lib.settings import Settings, offline_settings
from butterfly_lib.site.api_probe import probe_api_answers
from butterfly_lib.site.connectivity import ProbeResult


class SnapshotUnavailable(ButterflyError):
    """The offline snapshot cannot be used (its data is missing)."""


@dataclass(frozen=True)
class ModeChoice:
    """The run's settings after the choice, and why (shown in the run's progress and in ``run.json``)."""

    settings: Settings
    reason: str

    @property
    def name(self) -> str:
        return "snapshot" if self.settings.snapshot is not None else ("offline" if self.settings.offline else "live")


def _seeded(settings: Settings, log: Callable[[str], None]) -> Settings:
    if settings.snapshot is not None:
        try:
            ensure_seeded(settings.http, settings.paths.snapshot_dir, log)
        except SnapshotMissing as exc:
            raise SnapshotUnavailable(str(exc)) from None
    return settings


def choose_mode(
    settings: Settings,
    *,
    probe: Callable[[Settings], ProbeResult] | None = None,
    log: Callable[[str], None] = print,
) -> ModeChoice:
    """Pick the run's mode. ``probe`` is injectable so tests never reach the network."""
    if settings.offline:
        why = "offline settings: the bundled snapshot" if settings.snapshot else "offline settings: cache only"
        return ModeChoice(_seeded(settings, log), why)
    result = (probe or default_probe)(settings)
    if result.ok:
        return ModeChoice(settings, result.describe())
    if settings.strict:
        raise SourceError(
            "site",
            ", ".join(result.unreachable),
            f"strict mode and the APIs cannot be reached ({result.describe()})",
            "run again when the network is back, or drop --strict to fall back to the bundled snapshot",
        )
    try:
        fallback = offline_settings(settings)
    except ButterflyError as exc:
        raise SnapshotUnavailable(f"the APIs cannot be reached and the snapshot cannot stand in: {exc}") from None
    return ModeChoice(
        _seeded(fallback, log), f"APIs cannot be reached, using the bundled snapshot: {result.describe()}"
    )


def default_probe(settings: Settings) -> ProbeResult:
    """Ask each API of the settings' endpoints one cheap real question (``api_probe.probe_api_answers``)."""
    return probe_api_answers(dict(settings.http.endpoints), user_agent=settings.http.user_agent)
