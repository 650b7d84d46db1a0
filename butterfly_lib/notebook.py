"""Helpers for the page notebooks: open a page from the notebook's own parameters.

Look here for what the first cells of every page notebook do. ``open_page`` builds the run's ``Settings`` from
the notebook's parameters (a runner's ``settings_file``, or, in JupyterLab, ``site.yml`` and the environment with
the notebook's ``place``, ``as_of``, ``offline`` and page-parameter overrides), opens the ``PageContext`` of the
place (seeding the bundled snapshot's cache when offline) and starts the page's request log afresh. Outside a
runner, data files go to ``data/lab/`` (git-ignored), never into ``notebooks/`` or the built site's ``pages/``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from butterfly_lib.http.requestlog import REQUEST_LOG
from butterfly_lib.pages.context import PageContext, open_context
from butterfly_lib.settings import load_settings


def open_page(
    *,
    place: str | None = None,
    as_of: str | date | None = None,
    offline: bool | None = None,
    settings_file: str | Path | None = None,
    **overrides: Any,
) -> PageContext:
    """The ``PageContext`` a page notebook works in (see the module docstring). ``overrides`` are page
    parameters (``dd_lower=...``); ``None`` values mean "as the settings say"."""
    settings = load_settings(settings_file=settings_file, offline=offline, as_of=as_of, overrides=overrides)
    if settings_file is None:
        lab = settings.paths.data_dir / "lab"
        settings = settings.with_(paths=replace(settings.paths, pages_dir=lab))
    REQUEST_LOG.reset()
    return open_context(settings, place, log=lambda _msg: None)
