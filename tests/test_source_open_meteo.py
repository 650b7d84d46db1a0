"""Open-Meteo forecast, archive and ensemble clients against the real recordings in tests/fixtures/open-meteo.

Every request goes through the replay server on 127.0.0.1 and the real cached session.
"""

from __future__ import annotations

import copy
import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.place import Place
from butterfly_lib.provenance import provenance_of
from butterfly_lib.sources.open_meteo import (
    archive_daily,
    daily_through_today,
    ensemble,
    ensemble_quantiles,
    forecast_daily,
    forecast_minutely_15,
)
from butterfly_lib.sources.open_meteo.common import parse_block
from tests.conftest import FIXTURES
from tools.replay import Reply

OM = FIXTURES / "open-meteo"
ENSCHEDE = Place("Enschede", 52.276, 6.873, timezone="Europe/Amsterdam")
ENSCHEDE_GMT = Place("Enschede", 52.276, 6.873, timezone="GMT")
FORECAST = "/open_meteo_forecast/forecast"
ARCHIVE = "/open_meteo_archive/archive"
ENSEMBLE = "/open_meteo_ensemble/ensemble"


def load(name: str) -> dict:
    return json.loads((OM / name).read_text())


@pytest.fixture
def server(replay, point_sources_at):
    point_sources_at(replay)
    return replay


# ------------------------------------------------------------------ forecast


def test_forecast_daily_parses_the_real_recording(server, session):
    server.add(FORECAST, Reply.file(OM / "forecast.json"))
    df = forecast_daily(ENSCHEDE, session=session)
    assert list(df.columns) == [
        "date", "tmax_c", "tmin_c", "sunshine_h", "daylight_h", "precipitation_mm",
        "precipitation_probability_pct", "wind_speed_max_kmh", "weather_code", "weather",
    ]  # fmt: skip
    assert [str(d) for d in df["date"]] == [
        "2026-10-03 00:00:00+02:00", "2026-10-04 00:00:00+02:00", "2026-10-05 00:00:00+02:00",
    ]  # fmt: skip
    assert str(df["date"].dt.tz) == "Europe/Amsterdam"
    assert df["tmax_c"].tolist() == [20.6, 20.2, 22.2]
    np.testing.assert_allclose(df["sunshine_h"], np.array([34146.1, 25558.04, 38255.18]) / 3600)
    np.testing.assert_allclose(df["daylight_h"], np.array([41331.18, 41089.74, 40849.16]) / 3600)
    assert df["weather"].tolist() == ["overcast", "fog", "overcast"]
    assert df["precipitation_probability_pct"].tolist() == [0, 8, 0]
    sent = server.requests_to(FORECAST)[0].query
    assert sent["timezone"] == "Europe/Amsterdam"
    assert sent["forecast_days"] == "16" and sent["past_days"] == "0"
    assert sent["daily"].split(",")[0] == "temperature_2m_max" and "sunshine_duration" in sent["daily"]
    prov = provenance_of(df)
    assert prov.source == "open_meteo_forecast" and prov.location == "Enschede" and not prov.from_cache


def test_second_identical_call_makes_no_request(server, session):
    server.add(FORECAST, Reply.file(OM / "forecast.json"))
    first = forecast_daily(ENSCHEDE, session=session)
    second = forecast_daily(ENSCHEDE, session=session)
    assert len(server.requests_to(FORECAST)) == 1
    assert provenance_of(second).from_cache
    pd.testing.assert_frame_equal(first, second)


def test_nulls_inside_arrays_stay_missing(server, session):
    server.add(FORECAST, Reply.file(OM / "forecast_16_days.json"))
    df = forecast_daily(ENSCHEDE_GMT, variables=["temperature_2m_max", "weather_code"], session=session)
    assert df["tmax_c"].iloc[0] == 18.3 and np.isnan(df["tmax_c"].iloc[1])
    assert df["weather_code"].dtype == "Int64"
    assert df["weather_code"].iloc[0] == 0 and df["weather_code"].isna().iloc[1]
    assert df["weather"].iloc[0] == "clear sky" and pd.isna(df["weather"].iloc[1])


def test_minutely_15_real_recording(server, session):
    server.add(FORECAST, Reply.file(OM / "forecast_minutely_15.json"))
    df = forecast_minutely_15(ENSCHEDE, variables=["temperature_2m", "is_day"], session=session)
    assert df["time"].diff().dropna().eq(pd.Timedelta(minutes=15)).all()
    assert str(df["time"].iloc[0]) == "2026-10-03 12:30:00+02:00"
    assert df["is_day"].tolist() == [1, 1, 1, 1]
    sent = server.requests_to(FORECAST)[0].query
    assert sent["forecast_minutely_15"] == str(3 * 96) and sent["timezone"] == "Europe/Amsterdam"
    assert sent["minutely_15"] == "temperature_2m,is_day"


def test_subdaily_sunshine_seconds_become_minutes():
    payload = load("forecast.json")
    df = parse_block(
        payload, "hourly", ["sunshine_duration", "is_day"], timezone="Europe/Amsterdam", source="s", url="u"
    )
    raw = np.array(payload["hourly"]["sunshine_duration"], dtype=float)
    np.testing.assert_allclose(df["sunshine_min"], raw / 60)
    assert (df["sunshine_min"] <= 60).all()


def test_fahrenheit_is_converted_not_mislabelled():
    payload = load("forecast.json")
    payload["daily_units"]["temperature_2m_max"] = "°F"
    df = parse_block(
        payload, "daily", ["temperature_2m_max"], timezone="Europe/Amsterdam", source="s", url="u"
    )
    np.testing.assert_allclose(df["tmax_c"], (np.array([20.6, 20.2, 22.2]) - 32) * 5 / 9)


def test_unknown_unit_raises(server, session):
    payload = load("forecast.json")
    payload["daily_units"]["wind_speed_10m_max"] = "furlongs/fortnight"
    server.add(FORECAST, Reply.json(payload))
    with pytest.raises(SourceError, match="furlongs") as err:
        forecast_daily(ENSCHEDE, session=session)
    assert "open_meteo_forecast" in str(err.value) and "/forecast?" in str(err.value)


def test_a_field_missing_raises_and_is_not_cached(server, session):
    broken = load("forecast.json")
    del broken["daily"]["sunshine_duration"]
    server.add(FORECAST, Reply.json(broken), Reply.file(OM / "forecast.json"))
    with pytest.raises(SourceError, match="sunshine_duration"):
        forecast_daily(ENSCHEDE, session=session)
    df = forecast_daily(ENSCHEDE, session=session)  # the bad body was not cached: asks again
    assert len(server.requests_to(FORECAST)) == 2 and len(df) == 3


def test_ragged_array_raises(server, session):
    broken = load("forecast.json")
    broken["daily"]["temperature_2m_min"] = broken["daily"]["temperature_2m_min"][:2]
    server.add(FORECAST, Reply.json(broken))
    with pytest.raises(SourceError, match="2 values for 3 time steps"):
        forecast_daily(ENSCHEDE, session=session)


def test_html_page_with_status_200(server, session):
    server.add(
        FORECAST, Reply("<!DOCTYPE html><html><body>Maintenance</body></html>", content_type="text/html")
    )
    with pytest.raises(SourceError, match="HTML") as err:
        forecast_daily(ENSCHEDE, session=session)
    assert "open_meteo_forecast" in str(err.value) and "127.0.0.1" in str(err.value)


def test_truncated_json(server, session):
    body = (OM / "forecast.json").read_text()[:500]
    server.add(FORECAST, Reply(body))
    with pytest.raises(SourceError, match="malformed JSON"):
        forecast_daily(ENSCHEDE, session=session)


def test_connection_cut_mid_body(server, session):
    server.add(FORECAST, Reply.file(OM / "forecast.json", truncate=400))
    with pytest.raises(SourceError, match="open_meteo_forecast"):
        forecast_daily(ENSCHEDE, session=session)


def test_empty_result_gives_an_empty_frame_with_columns(server, session):
    empty = load("forecast.json")
    empty["daily"] = {k: [] for k in empty["daily"]}
    server.add(FORECAST, Reply.json(empty))
    df = forecast_daily(ENSCHEDE, session=session)
    assert df.empty and "tmax_c" in df.columns and "weather" in df.columns


def test_timezone_mismatch_is_refused(server, session):
    server.add(FORECAST, Reply.file(OM / "forecast.json"))
    portland_like = Place("Elsewhere", 52.276, 6.873, timezone="America/Los_Angeles")
    with pytest.raises(SourceError, match="Europe/Amsterdam"):
        forecast_daily(portland_like, session=session)


def test_multi_location_list_where_one_expected(server, session):
    server.add(FORECAST, Reply.json([load("forecast.json"), load("forecast.json")]))
    with pytest.raises(SourceError, match="one location object"):
        forecast_daily(ENSCHEDE, session=session)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"forecast_days": 17},
        {"forecast_days": 0},
        {"past_days": 93},
        {"past_days": -1},
        {"forecast_days": 2.5},
        {"variables": ["temperature_2m_max", "snow_depth_max"]},
        {"variables": []},
    ],
)
def test_forecast_validation_before_any_request(server, session, kwargs):
    with pytest.raises(InvalidInput):
        forecast_daily(ENSCHEDE, session=session, **kwargs)
    assert server.requests == []


# ------------------------------------------------------------------ archive


def test_archive_real_recording_and_one_request_for_decades(server, session):
    server.add(ARCHIVE, Reply.file(OM / "historical_weather.json"))
    variables = ["precipitation_sum", "wind_gusts_10m_max"]
    df = archive_daily(ENSCHEDE, "1953-01-31", "1985-12-31", variables=variables, session=session)
    assert df["precipitation_mm"].head(2).tolist() == [11.9, 12.5]
    assert df["wind_gusts_max_kmh"].head(2).tolist() == [89.6, 84.2]
    assert str(df["date"].iloc[0]) == "1953-01-31 00:00:00+01:00"
    # the recording was trimmed to two days: the other days of the range are rows of missing values, said so
    assert len(df) == (date(1985, 12, 31) - date(1953, 1, 31)).days + 1
    assert df.attrs["absent_days"] == len(df) - 2 and df["precipitation_mm"].iloc[2:].isna().all()
    assert f"{len(df) - 2} of {len(df)} days were absent" in provenance_of(df).notice
    again = archive_daily(
        ENSCHEDE, date(1953, 1, 31), date(1985, 12, 31), variables=variables, session=session
    )
    hits = server.requests_to(ARCHIVE)
    assert len(hits) == 1  # 33 years, one request; the repeat came from the cache
    assert hits[0].query["start_date"] == "1953-01-31" and hits[0].query["end_date"] == "1985-12-31"
    assert hits[0].query["timezone"] == "Europe/Amsterdam" and "models" not in hits[0].query
    assert provenance_of(again).from_cache
    assert provenance_of(df).expires is None  # wholly in the past: historical tier


def test_archive_model_is_sent(server, session):
    server.add(ARCHIVE, Reply.file(OM / "historical_weather.json"))
    archive_daily(
        ENSCHEDE,
        "1953-01-31",
        "1953-02-01",
        variables=["precipitation_sum"],
        model="era5_seamless",
        session=session,
    )
    assert server.requests_to(ARCHIVE)[0].query["models"] == "era5_seamless"


def test_archive_answer_for_another_span_is_refused(server, session):
    server.add(ARCHIVE, Reply.file(OM / "historical_weather.json"))
    with pytest.raises(SourceError, match="1953-01-31"):
        archive_daily(ENSCHEDE, "2000-01-01", "2000-12-31", variables=["precipitation_sum"], session=session)


@pytest.mark.parametrize(
    ("start", "end", "kw"),
    [
        ("1939-12-31", "1950-01-01", {}),
        ("2000-02-01", "2000-01-01", {}),
        ("2000-01-01", "2999-01-01", {}),
        ("2000-01-01", "2000-13-01", {}),
        ("2000-01-01", "2000-02-01", {"model": "era6"}),
        ("2000-01-01", "2000-02-01", {"variables": ["nonsense"]}),
    ],
)
def test_archive_validation_before_any_request(server, session, start, end, kw):
    with pytest.raises(InvalidInput):
        archive_daily(ENSCHEDE, start, end, session=session, **kw)
    assert server.requests == []


def test_stitch_fills_the_archive_lag_from_forecast_past_days(server, session):
    # no real recording of an archive and a forecast of the same days exists; this archive answer is the real
    # forecast.json layout with the archive's lag (trailing nulls) written in
    today = date(2026, 10, 5)
    archive = load("forecast.json")
    days = ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05"]
    archive["daily"] = {
        "time": days,
        "temperature_2m_max": [18.0, 19.0, None, None, None],
        "temperature_2m_min": [9.0, 10.0, None, None, None],
    }
    server.add(ARCHIVE, Reply.json(archive))
    server.add(FORECAST, Reply.file(OM / "forecast.json"))
    df = daily_through_today(
        ENSCHEDE,
        "2026-10-01",
        variables=["temperature_2m_max", "temperature_2m_min"],
        session=session,
        today=today,
    )
    assert [d.date().isoformat() for d in df["date"]] == days
    assert df["source"].tolist() == ["archive", "archive", "forecast", "forecast", "forecast"]
    assert df["tmax_c"].tolist() == [18.0, 19.0, 20.6, 20.2, 22.2]
    assert not df[["tmax_c", "tmin_c"]].isna().any().any()
    fq = server.requests_to(FORECAST)[0].query
    assert fq["past_days"] == "2" and fq["forecast_days"] == "1"
    prov = provenance_of(df)
    assert len(prov.parameters["urls"]) == 2 and "stitched" in prov.notice


def test_stitch_without_lag_makes_only_the_archive_request(server, session):
    server.add(ARCHIVE, Reply.file(OM / "historical_weather.json"))
    df = daily_through_today(
        ENSCHEDE, "1953-01-31", "1953-02-01", variables=["precipitation_sum"], session=session,
        today=date(2026, 10, 5),
    )  # fmt: skip
    assert df["source"].eq("archive").all() and server.requests_to(FORECAST) == []


def test_stitch_as_of_beyond_forecast_horizon(server, session):
    with pytest.raises(InvalidInput, match="end"):
        daily_through_today(ENSCHEDE, "2026-01-01", "2026-10-30", session=session, today=date(2026, 10, 5))
    assert server.requests == []


# ------------------------------------------------------------------ ensemble


def test_ensemble_members_as_a_dimension(server, session):
    server.add(ENSEMBLE, Reply.file(OM / "ensemble.json"))
    ds = ensemble(
        ENSCHEDE_GMT,
        model="icon_seamless",
        resolution="hourly",
        variables=["temperature_2m"],
        forecast_days=2,
        session=session,
    )  # noqa: E501
    assert ds["temperature_c"].dims == ("member", "time")
    assert ds.sizes == {"member": 21, "time": 2}
    raw = load("ensemble.json")["hourly"]
    assert ds["temperature_c"].sel(member=0).values.tolist() == raw["temperature_2m"]
    assert ds["temperature_c"].sel(member=20).values.tolist() == raw["temperature_2m_member20"]
    q = ensemble_quantiles(ds)
    stack = np.array([raw["temperature_2m"]] + [raw[f"temperature_2m_member{i:02d}"] for i in range(1, 21)])
    np.testing.assert_allclose(q["p50"], np.quantile(stack, 0.5, axis=0))
    np.testing.assert_allclose(q["p10"], np.quantile(stack, 0.1, axis=0))
    assert (q["p10"] <= q["p50"]).all() and (q["p50"] <= q["p90"]).all()
    assert q["members"].eq(21).all() and str(q["time"].dt.tz) == "GMT"
    sent = server.requests_to(ENSEMBLE)[0].query
    assert (
        sent["models"] == "icon_seamless" and sent["hourly"] == "temperature_2m" and sent["timezone"] == "GMT"
    )
    assert provenance_of(q).source == "open_meteo_ensemble"


def test_ensemble_daily_and_member_nulls(server, session):
    payload = load("ensemble.json")
    payload["daily"]["temperature_2m_max_member05"] = [None]
    server.add(ENSEMBLE, Reply.json(payload))
    ds = ensemble(ENSCHEDE_GMT, variables=["temperature_2m_max"], session=session)
    assert np.isnan(ds["tmax_c"].sel(member=5).item())
    q = ensemble_quantiles(ds)
    assert q["members"].tolist() == [20] and list(q.columns[:2]) == ["date", "variable"]


def test_ensemble_missing_variable(server, session):
    server.add(ENSEMBLE, Reply.file(OM / "ensemble.json"))
    with pytest.raises(SourceError, match="sunshine_duration"):
        ensemble(ENSCHEDE_GMT, variables=["sunshine_duration"], session=session)


@pytest.mark.parametrize(
    "kw", [{"model": "gfs_maybe"}, {"model": "icon_seamless", "forecast_days": 16}, {"resolution": "weekly"}]
)
def test_ensemble_validation(server, session, kw):
    with pytest.raises(InvalidInput):
        ensemble(ENSCHEDE, session=session, **kw)
    assert server.requests == []


def test_recordings_are_not_changed_by_parsing():
    payload = load("forecast_16_days.json")
    before = copy.deepcopy(payload)
    parse_block(payload, "daily", ["temperature_2m_max"], timezone="GMT", source="s", url="u")
    assert payload == before
