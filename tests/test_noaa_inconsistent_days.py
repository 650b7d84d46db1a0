"""One inconsistent station day (TMIN above TMAX) must not stop a station's normals (issue 13).

The response is built from the real Portland airport record in ``data/noaa/`` (1991-2020, exactly the Access
Data Service's CSV layout) with one day altered to the values Clatskanie, Oregon, published for 1995-11-01
(TMAX 24, TMIN 25), and served by the replay server through the real NOAA client.
"""

from __future__ import annotations

import csv
import io
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.analysis.degree_days import normals, season_cum_dd
from butterfly_lib.cli import main
from butterfly_lib.provenance import provenance_of
from butterfly_lib.settings import DegreeDays
from butterfly_lib.sources.noaa import noaa_daily, parse_daily_summaries
from butterfly_lib.sources.noaa.consistency import inconsistent_notice
from tools.replay import Reply

RECORD = Path(__file__).parents[1] / "data" / "noaa" / "USW00024229_portland_airport_1940-2024.csv"
PATH = "/noaa/"
START, END = date(1991, 1, 1), date(2020, 12, 31)
TODAY = date(2026, 10, 5)
BAD_DAY = "1995-11-01"


def _day_of(row: str) -> str:
    return next(csv.reader([row]))[2]


def _altered_body() -> tuple[str, str]:
    """The 1991-2020 record as the service returns it, and the same with 1995-11-01 made inconsistent."""
    header, *rows = RECORD.read_text(encoding="utf-8").splitlines()
    assert header.endswith('"TMAX","TMIN"')  # the two values are the last two cells of each row
    rows = [r for r in rows if START.isoformat() <= _day_of(r) <= END.isoformat()]
    altered = [r.rsplit(",", 2)[0] + ',"24","25"' if _day_of(r) == BAD_DAY else r for r in rows]
    return "\n".join([header, *rows]) + "\n", "\n".join([header, *altered]) + "\n"


@pytest.fixture
def server(replay, point_sources_at):
    point_sources_at(replay)
    return replay


def test_inconsistent_day_is_missing_named_and_normals_still_computed(server, session):
    original, altered = _altered_body()
    assert altered != original and altered.count('"24","25"') == 1
    server.add(PATH, Reply(altered, content_type="text/csv"))
    frame = noaa_daily("USW00024229", START, END, session=session, today=TODAY)

    day = frame.loc[frame["date"] == BAD_DAY].iloc[0]
    assert np.isnan(day["tmax_f"]) and np.isnan(day["tmin_f"]) and day["prcp_in"] >= 0
    assert frame.attrs["inconsistent_days"] == [{"date": BAD_DAY, "tmax": 24.0, "tmin": 25.0}]
    notice = provenance_of(frame).notice
    assert "1995-11-01 (TMAX 24, TMIN 25)" in notice and "treated as missing" in notice
    assert "tmax_f 1" in notice  # the real record has no gap 1991-2020: this is the masked day

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one missing day is a short gap: interpolated, no gap warning
        cum = season_cum_dd(frame, DegreeDays())
    table = normals(cum)
    assert table["mean"].notna().all() and (table["n_years"] == 30).all()

    # the masked day moves the normals by the interpolated difference only
    reference = normals(season_cum_dd(parse_daily_summaries(original, url="bundled"), DegreeDays()))
    assert (table["mean"] - reference["mean"]).abs().max() < 0.1


def test_consistent_record_carries_no_notice(server, session):
    original, _ = _altered_body()
    server.add(PATH, Reply(original, content_type="text/csv"))
    frame = noaa_daily("USW00024229", START, END, session=session, today=TODAY)
    assert frame.attrs["inconsistent_days"] == []
    assert "inconsistent" not in (provenance_of(frame).notice or "")


def test_notice_names_the_first_days_and_counts_the_rest():
    days = [{"date": f"2001-01-{d:02d}", "tmax": 30.0, "tmin": 31.5} for d in range(1, 9)]
    text = inconsistent_notice(days)
    assert text.startswith("8 inconsistent days") and "2001-01-01 (TMAX 30, TMIN 31.5)" in text
    assert "2001-01-06" not in text and text.endswith("and 3 more")
    assert inconsistent_notice([]) == ""


def test_users_own_csv_with_the_same_day_is_still_refused_naming_it(capsys, tmp_path):
    _, altered = _altered_body()
    frame = pd.read_csv(io.StringIO(altered), dtype={"DATE": str})
    user = frame.loc[frame["DATE"].str.startswith("1995"), ["DATE", "TMIN", "TMAX"]]
    path = tmp_path / "portland-1995.csv"
    user.rename(columns=str.lower).to_csv(path, index=False)
    code = main(["degree-days", "--input", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "1995-11-01" in err and "25.0 > tmax 24.0" in err


def test_bundled_record_is_unchanged_by_the_rule():
    """The real Portland record has no inconsistent day: nothing is masked there."""
    frame = parse_daily_summaries(RECORD.read_text(encoding="utf-8"), url="bundled")
    assert frame.attrs["inconsistent_days"] == []
    assert pd.Timestamp("2024-12-09") == frame["date"].iloc[-1]
