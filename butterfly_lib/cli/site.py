"""The ``run`` and ``site`` subcommands.

Look here for the command-line flags. ``butterfly run [--params site.yml] [--offline] [--strict] [--as-of DATE]
[--only PAGE]`` executes the page notebooks into ``pages/``. ``butterfly site [--params ...] [--offline]
[--strict]`` builds ``_site/``: with Quarto on PATH it is plain ``quarto render`` (whose pre-render step is
``butterfly run``), the flags handed down as their environment variables; without Quarto it runs the notebooks
and then the nbconvert fallback, holding the pages' lock across both. The flags are the last layer of the run's
settings (``butterfly_lib.settings.load_settings``): ``BUTTERFLY_STRICT=1`` is ``--strict`` for runs started by
``quarto render``'s pre-render step, which passes no flags.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sysconfig
from pathlib import Path

from butterfly_lib.errors import ButterflyError
from butterfly_lib.settings import Settings, child_environment, load_settings
from butterfly_lib.site.modes import choose_mode
from butterfly_lib.site.run_folder import pages_lock
from butterfly_lib.site.runner import run_pages


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", default=None, help="places and parameter overrides (default: site.yml)")
    p.add_argument("--offline", action="store_true", help="use the bundled snapshot, no network")
    p.add_argument(
        "--strict", action="store_true", help="fail when the APIs cannot be reached (no snapshot fallback)"
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="execute every page notebook with papermill into pages/")
    _common(p)
    p.add_argument("--as-of", default=None, help='date the pages are for (ISO date or "today")')
    p.add_argument("--only", default=None, help="run just this page (notebook name, e.g. forecast)")
    p.set_defaults(handler=run)
    p = sub.add_parser("site", help="run the notebooks, then build _site/ (Quarto, or nbconvert without it)")
    _common(p)
    p.set_defaults(handler=site)


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Defaults, ``site.yml`` (or ``--params``), the environment, then these flags; validated before any
    request or kernel."""
    return load_settings(
        site_file=args.params,
        offline=True if args.offline else None,
        strict=True if args.strict else None,
        as_of=getattr(args, "as_of", None),
    )


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    choice = choose_mode(settings)
    run_pages(choice, only=args.only)
    return 0


def quarto_environment(args: argparse.Namespace) -> dict[str, str]:
    """The flags of ``butterfly site`` as the variables the pre-render ``butterfly run`` reads, and this
    installation's ``butterfly`` first on ``PATH`` (``make site`` runs it from .venv/bin without activating)."""
    extra = {}
    if args.offline:
        extra["BUTTERFLY_OFFLINE"] = "1"
    if args.strict:
        extra["BUTTERFLY_STRICT"] = "1"
    if args.params:
        extra["BUTTERFLY_SITE"] = str(Path(args.params).resolve())
    return child_environment(path_first=Path(sysconfig.get_path("scripts")), **extra)


def site(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)  # bad flags or site.yml are refused before Quarto starts
    quarto = shutil.which("quarto")
    if quarto:
        print("butterfly site: quarto render (its pre-render step runs the notebooks)")
        done = subprocess.run(
            [quarto, "render"], cwd=settings.paths.root, env=quarto_environment(args), check=False
        )
        if done.returncode != 0:
            raise ButterflyError(f"quarto render failed with exit status {done.returncode}")
        return 0
    from butterfly_lib.site.fallback import build_site

    with pages_lock(settings.paths.pages_dir):
        choice = choose_mode(settings)
        run_pages(choice)
        build_site(settings.paths.root, settings.paths.pages_dir)
    return 0
