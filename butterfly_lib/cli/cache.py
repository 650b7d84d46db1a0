"""``butterfly cache [status|clear|clear-expired|verify|seed]``: what the request cache holds, and managing it.

Look here for the cache command's actions. ``clear-expired`` also removes entries that fail today's checks;
``verify`` checks every entry and removes those that fail (``--dry-run``: list them, remove nothing); ``seed``
loads the bundled offline snapshot into the snapshot cache.
The cache in question is the one the settings name (``BUTTERFLY_CACHE``, else ``data/cache/http_cache.sqlite``;
with ``--offline`` the snapshot's cache).
"""

from __future__ import annotations

import argparse

from butterfly_lib.http import cache_admin
from butterfly_lib.http.snapshot import seed_cache
from butterfly_lib.settings import load_settings
from butterfly_lib.sources.cache_verify import verify


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="show or manage the request cache")
    p.add_argument(
        "action", nargs="?", default="status", choices=["status", "clear", "clear-expired", "verify", "seed"],
        help="clear-expired also removes entries that fail today's checks; verify checks every entry and "
        "removes those that fail",
    )  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="verify: list the entries that fail, remove nothing")
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
        print(verify(settings.http).text(dry_run=False))
    elif args.action == "verify":
        report = verify(settings.http, dry_run=args.dry_run)
        print(report.text(dry_run=args.dry_run))
        return 1 if report.failed and args.dry_run else 0
    return 0
