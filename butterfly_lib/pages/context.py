"""``PageContext``: everything a page builder needs, in one object, built once per page run.

Look here to see where a page's data files go and which session and shared products it uses. ``open_context``
makes one from the run's ``Settings``: it picks the place, resolves the as-of date in the place's time zone,
takes the one cached session for the settings' HTTP part (seeding the bundled snapshot's cache first when the
settings say offline snapshot), and attaches the run's shared ``Products`` for that place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from butterfly_lib.http.session import ButterflySession, get_session
from butterfly_lib.http.snapshot import ensure_seeded
from butterfly_lib.pages.products import Products, products_for
from butterfly_lib.settings import PlaceSettings, Settings


@dataclass(frozen=True)
class PageContext:
    """One page run: settings, place, as-of date, session and the run's shared products for the place."""

    settings: Settings
    place: PlaceSettings
    as_of: date
    session: ButterflySession
    products: Products

    @property
    def out_dir(self) -> Path:
        """Where the page's data files go: ``pages/`` for the first place, ``pages/<slug>/`` for the others."""
        return self.settings.pages_folder(self.place)

    @property
    def mode(self) -> str:
        return self.settings.mode


def open_context(
    settings: Settings,
    place: str | int | PlaceSettings | None = None,
    *,
    session: ButterflySession | None = None,
    log: Callable[[str], None] = print,
) -> PageContext:
    """A ``PageContext`` for ``place`` (slug, name, index or ``PlaceSettings``; None: the first place)."""
    where = place if isinstance(place, PlaceSettings) else settings.place(place)
    if session is None:
        if settings.snapshot is not None:
            ensure_seeded(settings.http, settings.paths.snapshot_dir, log)
        session = get_session(settings.http)
    as_of = settings.as_of_date(where)
    return PageContext(settings, where, as_of, session, products_for(settings, where, as_of, session))
