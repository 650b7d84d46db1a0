"""``butterfly record [--place P]``: download or refresh each place's observation record, with a progress bar.

Look here to fill a place's record before the first site build. The emergence page builds the record itself, but
a first download of a busy place is hundreds of requests at iNaturalist's one a second; run from a terminal it
shows the count and the time left, and Ctrl-C keeps every page already stored (the next run resumes). The record
goes where the pages look for it (``data/record/``, the settings' ``paths.record_dir``).
"""

from __future__ import annotations

import argparse
import sys

from butterfly_lib.http import get_session
from butterfly_lib.settings import load_settings
from butterfly_lib.sources.inaturalist.record import update_record


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("record", help="download or refresh each place's iNaturalist observation record")
    p.add_argument("--place", default=None, help="one place of site.yml (slug or name); default: every place")
    p.add_argument("--params", default=None, help="the site file (default: site.yml)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(site_file=args.params, offline=False)
    places = [settings.place(args.place)] if args.place else list(settings.places)
    session = get_session(settings.http)
    for p in places:
        report = update_record(p.place, settings.paths.record_dir, taxon_id=p.taxon_id, session=session,
                               progress=sys.stderr)  # fmt: skip
        print(f"{p.name}: record {report.action}, {report.held:,} research-grade observations held, "
              f"{report.requests} request(s), +{report.added} new, {report.updated} updated, {report.deleted} "
              f"deleted, {report.seconds:.1f} s ({settings.paths.record_dir})")  # fmt: skip
    return 0
