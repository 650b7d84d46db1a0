"""The ``butterfly`` command (also ``python -m butterfly_lib``).

Look here to add a subcommand. Each subcommand is a ``register_*`` function that adds its parser and a
handler; handlers return the exit status. Bad input exits with status 2 and a message naming the value.
Subcommands: ``cache`` (status, clear, clear-expired, verify, seed), ``degree-days``, ``fetch``, ``run``, ``site``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from butterfly_lib.errors import ButterflyError, InvalidInput

Handler = Callable[[argparse.Namespace], int]
_REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = []


def subcommand(register: Callable[[argparse._SubParsersAction], None]):
    """Decorator: add ``register`` to the command's subcommands."""
    _REGISTRARS.append(register)
    return register


@subcommand
def _register_cache(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cache", help="show or manage the request cache")
    p.add_argument(
        "action", nargs="?", default="status", choices=["status", "clear", "clear-expired", "verify", "seed"],
        help="clear-expired also removes entries that fail today's checks; verify checks every entry and "
        "removes those that fail",
    )  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="verify: list the entries that fail, remove nothing")
    p.set_defaults(handler=_cache)


def _cache(args: argparse.Namespace) -> int:
    from butterfly_lib.http import cache_admin

    if args.action == "status":
        print(cache_admin.status_text())
    elif args.action == "clear":
        print(cache_admin.clear())
    elif args.action == "clear-expired":
        from butterfly_lib.sources.cache_verify import verify

        print(cache_admin.clear_expired())
        print(verify().text(dry_run=False))
    elif args.action == "verify":
        from butterfly_lib.sources.cache_verify import verify

        report = verify(dry_run=args.dry_run)
        print(report.text(dry_run=args.dry_run))
        return 1 if report.failed and args.dry_run else 0
    elif args.action == "seed":
        from butterfly_lib.snapshot import seed_cache

        print(seed_cache())
    return 0


def build_parser() -> argparse.ArgumentParser:
    _load_optional_commands()
    parser = argparse.ArgumentParser(prog="butterfly", description="Butterfly Planner: data, analyses and site.")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in _REGISTRARS:
        register(sub)
    return parser


def _load_optional_commands() -> None:
    """Import modules that register further subcommands (each adds itself with ``@subcommand``)."""
    import importlib

    for mod in ("butterfly_lib.analysis.degree_days.cli", "butterfly_lib.site.cli"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name is None or not mod.startswith(exc.name):
                raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except InvalidInput as exc:
        print(f"butterfly {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ButterflyError as exc:
        print(f"butterfly {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
