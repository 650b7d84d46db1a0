"""The ``run`` and ``site`` subcommands (registered on import through ``butterfly_lib.cli.subcommand``).

Look here for the command-line flags. ``butterfly run [--params site.yml] [--offline] [--strict] [--as-of DATE]
[--only PAGE]`` executes the page notebooks into ``pages/``. ``butterfly site [--params ...] [--offline]
[--strict]`` runs them, then ``quarto render`` when Quarto is on PATH, else the nbconvert fallback.
``BUTTERFLY_STRICT=1`` is ``--strict`` for runs started by ``quarto render``'s pre-render step.
``BUTTERFLY_SKIP_RUN=1`` makes ``run`` a no-op (when pages were just executed and ``quarto render`` calls its
pre-render step).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess

from butterfly_lib.cli import subcommand
from butterfly_lib.config import PROJECT_ROOT
from butterfly_lib.errors import ButterflyError


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", default=None, help="places and parameter overrides (default: site.yml)")
    p.add_argument("--offline", action="store_true", help="use the bundled snapshot, no network")
    p.add_argument(
        "--strict", action="store_true", help="fail when the APIs cannot be reached (no snapshot fallback)"
    )


@subcommand
def _register_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="execute every page notebook with papermill into pages/")
    _common(p)
    p.add_argument("--as-of", default=None, help='date the pages are for (ISO date or "today")')
    p.add_argument("--only", default=None, help="run just this page (notebook name, e.g. forecast)")
    p.set_defaults(handler=_run)


@subcommand
def _register_site(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("site", help="run the notebooks, then build _site/ (Quarto, or nbconvert without it)")
    _common(p)
    p.set_defaults(handler=_site)


def _execute(args: argparse.Namespace) -> None:
    from butterfly_lib.site.config import load_site_config
    from butterfly_lib.site.modes import choose_mode
    from butterfly_lib.site.runner import run_pages

    site = load_site_config(args.params)  # validated before probing or seeding anything
    as_of = getattr(args, "as_of", None)
    if as_of:
        from butterfly_lib.params import page_params

        for place in site.places:  # --as-of too: a bad date must not wait for the probe and a kernel
            page_params(**{**place.parameters, "as_of": as_of})
    # BUTTERFLY_STRICT=1: strict from the environment, for `quarto render`, whose pre-render step takes no flags
    strict = args.strict or os.environ.get("BUTTERFLY_STRICT") == "1"
    mode = choose_mode(offline=args.offline, strict=strict)
    run_pages(site, mode, as_of=getattr(args, "as_of", None), only=getattr(args, "only", None))


def _run(args: argparse.Namespace) -> int:
    if os.environ.get("BUTTERFLY_SKIP_RUN") == "1":
        print("butterfly run: BUTTERFLY_SKIP_RUN=1, keeping the pages already executed in pages/")
        return 0
    _execute(args)
    return 0


def _site(args: argparse.Namespace) -> int:
    _execute(args)
    quarto = shutil.which("quarto")
    if quarto:
        print("butterfly site: quarto render")
        env = {**os.environ, "BUTTERFLY_SKIP_RUN": "1"}  # pages were just executed; skip the pre-render run
        done = subprocess.run([quarto, "render"], cwd=PROJECT_ROOT, env=env, check=False)
        if done.returncode != 0:
            raise ButterflyError(f"quarto render failed with exit status {done.returncode}")
        return 0
    from butterfly_lib.site.fallback import build_site

    build_site()
    return 0
