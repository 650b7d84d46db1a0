"""The ``butterfly`` command (also ``python -m butterfly_lib``): the top of the package's layers.

Look here to add a subcommand: a module in this folder with ``register(subparsers)`` that adds its parser and a
handler (``handler(args) -> exit status``), listed in ``COMMANDS``. Subcommands: ``run`` and ``site``
(``cli.site``), ``degree-days`` (``cli.degree_days``), ``cache`` (``cli.cache``), ``record`` (``cli.record``). Bad input exits with status 2
and a message naming the value; other failures of the package exit with status 1 and say what to do.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from butterfly_lib.cli import cache, degree_days, record, site
from butterfly_lib.errors import ButterflyError, InvalidInput

COMMANDS = (site, degree_days, cache, record)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="butterfly", description="Butterfly Planner: data, analyses and site.")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


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
