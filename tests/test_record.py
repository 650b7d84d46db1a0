"""The observation record through the replay server and the real cached session: first build by id, resume
after an interrupted download, the daily refresh (adds, updates, downgrades, deletions), request counts,
deduplication, a non-Portland place. Responses are of the real recorded shape (``tools/inat_world.py``)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.place import Place
from butterfly_lib.provenance import provenance_of
from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND
from butterfly_lib.sources.inaturalist import record
from butterfly_lib.sources.inaturalist.dedup import collapse_duplicates, haversine_m
from butterfly_lib.sources.inaturalist.store import RecordStore, table_for
from tools.inat_world import MOTH_ANCESTRY, World, make_observation

SEATTLE = Place("Seattle, Washington", 47.61, -122.33, radius_km=40.0, timezone="America/Los_Angeles")
LATER = datetime.now(UTC) + timedelta(days=1)


@pytest.fixture
def world(replay, point_sources_at):
    point_sources_at(replay)
    return World().install(replay)


def portland_obs(n: int, first_id: int = 1000, user_mod: int = 50) -> list[dict]:
    """``n`` observations spread over 2008..2025 inside Portland's circle, distinct observers and places."""
    out = []
    for i in range(n):
        out.append(
            make_observation(
                first_id + i,
                day=date(2008 + i % 18, 3 + i % 7, 1 + i % 28),
                lat=45.40 + (i % 17) * 0.01,
                lng=-122.80 + (i % 13) * 0.01,
                user_id=i % user_mod,
                taxon_id=48662 + i % 3,
            )
        )
    return out


def obs_requests(replay) -> list:
    return [r for r in replay.requests if r.path == "/inaturalist/observations"]


# ------------------------------------------------------------------------------------------------ first build


@pytest.mark.parametrize("n", [1, 200, 201, 450])
def test_first_build_costs_ceil_n_over_200_and_a_warm_rerun_costs_nothing(world, replay, session, tmp_path, n):
    world.add(*portland_obs(n))
    report = record.update_record(PORTLAND, tmp_path / "store", session=session, progress=False)

    assert report.action == "built" and report.added == n and report.held == n
    assert report.requests == math.ceil(n / 200) == len(obs_requests(replay))
    first = obs_requests(replay)[0].query
    assert first["order_by"] == "id" and first["order"] == "asc" and first["per_page"] == "200"
    assert first["quality_grade"] == "research" and first["verifiable"] == "true" and first["taxon_id"] == "47224"
    assert (first["lat"], first["lng"], first["radius"]) == ("45.52", "-122.68", "50.0")
    assert "id_above" not in first
    for prev, req in zip(obs_requests(replay), obs_requests(replay)[1:], strict=False):
        assert int(req.query["id_above"]) > int(prev.query.get("id_above", 0))

    again = record.update_record(PORTLAND, tmp_path / "store", session=session, progress=False)
    assert again.action == "fresh" and again.requests == 0
    assert len(obs_requests(replay)) == math.ceil(n / 200)


def test_record_columns_local_dates_and_provenance(world, session, tmp_path):
    late = make_observation(5, day=date(2021, 6, 3), lat=45.5, lng=-122.6, time_utc="03:30:00", user_id=42)
    no_time = make_observation(6, day=date(2021, 6, 3), lat=45.6, lng=-122.6, time_utc=None, user_id=43)
    world.add(late, no_time)
    record.update_record(PORTLAND, tmp_path, session=session, progress=False)
    frame = record.sightings(PORTLAND, tmp_path)

    assert list(frame.columns) == record.SIGHTING_COLUMNS
    row = frame.set_index("id").loc[5]
    # 03:30 UTC on 3 June is the evening of 2 June in Portland
    assert row["observed_on"] == date(2021, 6, 2)
    assert row["observed_at"] == pd.Timestamp("2021-06-03T03:30:00Z")
    assert str(row["observed_at"].tz) == "America/Los_Angeles"
    assert row["user_id"] == 42 and row["user_login"] == "user42" and row["quality_grade"] == "research"
    assert row["updated_at"] == pd.Timestamp("2021-06-03T20:00:00Z")
    assert row["scientific_name"] == "Danaus plexippus" and row["taxon_id"] == 48662
    other = frame.set_index("id").loc[6]
    assert other["observed_on"] == date(2021, 6, 3) and pd.isna(other["observed_at"])
    prov = provenance_of(frame)
    assert prov.source == "inaturalist" and prov.kind == "observed" and prov.location == "Portland, Oregon"
    assert prov.parameters["held"] == 2 and "duplicate" in prov.notice
    assert frame.attrs["first_date"] == date(2021, 6, 2)


def test_pages_leave_the_request_cache_unless_kept(world, session, tmp_path):
    world.add(*portland_obs(250))
    record.update_record(PORTLAND, tmp_path / "a", session=session, progress=False)
    urls = [r.url for r in session.cache.responses.values()]
    assert not [u for u in urls if "/observations?" in u], "committed record pages are not kept twice"

    record.update_record(PORTLAND, tmp_path / "b", session=session, progress=False, keep_pages=True)
    urls = [r.url for r in session.cache.responses.values()]
    assert len([u for u in urls if "/observations?" in u]) == 2


def test_progress_bar_shows_count_and_time_left(world, session, tmp_path):
    import io

    world.add(*portland_obs(450))
    out = io.StringIO()
    record.update_record(PORTLAND, tmp_path, session=session, progress=out)
    text = out.getvalue()
    assert "450/450" in text and "left at the rate limit" in text


# ------------------------------------------------------------------------------------------------ resume


def test_a_download_failing_mid_way_keeps_its_pages_and_resumes_after_them(world, replay, session, tmp_path):
    world.add(*portland_obs(650))
    world.fail_after = 2  # the third page answers 500 (retried, still 500)
    with pytest.raises(SourceError):
        record.update_record(PORTLAND, tmp_path, session=session, progress=False)
    store, table = RecordStore(tmp_path), table_for(PORTLAND, 47224)
    state = store.state(table)
    assert not state.build_complete and store.count(table) == 400
    assert state.cursor_id == 1399

    world.fail_after = None
    before = len(obs_requests(replay))
    report = record.update_record(PORTLAND, tmp_path, session=session, progress=False)
    resumed = obs_requests(replay)[before:]
    assert report.action == "built" and report.requests == 2 == len(resumed)
    assert resumed[0].query["id_above"] == "1399"
    assert store.count(table) == 650 and len(store.held_ids(table)) == 650


def test_ctrl_c_keeps_committed_pages(world, session, tmp_path, monkeypatch, capsys):
    world.add(*portland_obs(650))
    real = RecordStore.upsert
    calls = {"n": 0}

    def interrupted(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(RecordStore, "upsert", interrupted)
    with pytest.raises(KeyboardInterrupt):
        record.update_record(PORTLAND, tmp_path, session=session, progress=False)
    assert "run again to resume" in capsys.readouterr().err
    monkeypatch.setattr(RecordStore, "upsert", real)
    store, table = RecordStore(tmp_path), table_for(PORTLAND, 47224)
    assert store.count(table) == 400
    record.update_record(PORTLAND, tmp_path, session=session, progress=False)
    assert store.count(table) == 650


# ------------------------------------------------------------------------------------------------ refresh


def test_daily_refresh_adds_updates_downgrades_and_deletes_in_a_handful_of_requests(world, replay, session, tmp_path):
    world.add(*portland_obs(450))
    record.update_record(PORTLAND, tmp_path, session=session, progress=False)
    store, table = RecordStore(tmp_path), table_for(PORTLAND, 47224)
    before = len(replay.requests)

    world.add(make_observation(9000, day=date(2025, 7, 1), lat=45.5, lng=-122.6, user_id=77))  # new
    world.add(make_observation(900, day=date(2019, 7, 1), lat=45.5, lng=-122.6, user_id=78,  # old id, uploaded late
                               updated_at=datetime.now(UTC).replace(tzinfo=None)))  # fmt: skip
    reidentified = world.records[1010]["taxon"] | {"id": 50931, "name": "Papilio rutulus"}
    world.edit(1010, taxon=reidentified)  # re-identified to another butterfly
    world.edit(1011, quality_grade="needs_id")  # left research grade
    world.delete(1012)  # deleted by its observer
    moth = {**world.records[1013]["taxon"], "id": 81569, "ancestor_ids": [*MOTH_ANCESTRY, 81569]}
    world.edit(1013, taxon=moth)  # re-identified out of the butterflies: gone from every butterfly query
    report = record.update_record(PORTLAND, tmp_path, session=session, progress=False, now=LATER)

    assert report.action == "refreshed"
    assert report.requests <= 6 and report.requests == len(replay.requests) - before
    held = store.read(table, quality_grade=None).set_index("id")
    assert {9000, 900} <= set(held.index)
    assert held.loc[1010, "scientific_name"] == "Papilio rutulus" and held.loc[1010, "taxon_id"] == 50931
    assert held.loc[1011, "quality_grade"] == "needs_id"
    assert 1012 not in held.index and 1013 not in held.index
    assert report.downgraded == 1 and report.deleted == 2
    frame = record.sightings(PORTLAND, tmp_path)
    assert 1011 not in set(frame["id"]), "the sightings frame is research grade only"
    assert store.count(table) == 450 + 2 - 3
    update_q = [r.query for r in obs_requests(replay)[-10:] if "updated_since" in r.query][0]
    assert "quality_grade" not in update_q and "verifiable" not in update_q

    warm = record.update_record(PORTLAND, tmp_path, session=session, progress=False, now=LATER)
    assert warm.action == "fresh" and warm.requests == 0


def test_refresh_with_nothing_changed_is_three_requests(world, replay, session, tmp_path):
    world.add(*portland_obs(300))
    record.update_record(PORTLAND, tmp_path, session=session, progress=False)
    report = record.update_record(PORTLAND, tmp_path, session=session, progress=False, now=LATER)
    assert report.requests == 3 and report.census_years == [] and report.deleted == 0
    kinds = [r.path.rsplit("/", 1)[-1] for r in replay.requests[-3:]]
    assert kinds == ["observations", "observations", "histogram"]


def test_census_fetches_observations_the_store_lacks(world, session, tmp_path):
    world.add(*portland_obs(100))
    record.update_record(PORTLAND, tmp_path, session=session, progress=False)
    # an observation the refresh cannot see as new or updated (old id, old update time) appears on the server
    world.add(make_observation(500, day=date(2012, 5, 5), lat=45.5, lng=-122.6))
    report = record.update_record(PORTLAND, tmp_path, session=session, progress=False, now=LATER)
    assert report.census_years == [2012] and report.fetched_missing == 1
    assert 500 in RecordStore(tmp_path).held_ids(table_for(PORTLAND, 47224))


# ------------------------------------------------------------------------------------------------ other places


def test_a_non_portland_place_gets_its_own_table_and_circle(world, replay, session, tmp_path):
    world.add(*portland_obs(30))
    seattle = [make_observation(20_000 + i, day=date(2020, 6, 1 + i), lat=47.6 + i * 0.001, lng=-122.3) for i in range(5)]
    world.add(*seattle)
    report = record.update_record(SEATTLE, tmp_path, session=session, progress=False)
    frame = record.sightings(SEATTLE, tmp_path)
    assert report.added == 5 and sorted(frame["id"]) == [20_000 + i for i in range(5)]
    q = obs_requests(replay)[0].query
    assert (q["lat"], q["lng"], q["radius"]) == ("47.61", "-122.33", "40.0")
    record.update_record(PORTLAND, tmp_path, session=session, progress=False)
    assert len(record.sightings(PORTLAND, tmp_path)) <= 30
    assert table_for(SEATTLE, 47224) != table_for(PORTLAND, 47224)
    assert provenance_of(frame).location == "Seattle, Washington"


def test_moving_the_place_starts_a_new_record():
    moved = Place("Portland, Oregon", 45.52, -122.68, radius_km=30.0)
    assert table_for(moved, 47224) != table_for(PORTLAND, 47224)
    assert table_for(PORTLAND, 47157) != table_for(PORTLAND, 47224)


# ------------------------------------------------------------------------------------------------ dedup


def _sightings(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "user_id", "taxon_id", "observed_on", "latitude", "longitude"])


def test_duplicates_same_observer_taxon_day_within_100_m_collapse_to_the_lowest_id():
    d = date(2020, 5, 1)
    north_80m = 45.5 + 80 / 111_195
    north_160m = 45.5 + 160 / 111_195
    frame = _sightings(
        [
            (3, 1, 10, d, 45.5, -122.6),
            (1, 1, 10, d, north_80m, -122.6),  # 80 m from 3: same sighting, lower id kept
            (2, 1, 10, d, north_160m, -122.6),  # 80 m from 1, 160 m from 3: chained into the same group
            (4, 1, 10, d, 45.6, -122.6),  # 11 km away: another sighting
            (5, 2, 10, d, 45.5, -122.6),  # another observer
            (6, 1, 11, d, 45.5, -122.6),  # another taxon
            (7, 1, 10, date(2020, 5, 2), 45.5, -122.6),  # another day
            (8, None, 10, d, 45.5, -122.6),  # unknown observer: never collapsed
            (9, None, 10, d, 45.5, -122.6),
        ]
    )
    out = collapse_duplicates(frame)
    assert sorted(out["id"]) == [1, 4, 5, 6, 7, 8, 9]
    assert out.set_index("id").loc[1, "n_duplicates"] == 2
    assert out["n_duplicates"].sum() == 2
    assert haversine_m(np.array([45.5]), np.array([-122.6]), np.array([north_80m]), np.array([-122.6]))[0] == pytest.approx(80, abs=0.5)


def test_dedup_radius_is_a_parameter_and_bad_values_are_refused():
    d = date(2020, 5, 1)
    frame = _sightings([(1, 1, 10, d, 45.5, -122.6), (2, 1, 10, d, 45.5 + 150 / 111_195, -122.6)])
    assert len(collapse_duplicates(frame)) == 2
    assert len(collapse_duplicates(frame, radius_m=200)) == 1
    with pytest.raises(InvalidInput, match="radius_m"):
        collapse_duplicates(frame, radius_m=-1)


def test_sightings_frame_collapses_duplicate_uploads(world, session, tmp_path):
    a = make_observation(1, day=date(2021, 6, 3), lat=45.5, lng=-122.6, user_id=5)
    b = make_observation(2, day=date(2021, 6, 3), lat=45.5003, lng=-122.6, user_id=5)
    world.add(a, b)
    record.update_record(PORTLAND, tmp_path, session=session, progress=False)
    frame = record.sightings(PORTLAND, tmp_path)
    assert list(frame["id"]) == [1] and frame["n_duplicates"].tolist() == [1]
    assert frame.attrs["duplicates_collapsed"] == 1


# ------------------------------------------------------------------------------------------------ bad input


def test_bad_input_is_refused_before_any_request(tmp_path, session):
    with pytest.raises(InvalidInput, match="place"):
        record.update_record("Portland", tmp_path, session=session)
    with pytest.raises(InvalidInput, match="taxon_id"):
        record.update_record(PORTLAND, tmp_path, taxon_id="butterflies", session=session)
    with pytest.raises(InvalidInput, match="store folder"):
        RecordStore("")
    with pytest.raises(InvalidInput, match="observation record"):
        record.sightings(PORTLAND, tmp_path)
    with pytest.raises(InvalidInput, match="max_age"):
        record.update_record(PORTLAND, tmp_path, max_age=5, session=session)


def test_a_broken_page_is_never_committed(world, replay, session, tmp_path):
    from tools.replay import Reply

    world.add(*portland_obs(10))
    bad = {"total_results": 1, "page": 1, "per_page": 200, "results": [{"id": 1, "observed_on": "2020-01-01"}]}
    replay.add("/inaturalist/observations", Reply.json(bad))
    with pytest.raises(SourceError, match="lacks field"):
        record.update_record(PORTLAND, tmp_path, session=session, progress=False)
    assert RecordStore(tmp_path).count(table_for(PORTLAND, 47224)) == 0
