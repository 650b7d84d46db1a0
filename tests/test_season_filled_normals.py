"""The season card's January artefact (issue 13): days the offline snapshot filled with a smoothed normal
contribute the normal's daily degree-day increments, and the figure says how much of it is such increments.

Run through the real Open-Meteo clients against the bundled snapshot, and checked against the 2026 accumulated
GDD an earlier planner published (``data/upstream-site/gdd_today.csv``: base 50 °F, modified average, 86 °F cap,
Open-Meteo archive).
"""

from __future__ import annotations

import json
import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from butterfly_lib.analysis.degree_days import season_cum_dd
from butterfly_lib.analysis.degree_days.filled_normals import (
    FILLED_COLUMN,
    days_in_notice,
    filled_days,
    substitute_normal_increments,
)
from butterfly_lib.analysis.season import season_state
from butterfly_lib.http import build_session
from butterfly_lib.http.snapshot import seed_cache
from butterfly_lib.provenance import provenance_of
from butterfly_lib.settings import DEFAULT_ENDPOINTS, DegreeDays, HttpSettings
from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND
from butterfly_lib.site.index_cards import _season
from butterfly_lib.sources.open_meteo.archive import daily_through_today
from butterfly_lib.sources.open_meteo.forecast import forecast_daily
from tools.snapshot import SNAPSHOT_AS_OF

ROOT = Path(__file__).parents[1]
UPSTREAM_GDD = ROOT / "data" / "upstream-site" / "gdd_today.csv"
RULE = DegreeDays()  # the planner's 50/86 °F modified average


def snapshot_dir() -> Path:
    return ROOT / "data" / "snapshot"


@pytest.fixture(scope="module")
def snapshot_data(tmp_path_factory):
    """Portland temperatures 1991 .. 2026-06-13 and the forecast, served offline from the bundled snapshot."""
    cache = tmp_path_factory.mktemp("snapshot") / "snapshot.sqlite"
    seed_cache(cache, snapshot_dir())
    # the real API hosts: the snapshot is keyed by them
    session = build_session(HttpSettings(cache, offline=True, endpoints=tuple(DEFAULT_ENDPOINTS.items())))
    try:
        temps = daily_through_today(PORTLAND, date(1991, 1, 1), SNAPSHOT_AS_OF, session=session, today=SNAPSHOT_AS_OF)
        forecast = forecast_daily(PORTLAND, session=session)
    finally:
        session.close()
    return temps, forecast


@pytest.fixture(scope="module")
def season(snapshot_data):
    temps, forecast = snapshot_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the record's first, partial season
        return season_state(temps, forecast, SNAPSHOT_AS_OF, RULE, (1991, 2020))


def test_the_snapshot_names_its_filled_days_in_the_archive_notice():
    manifest = json.loads((Path(snapshot_dir()) / "manifest.json").read_text())
    text = json.dumps(manifest)
    assert "no recording for 2024-12-10..2026-02-03" in text  # how the snapshot marks them (PROVENANCE.md)
    days = days_in_notice(
        "DERIVED, no recording for 2024-12-10..2026-02-03, 2026-04-10, 2026-04-28: 1991-2020 NOAA USW00024229 "
        "daily normal of the calendar day (31-day smoothed); precipitation null"
    )
    assert len(days) == 421 + 2 and days[0] == pd.Timestamp("2024-12-10") and days[-1] == pd.Timestamp("2026-04-28")
    assert len(days_in_notice("DERIVED from the same-day forecasts (2026-02-04..2026-04-09): ...")) == 0
    assert len(days_in_notice(None)) == 0


def test_filled_days_travel_with_the_frame_the_real_client_returns(snapshot_data):
    temps, _ = snapshot_data
    days = filled_days(temps)
    assert provenance_of(temps).kind == "derived"
    assert days[0] == pd.Timestamp("2024-12-10") and pd.Timestamp("2026-02-03") in days
    assert pd.Timestamp("2026-02-04") not in days and len(days[days.year == 2026]) == 34 + 5


def test_corrected_season_figure_against_normal(season):
    c = season.comparison
    assert c["days_ahead"] == pytest.approx(-2.7, abs=0.1)  # was -4.6 ("5 days behind") with the artefact
    assert c["percentile_rank"] == pytest.approx(43.3, abs=0.1)  # was 40
    assert c["diff_dd"] == pytest.approx(-33.0, abs=0.5)  # was -55.4
    derived = season.derived
    assert derived is c["partly_derived"] and derived["days"] == 39
    assert derived["ranges"].startswith("2026-01-01..2026-02-03, 2026-04-10")
    assert derived["dd"] == pytest.approx(66.0, abs=0.5) and derived["share"] == pytest.approx(0.085, abs=0.005)
    assert derived["text"].startswith("partly derived: 66.0 of 780.6 degree days (8%)")


def test_january_matches_what_the_earlier_planner_published(snapshot_data, season):
    """Mid-February 2026 the planner's archive-based accumulation was 38 °F·days; the artefact gave 15."""
    temps, _ = snapshot_data
    published = pd.read_csv(UPSTREAM_GDD)
    published["day"] = pd.to_datetime(published["date"], format="%B %d, %Y")
    feb = published[published["day"] <= "2026-02-26"].groupby("day")["gdd_base50F"].last()
    assert (feb == 38).all() and len(feb) == 13  # 14..26 February
    corrected = season.cum.reindex(feb.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        uncorrected = season_cum_dd(temps, RULE).reindex(feb.index)
    assert (corrected - feb).abs().max() <= 1.0  # 37.5
    assert (uncorrected - feb).abs().min() >= 20  # 15.3
    assert season.cum.loc["2026-02-03"] == pytest.approx(22.2, abs=0.1)  # the 1991-2020 January increments


def test_days_outside_the_fill_keep_their_own_degree_days(snapshot_data, season):
    temps, _ = snapshot_data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = season_cum_dd(temps, RULE)
    # seasons before 2024 hold no filled day: identical; the normals come from them
    assert (season.cum.loc[:"2023-12-31"] - plain.loc[:"2023-12-31"]).abs().max() == 0
    daily = season.cum.loc["2026-02-04":"2026-04-09"].diff().dropna()
    plain_daily = plain.loc["2026-02-04":"2026-04-09"].diff().dropna()
    assert (daily - plain_daily).abs().max() < 1e-9


def test_an_explicit_filled_column_is_used_and_a_clean_frame_is_unchanged():
    dates = pd.date_range("2019-12-25", "2021-01-10", freq="D")
    frame = pd.DataFrame({"date": dates, "tmax_f": 60.0, "tmin_f": 40.0})
    frame.loc[frame["date"].dt.month == 6, ["tmax_f", "tmin_f"]] = [80.0, 60.0]
    frame[FILLED_COLUMN] = frame["date"].between("2021-01-01", "2021-01-03")
    days = filled_days(frame)
    assert list(days) == list(pd.date_range("2021-01-01", "2021-01-03"))
    dd = pd.Series(1.0, index=dates)
    dd.loc["2020-01-01":"2020-01-03"] = [4.0, 5.0, 6.0]
    out, substituted = substitute_normal_increments(dd, days, (2020, 2020))
    assert out.loc["2021-01-01":"2021-01-03"].tolist() == [4.0, 5.0, 6.0]
    assert substituted.sum() == 15.0
    clean = frame.drop(columns=FILLED_COLUMN)
    assert len(filled_days(clean)) == 0
    same, none = substitute_normal_increments(dd, filled_days(clean), (2020, 2020))
    assert same is dd and none.empty


def test_card_says_the_figure_is_partly_derived_and_by_how_much(season):
    from dataclasses import asdict

    from butterfly_lib.pages.degree_days import DegreeDaysResult
    from butterfly_lib.pages.result import PageResult

    ctx = type("Ctx", (), {"place": type("P", (), {"dd": RULE})(), "as_of": SNAPSHOT_AS_OF})()
    result = DegreeDaysResult(context=ctx, season=season, by_source={})  # type: ignore[arg-type]
    assert isinstance(result, PageResult)
    summary = asdict(result.summary)
    assert summary["days_ahead"] == -2.7 and summary["percentile_rank"] == 43.3
    assert summary["partly_derived"].startswith("partly derived: 66.0 of 780.6 degree days (8%)")
    html = _season(summary)
    assert "3 days behind normal" in html and "partly derived" in html and "2026-01-01..2026-02-03" in html
    assert "partly derived" not in _season({**summary, "partly_derived": ""})
