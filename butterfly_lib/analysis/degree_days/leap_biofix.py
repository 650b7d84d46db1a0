"""What a 29 February biofix means in years without 29 February, said in words for the calculator.

Look here for the message ``butterfly degree-days`` prints when its biofix is 29 February (explicitly, or by
default because the input starts on a 29 February) and the input reaches a year that has no 29 February:
those seasons start on 1 March (the rule itself is ``accumulate.season_start``).
"""

from __future__ import annotations

import pandas as pd

from butterfly_lib.analysis.degree_days.accumulate import is_leap_biofix, season_start


def leap_biofix_note(biofix: str, dates: pd.DatetimeIndex) -> str:
    """A one-line note when ``biofix`` is 02-29 and ``dates`` reach a season starting on 1 March, else ``""``."""
    if len(dates) == 0 or not is_leap_biofix(biofix):
        return ""
    first, last = dates.min(), dates.max()
    years = range(first.year - 1, last.year + 1)
    moved = [y for y in years if first <= season_start(y, biofix) <= last and season_start(y, biofix).month == 3]
    if not moved:
        return ""
    shown = ", ".join(str(y) for y in moved[:5]) + (f" and {len(moved) - 5} more" if len(moved) > 5 else "")
    return (
        f"biofix 02-29: accumulation restarts on 29 February in leap years and on 1 March in years without "
        f"29 February ({shown})"
    )
