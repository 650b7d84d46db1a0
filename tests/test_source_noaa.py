"""NOAA daily summaries: the real first-40-days recording through the replay server, faults, the bundled record."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.place import Place
from butterfly_lib.provenance import provenance_of
from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND
from butterfly_lib.settings import PROJECT_ROOT
from butterfly_lib.sources.noaa import bundled_path, load_station_csv, noaa_daily, parse_daily_summaries
from tests.conftest import FIXTURES
from tools.replay import Reply

CSV = FIXTURES / "noaa" / "daily_summaries_USW00024229_first40.csv"
PATH = "/noaa/"
START, END = date(1940, 10, 14), date(1940, 11, 22)
TODAY = date(2026, 10, 5)


@pytest.fixture
def server(replay, point_sources_at):
    point_sources_at(replay)
    return replay


def test_real_recording_parses_to_a_daily_frame(server, session):
    server.add(PATH, Reply.file(CSV))
    df = noaa_daily("USW00024229", START, END, session=session, today=TODAY)
    assert list(df.columns) == ["date", "station", "station_name", "tmax_f", "tmin_f", "prcp_in"]
    assert len(df) == 40 and df["date"].iloc[0].date() == START and df["date"].dt.tz is None
    assert df[["tmax_f", "tmin_f", "prcp_in"]].iloc[0].tolist() == [70.0, 53.0, 0.0]
    assert df["prcp_in"].iloc[3] == 0.13
    assert df["station_name"].iloc[0] == "PORTLAND INTERNATIONAL AIRPORT, OR US"
    assert df.attrs["missing"] == {"tmax_f": 0, "tmin_f": 0, "prcp_in": 0, "absent_days": 0}
    q = server.requests_to(PATH)[0].query
    assert q == {
        "dataset": "daily-summaries", "stations": "USW00024229", "dataTypes": "TMAX,TMIN,PRCP",
        "startDate": "1940-10-14", "endDate": "1940-11-22", "units": "standard", "includeStationName": "true",
        "format": "csv",
    }  # fmt: skip
    prov = provenance_of(df)
    assert prov.source == "noaa" and prov.expires is None and prov.location == "USW00024229"


def test_place_and_cache(server, session):
    server.add(PATH, Reply.file(CSV))
    noaa_daily(PORTLAND, START, END, session=session, today=TODAY)
    again = noaa_daily(PORTLAND, START, END, session=session, today=TODAY)
    assert len(server.requests_to(PATH)) == 1 and provenance_of(again).from_cache


def test_missing_values_and_absent_days_are_counted_not_filled(server, session):
    lines = CSV.read_text().splitlines()
    # day 3 loses TMAX and PRCP (empty fields, as the service writes them); days 10 and 11 are absent
    cells = lines[3].split(",")
    cells[4], cells[6] = "", ""
    lines[3] = ",".join(cells)
    body = "\n".join(lines[:10] + lines[12:]) + "\n"
    server.add(PATH, Reply(body, content_type="text/csv"))
    df = noaa_daily("USW00024229", START, END, session=session, today=TODAY)
    assert len(df) == 40
    assert df.attrs["missing"] == {"tmax_f": 3, "tmin_f": 2, "prcp_in": 3, "absent_days": 2}
    assert np.isnan(df["tmax_f"].iloc[2]) and df["tmin_f"].iloc[2] == 50.0
    assert df[["tmax_f", "tmin_f", "prcp_in"]].iloc[9:11].isna().all().all()
    assert "missing" in provenance_of(df).notice


def test_calendar_extends_to_the_requested_range(server, session):
    server.add(PATH, Reply.file(CSV))
    df = noaa_daily("USW00024229", date(1940, 10, 10), date(1940, 11, 30), session=session, today=TODAY)
    assert len(df) == 52 and df.attrs["missing"]["absent_days"] == 12


def test_changed_header_names_source_url_and_columns(server, session):
    text = CSV.read_text().replace('"TMAX"', '"TMAXX"', 1)
    server.add(PATH, Reply(text, content_type="text/csv"))
    with pytest.raises(SourceError) as err:
        noaa_daily("USW00024229", START, END, session=session, today=TODAY)
    msg = str(err.value)
    assert msg.startswith("noaa:") and "127.0.0.1" in msg and "TMAXX" in msg and "TMAX" in msg


def test_html_page_with_status_200(server, session):
    server.add(PATH, Reply("<html><body>Service unavailable</body></html>", content_type="text/html"))
    with pytest.raises(SourceError, match="HTML"):
        noaa_daily("USW00024229", START, END, session=session, today=TODAY)


def test_non_numeric_value_raises(server, session):
    text = CSV.read_text().replace('"70","53"', '"70","M"', 1)
    server.add(PATH, Reply(text, content_type="text/csv"))
    with pytest.raises(SourceError, match="non-numeric TMIN"):
        noaa_daily("USW00024229", START, END, session=session, today=TODAY)


def test_other_station_in_answer_raises(server, session):
    server.add(PATH, Reply.file(CSV))
    with pytest.raises(SourceError, match="USW00024229"):
        noaa_daily("USW00094728", START, END, session=session, today=TODAY)


def test_empty_body_means_every_day_absent(server, session):
    server.add(PATH, Reply("", content_type="text/csv"))
    df = noaa_daily("USW00024229", START, END, session=session, today=TODAY)
    assert len(df) == 40 and df[["tmax_f", "tmin_f", "prcp_in"]].isna().all().all()
    assert df.attrs["missing"]["absent_days"] == 40


@pytest.mark.parametrize(
    ("station", "start", "end"),
    [
        ("PDX", START, END),
        (Place("Nowhere", 45.0, -122.0), START, END),
        ("USW00024229", END, START),
        ("USW00024229", "1700-01-01", END),
        ("USW00024229", START, "2027-01-01"),
        ("USW00024229", "yesterday", END),
    ],
)
def test_validation_before_any_request(server, session, station, start, end):
    with pytest.raises(InvalidInput):
        noaa_daily(station, start, end, session=session, today=TODAY)
    assert server.requests == []


def test_bundled_record():
    df = load_station_csv(bundled_path(PROJECT_ROOT / "data" / "noaa"))
    assert df["date"].iloc[0].date() == date(1940, 10, 14) and df["date"].iloc[-1].date() == date(2024, 12, 9)
    assert df["date"].diff().dropna().eq(np.timedelta64(1, "D")).all()
    assert df.attrs["missing"] == {"tmax_f": 1, "tmin_f": 1, "prcp_in": 3, "absent_days": 0}
    prov = provenance_of(df)
    assert prov.kind == "observed" and prov.source == "noaa" and "bundled copy" in prov.notice
    assert prov.url.startswith("https://www.ncei.noaa.gov/access/services/data/v1?")
    assert "stations=USW00024229" in prov.url and "startDate=1940-10-14" in prov.url


def test_bundle_and_fixture_agree():
    first40 = parse_daily_summaries(CSV.read_text(), url="fixture")
    bundle = load_station_csv(bundled_path(PROJECT_ROOT / "data" / "noaa")).iloc[:40].reset_index(drop=True)
    assert first40[["tmax_f", "tmin_f", "prcp_in"]].equals(bundle[["tmax_f", "tmin_f", "prcp_in"]])
