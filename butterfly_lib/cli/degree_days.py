"""The ``butterfly degree-days`` calculator: read ``date,tmin,tmax`` from a CSV, write
``date,tmin,tmax,dd,cum_dd`` to standard output. Look here for the command's options and output format.

Thresholds default to the planner's rule in the chosen units (50/86 °F, or 10/30 °C with ``--units C``).

``dd`` and ``cum_dd`` are printed rounded to 2 decimals (``cum_dd`` is the running sum of the unrounded daily
values); missing values are empty cells. The accumulation starts on ``--biofix`` (MM-DD), by default the
month and day of the file's first date, and restarts on that day every year; gaps follow the policy of
``accumulate`` (at most 2 missing days interpolated). Bad input raises ``InvalidInput`` (exit status 2).

A biofix of 29 February (given as ``--biofix 02-29``, or by default when the file starts on a 29 February)
starts the accumulation on 29 February in leap years and on 1 March in other years; when the file reaches
such a year the command says so on standard error.

Thresholds: ``--lower``/``--upper`` default to 50/86 °F, or to their Celsius equivalents 10/30 °C with
``--units C``; a threshold given explicitly is taken in ``--units``.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import pandas as pd

from butterfly_lib.analysis.degree_days.accumulate import accumulate
from butterfly_lib.analysis.degree_days.frames import daily_degree_days, read_temperature_csv
from butterfly_lib.analysis.degree_days.leap_biofix import leap_biofix_note
from butterfly_lib.analysis.degree_days.methods import validate
from butterfly_lib.analysis.degree_days.silent_zeros import all_zero_note
from butterfly_lib.errors import InvalidInput
from butterfly_lib.settings import DD_CUTOFFS, DD_METHODS, DEFAULTS, UNITS, DegreeDays

METHOD_HELP = ", ".join(DD_METHODS)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "degree-days",
        help="degree-day calculator: CSV date,tmin,tmax in, CSV date,tmin,tmax,dd,cum_dd out",
        description="Daily and cumulative degree days from a CSV with columns date,tmin,tmax.",
    )
    p.add_argument(
        "--input", required=True, help="CSV file with columns date,tmin,tmax ('-' for standard input)"
    )
    p.add_argument(
        "--lower", type=float, default=None, help="lower threshold, in --units (default 50 °F, or 10 °C)"
    )
    p.add_argument(
        "--upper", type=float, default=None, help="upper threshold, in --units (default 86 °F, or 30 °C)"
    )
    # Methods and cutoffs are validated by the library so the error names the allowed values and exits 2.
    p.add_argument("--method", default="single-sine", help=f"one of: {METHOD_HELP}")
    p.add_argument("--cutoff", default="horizontal", help=", ".join(DD_CUTOFFS))
    p.add_argument("--units", default="F", help="F or C: units of tmin, tmax and the thresholds (default F)")
    p.add_argument(
        "--biofix",
        default=None,
        help="MM-DD on which accumulation restarts (default: first date); 02-29 restarts on 1 March in "
        "years without 29 February",
    )
    p.add_argument(
        "--max-gap", type=int, default=2, help="longest run of missing days to interpolate (default 2)"
    )
    p.set_defaults(handler=run)


def rule_from_args(args: argparse.Namespace) -> DegreeDays:
    """The degree-day rule of the command line; missing thresholds follow ``--units``."""
    if args.units not in UNITS:
        raise InvalidInput("units", args.units, "F or C")
    defaults = DEFAULTS.dd.in_units(args.units)
    lower = defaults.lower if args.lower is None else args.lower
    upper = defaults.upper if args.upper is None else args.upper
    validate(args.method, args.cutoff, lower, upper)
    return DegreeDays(lower=lower, upper=upper, method=args.method, cutoff=args.cutoff, units=args.units)


def run(args: argparse.Namespace) -> int:
    rule = rule_from_args(args)
    source = sys.stdin if args.input == "-" else args.input
    frame = read_temperature_csv(source)
    if frame.empty:
        raise InvalidInput("input", args.input, "a CSV with at least one row of date,tmin,tmax")
    result = daily_degree_days(frame, rule)
    note = all_zero_note(result, rule.lower, rule.units)
    if note:
        print(f"butterfly degree-days: note: {note}", file=sys.stderr)
    biofix = args.biofix or result["date"].iloc[0].strftime("%m-%d")
    dd = pd.Series(result["dd"].to_numpy(), index=pd.DatetimeIndex(result["date"]))
    note = leap_biofix_note(biofix, dd.index)
    if note:
        print(f"butterfly degree-days: note: {note}", file=sys.stderr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cum = accumulate(dd, biofix=biofix, max_gap=args.max_gap)
    for w in caught:
        print(f"butterfly degree-days: warning: {w.message}", file=sys.stderr)
    result["cum_dd"] = cum.reindex(pd.DatetimeIndex(result["date"])).to_numpy()
    out = result[["date", "tmin", "tmax", "dd", "cum_dd"]].copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    for col in ("tmin", "tmax"):
        values = out[col]
        if values.dropna().mod(1).eq(0).all():
            out[col] = values.astype("Int64")
    out["dd"] = out["dd"].round(2)
    out["cum_dd"] = out["cum_dd"].round(2)
    try:
        out.to_csv(sys.stdout, index=False, float_format="%.2f", lineterminator="\n")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`: the reader has what it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
