"""Degree days on tidy daily frames (``date, tmin, tmax``), and the reader for the calculator's CSV input.
Look here to add a ``dd`` column to a temperature table from any source (NOAA station, Open-Meteo archive,
a user's file).
"""

from __future__ import annotations

from typing import IO

import numpy as np
import pandas as pd

from butterfly_lib.analysis.degree_days.methods import DOUBLE_METHODS, degree_days_array, validate
from butterfly_lib.errors import InvalidInput
from butterfly_lib.settings import DegreeDays

REQUIRED = ("date", "tmin", "tmax")


def _check_frame(frame: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InvalidInput(
            "columns",
            list(frame.columns),
            f"a table with columns {', '.join(REQUIRED)} (missing {', '.join(missing)})",
        )
    bad = frame["tmin"].to_numpy(dtype=float) > frame["tmax"].to_numpy(dtype=float)
    if bad.any():
        i = int(np.argmax(bad))
        row = frame.iloc[i]
        when = pd.Timestamp(row["date"]).date() if pd.notna(row["date"]) else "?"
        raise InvalidInput(
            "tmin", f"{row['tmin']} > tmax {row['tmax']} on {when} (row {i + 1})", "tmin <= tmax on every day"
        )


def read_temperature_csv(path_or_buffer: str | IO[str]) -> pd.DataFrame:
    """Read a CSV with columns ``date, tmin, tmax`` (others are kept) into a frame sorted by date.

    ``date`` becomes datetime64, ``tmin``/``tmax`` floats (empty cells are missing). Raises ``InvalidInput``
    naming the problem for a missing column, an unreadable date or number (with its row), a repeated date,
    or ``tmin > tmax`` (with its date).
    """
    try:
        raw = pd.read_csv(path_or_buffer, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise InvalidInput("input", str(path_or_buffer), "an existing CSV file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidInput("input", str(path_or_buffer), f"a readable CSV file ({exc})") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise InvalidInput(
            "columns",
            list(raw.columns),
            f"a header with {', '.join(REQUIRED)} (missing {', '.join(missing)})",
        )
    frame = raw.copy()
    dates = pd.to_datetime(raw["date"].str.strip(), errors="coerce", format="mixed")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna())[0])
        raise InvalidInput("date", f"{raw['date'].iloc[i]!r} (row {i + 1})", "a date such as 2020-01-31")
    frame["date"] = dates.dt.normalize()
    for col in ("tmin", "tmax"):
        text = raw[col].str.strip()
        num = pd.to_numeric(text.replace({"": None, "NA": None, "NaN": None, "nan": None}), errors="coerce")
        wrong = num.isna() & text.ne("") & ~text.isin(["NA", "NaN", "nan"])
        if wrong.any():
            i = int(np.flatnonzero(wrong)[0])
            raise InvalidInput(
                col, f"{raw[col].iloc[i]!r} on {dates.iloc[i].date()} (row {i + 1})", "a number"
            )
        frame[col] = num.astype(float)
    if frame["date"].duplicated().any():
        dup = frame.loc[frame["date"].duplicated(), "date"].iloc[0]
        raise InvalidInput("date", f"{dup.date()} appears more than once", "one row per date")
    frame = frame.sort_values("date", kind="stable").reset_index(drop=True)
    _check_frame(frame)
    return frame


def daily_degree_days(frame: pd.DataFrame, dd: DegreeDays) -> pd.DataFrame:
    """Copy of ``frame`` (columns ``date, tmin, tmax`` in ``dd.units``) with the daily degree days in ``dd``.

    Thresholds, method and cutoff come from ``dd``. Rows are put in date order. For the double methods the next
    day's minimum is taken from the row dated one day later; when there is none (last day, or a gap) the
    day's own minimum is used. Missing temperatures give a missing ``dd``. ``attrs`` are kept and
    ``attrs["degree_days"]`` records method, cutoff, thresholds and units.
    """
    lower, upper, method, cutoff, units = dd.lower, dd.upper, dd.method, dd.cutoff, dd.units
    canonical = validate(method, cutoff, lower, upper)
    _check_frame(frame)
    out = frame.copy()
    out["date"] = pd.to_datetime(out["date"])
    out = out.sort_values("date", kind="stable").reset_index(drop=True)
    tmin = out["tmin"].to_numpy(dtype=float)
    tmax = out["tmax"].to_numpy(dtype=float)
    tnext = None
    if canonical in DOUBLE_METHODS:
        by_date = pd.Series(tmin, index=out["date"].dt.normalize())
        if by_date.index.has_duplicates:
            dup = by_date.index[by_date.index.duplicated()][0]
            raise InvalidInput("date", f"{dup.date()} appears more than once", "one row per date")
        nxt = by_date.reindex(by_date.index + pd.Timedelta(days=1)).to_numpy()
        tnext = np.where(np.isnan(nxt), tmin, nxt)
    out["dd"] = degree_days_array(
        tmin, tmax, lower=lower, upper=upper, method=method, cutoff=cutoff, tmin_next=tnext
    )
    out.attrs = dict(frame.attrs)
    out.attrs["degree_days"] = {
        "method": method,
        "cutoff": cutoff,
        "lower": float(lower),
        "upper": float(upper),
        "units": units,
    }
    return out
