"""``butterfly cache [status|clear|clear-expired|seed]``: what the request cache holds, and managing it.

Look here for the cache command's actions. ``seed`` loads the bundled offline snapshot into the snapshot cache.
The cache in question is the one the settings name (``BUTTERFLY_CACHE``, else ``data/cache/http_cache.sqlite``;
with ``--offline`` the snapshot's cache).
"""

from __future__ import annotations

import argparse

from butterfly_lib.http import cache_admin
from butterfly_lib.http.snapshot import seed_cache
from butterfly_lib.settings import load_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="show or manage the request cache")
    p.add_argument("action", nargs="?", default="status", choices=["status", "clear", "clear-expired", "seed"])
    p.add_argument("--offline", action="store_true", help="the bundled snapshot's cache instead of the live one")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(offline=True if args.offline else None)
    if args.action == "seed":
        print(seed_cache(settings.paths.snapshot_cache_file, settings.paths.snapshot_dir))
    elif args.action == "status":
        print(cache_admin.status_text(settings.http))
    elif args.action == "clear":
        print(cache_admin.clear(settings.http))
    elif args.action == "clear-expired":
        print(cache_admin.clear_expired(settings.http))
    return 0
