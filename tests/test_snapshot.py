"""The offline snapshot: round trip through the real clients, provenance labels, misses, fake-API semantics."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from butterfly_lib.errors import OfflineCacheMiss
from butterfly_lib.http import build_session
from butterfly_lib.http.snapshot import seed_cache as _seed
from butterfly_lib.settings import DEFAULT_ENDPOINTS, PROJECT_ROOT, HttpSettings
from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND
from butterfly_lib.sources import inaturalist as inat
from butterfly_lib.sources.noaa.daily_summaries import noaa_daily
from butterfly_lib.sources.open_meteo.archive import daily_through_today
from butterfly_lib.sources.open_meteo.ensemble import ensemble
from butterfly_lib.sources.open_meteo.forecast import forecast_daily, forecast_minutely_15
from tools.snapshot import SNAPSHOT_AS_OF
from tools.snapshot import recordings as rec
from tools.snapshot.fake_inaturalist import haversine_km
from tools.snapshot.responders import HOSTS, SnapshotAdapter, route

SNAPSHOT_DIR = PROJECT_ROOT / "data" / "snapshot"


def snapshot_dir() -> Path:
    return SNAPSHOT_DIR


def seed_cache(cache: Path) -> str:
    return _seed(cache, SNAPSHOT_DIR)


def real_session(cache: Path, *, offline: bool):
    """A session for the real API hosts (the snapshot's keys are the real URLs), without rate limits."""
    return build_session(HttpSettings(cache_file=cache, offline=offline, endpoints=tuple(DEFAULT_ENDPOINTS.items()), rate_limits=()))

OBS = "https://api.inaturalist.org/v1/observations"
MAX_SNAPSHOT_BYTES = 5_000_000


@pytest.fixture
def recording(tmp_path):
    """A session whose real API hosts are answered in-process by the snapshot's fakes (as when recording)."""
    s = real_session(tmp_path / "record.sqlite", offline=False)
    for host in HOSTS:
        s.mount(f"https://{host}/", SnapshotAdapter())
    yield s
    s.close()


@pytest.fixture
def offline(tmp_path):
    cache = tmp_path / "snapshot.sqlite"
    seed_cache(cache)
    s = real_session(cache, offline=True)
    yield s
    s.close()


def _calls():
    """Requests the pages make (the snapshot is recorded through them), made again through the real clients."""
    return {
        "forecast": lambda s: forecast_daily(PORTLAND, session=s),
        "minutely": lambda s: forecast_minutely_15(PORTLAND, session=s),
        "archive": lambda s: daily_through_today(
            PORTLAND, date(1991, 1, 1), SNAPSHOT_AS_OF, session=s, today=SNAPSHOT_AS_OF
        ),
        "species_this_week": lambda s: inat.species_this_week(PORTLAND, SNAPSHOT_AS_OF, session=s),
        "sightings_this_week": lambda s: inat.sightings_this_week(PORTLAND, SNAPSHOT_AS_OF, session=s),
        "noaa": lambda s: noaa_daily(
            "USW00024229", date(2015, 1, 1), SNAPSHOT_AS_OF, session=s, today=SNAPSHOT_AS_OF
        ),
    }


@pytest.mark.parametrize("name", list(_calls()))
def test_round_trip_through_real_clients(name, recording, offline):
    call = _calls()[name]
    live = call(recording)
    served = call(offline)
    pd.testing.assert_frame_equal(live.reset_index(drop=True), served.reset_index(drop=True))
    prov = served.attrs["provenance"]
    assert prov.from_cache and prov.offline and not prov.stale
    if name == "species_this_week":
        assert prov.kind == "derived" and "sample" in prov.notice


def test_ensemble_round_trip_and_simulated_label(recording, offline):
    live, served = ensemble(PORTLAND, session=recording), ensemble(PORTLAND, session=offline)
    for var in live.data_vars:
        np.testing.assert_allclose(live[var].values, served[var].values, equal_nan=True)
    prov = served.attrs["provenance"]
    assert prov.kind == "simulated" and "SIMULATED" in prov.notice and "seed" in prov.notice
    # member 0 is the real forecast issued on the snapshot date; the spread grows with lead time
    issue = rec.issue_of(SNAPSHOT_AS_OF)
    np.testing.assert_allclose(served["tmax_c"].sel(member=0).values, issue["high"].to_numpy(float))
    spread = served["tmax_c"].std("member").values
    assert spread[-4:].mean() > 2 * spread[:3].mean()


def test_kind_and_notice_reach_provenance(offline):
    arch = daily_through_today(
        PORTLAND, date(1991, 1, 1), SNAPSHOT_AS_OF, session=offline, today=SNAPSHOT_AS_OF
    )
    prov = arch.attrs["provenance"]
    assert prov.kind == "derived"
    assert "same-day forecasts" in prov.notice and "1991-2020" in prov.notice
    fc = forecast_daily(PORTLAND, session=offline)
    assert fc.attrs["provenance"].kind == "observed"
    assert "issued 2026-06-13" in fc.attrs["provenance"].notice
    # wind and precipitation probability were never recorded: missing, not invented
    assert fc["wind_speed_max_kmh"].isna().all() and fc["precipitation_probability_pct"].isna().all()
    issue = rec.issue_of(SNAPSHOT_AS_OF)
    assert fc["tmax_c"].tolist() == issue["high"].astype(float).tolist()
    assert np.allclose(fc["sunshine_h"], issue["sunshine_h"])


def test_request_not_in_snapshot_names_the_url(offline):
    with pytest.raises(OfflineCacheMiss) as err:
        forecast_daily(PORTLAND, forecast_days=5, session=offline)
    assert "api.open-meteo.com/v1/forecast" in str(err.value) and "forecast_days=5" in str(err.value)


def test_seed_is_idempotent(tmp_path):
    cache = tmp_path / "c.sqlite"
    first = seed_cache(cache)
    second = seed_cache(cache)
    assert first == second
    s = real_session(cache, offline=True)
    n = len(json.loads((snapshot_dir() / "manifest.json").read_text())["responses"])
    assert len(s.cache.responses) == n
    s.close()


def test_snapshot_is_small_and_consistent():
    folder = snapshot_dir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["as_of"] == SNAPSHOT_AS_OF.isoformat()
    total = sum(p.stat().st_size for p in folder.iterdir())
    assert total < MAX_SNAPSHOT_BYTES
    assert (folder / "PROVENANCE.md").exists()
    files = {p.name for p in folder.iterdir()} - {"manifest.json", "PROVENANCE.md"}
    assert files == {e["file"] for e in manifest["responses"]}
    for e in manifest["responses"]:
        assert e["url"].startswith("https://") and e["kind"] in ("observed", "derived", "simulated")
        assert e["inputs"], e["url"]
        if e["kind"] != "observed":
            assert e["notice"].upper().count(e["kind"].upper()) >= 1, e["url"]


def test_snapshot_date_has_real_forecast_and_sunshine():
    assert len(rec.issue_of(SNAPSHOT_AS_OF)) == 16
    assert len(rec.sunshine_15min(SNAPSHOT_AS_OF)) > 40


def _obs(**q) -> dict:
    answer = route(f"{OBS}?{urlencode(q)}", SNAPSHOT_AS_OF)
    assert answer.status == 200, answer.body[:300]
    return json.loads(answer.body)


@settings(max_examples=15, deadline=None)
@given(per_page=st.integers(1, 200), month=st.integers(4, 8))
def test_id_above_paging_returns_every_match_once_in_order(per_page, month):
    full = _obs(taxon_id=47224, month=month, per_page=200, order_by="id", order="asc")
    total = full["total_results"]
    seen, cursor = [], 0
    while True:
        page = _obs(
            taxon_id=47224, month=month, per_page=per_page, order_by="id", order="asc", id_above=cursor
        )
        ids = [r["id"] for r in page["results"]]
        assert page["total_results"] == total - len(seen)
        if not ids:
            break
        seen += ids
        cursor = ids[-1]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == total


def test_radius_box_and_date_filters():
    got = _obs(lat=45.52, lng=-122.68, radius=30, per_page=200, order_by="id", order="asc")
    pts = np.array([r["geojson"]["coordinates"] for r in got["results"]])
    assert len(pts) and (haversine_km(45.52, -122.68, pts[:, 1], pts[:, 0]) <= 30).all()
    s = rec.sightings().dropna(subset=["taxon_id"])
    inside = haversine_km(45.52, -122.68, s["latitude"].to_numpy(), s["longitude"].to_numpy()) <= 30
    assert got["total_results"] == int(inside.sum())
    box = _obs(swlat=45.0, swlng=-123.0, nelat=45.6, nelng=-122.5, per_page=200)
    for r in box["results"]:
        lng, lat = r["geojson"]["coordinates"]
        assert 45.0 <= lat <= 45.6 and -123.0 <= lng <= -122.5
    dated = _obs(d1="2020-06-01", d2="2020-06-30", per_page=200)
    assert dated["results"] and all(
        "2020-06-01" <= r["observed_on"] <= "2020-06-30" for r in dated["results"]
    )
    june = _obs(month=6, day="10,11", per_page=200)
    assert all(r["observed_on"][5:] in ("06-10", "06-11") for r in june["results"])
    species = _obs(taxon_id=49133, per_page=200)
    assert species["results"] and {r["taxon"]["id"] for r in species["results"]} == {49133}
    assert all(r["user"] is None and r["positional_accuracy"] is None for r in species["results"])


def test_unknown_requests_get_a_404_naming_what_is_missing():
    a = route("https://api.inaturalist.org/v1/places/nearby?lat=1", SNAPSHOT_AS_OF)
    assert a.status == 404 and b"places/nearby" in a.body
    b = route(f"{OBS}?unicorn=1", SNAPSHOT_AS_OF)
    assert b.status == 404 and b"unicorn" in b.body
    c = route(
        "https://api.open-meteo.com/v1/forecast?latitude=10&longitude=10&daily=weather_code&timezone=America/Los_Angeles",
        SNAPSHOT_AS_OF,
    )
    assert c.status == 404


def test_noaa_days_after_the_record_are_absent_not_filled():
    q = "dataset=daily-summaries&stations=USW00024229&dataTypes=TMAX,TMIN&startDate=2024-12-01&endDate=2026-06-13&units=standard&includeStationName=true&format=csv"
    a = route(f"https://www.ncei.noaa.gov/access/services/data/v1?{q}", SNAPSHOT_AS_OF)
    lines = a.body.decode().strip().splitlines()
    assert lines[0] == '"STATION","NAME","DATE","TMAX","TMIN"'
    assert lines[-1].split(",")[-3] == '"2024-12-09"' or '"2024-12-09"' in lines[-1]
    assert len(lines) == 1 + 9 and "absent" in a.notice


def test_normals_fill_only_unrecorded_days():
    d = rec.portland_daily(SNAPSHOT_AS_OF)
    assert set(d.loc[date(2025, 3, 1) : date(2026, 2, 3), "origin"]) == {"normal"}
    assert d.loc[date(2026, 6, 12), "origin"] == "forecast"
    assert d.loc[date(2000, 7, 1), "origin"] == "noaa"
    # the one station day without TMAX/TMIN (2022) stays missing: a station gap is not filled
    gaps = d.loc[date(1991, 1, 1) :, "tmax_c"].isna()
    assert gaps.sum() == 1 and gaps[gaps].index[0].year == 2022
