"""The record download, observer effort and cell temperatures run offline against the snapshot's fakes of the APIs
(over the real sample ``data/upstream-site/sightings.csv`` and the NOAA airport record), and replay from the cache
with no connection. The fakes reproduce the sample's calendar gaps; they never fill them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from butterfly_lib.analysis.sighting_degree_days import attach_cum_dd
from butterfly_lib.http import build_session
from butterfly_lib.provenance import provenance_of
from butterfly_lib.settings import DEFAULT_ENDPOINTS, DegreeDays, HttpSettings
from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND
from butterfly_lib.sources.inaturalist import record
from butterfly_lib.sources.inaturalist.effort import observer_effort, week_of
from butterfly_lib.sources.open_meteo.cells import cell_temperatures
from tools.snapshot import SNAPSHOT_AS_OF
from tools.snapshot import recordings as rec
from tools.snapshot.fake_inaturalist import haversine_km
from tools.snapshot.responders import HOSTS, SnapshotAdapter, route


def real_hosts(cache, *, offline: bool):
    """A session for the real API hosts (the snapshot's keys), without rate limits."""
    return build_session(HttpSettings(cache, offline=offline, endpoints=tuple(DEFAULT_ENDPOINTS.items()), rate_limits=()))


@pytest.fixture
def fakes(tmp_path):
    """A session whose requests to the real API hosts are answered in-process by the snapshot's fakes."""
    s = real_hosts(tmp_path / "fakes.sqlite", offline=False)
    for host in HOSTS:
        s.mount(f"https://{host}/", SnapshotAdapter())
    yield s
    s.close()


def _sample_in_circle() -> pd.DataFrame:
    s = rec.sightings()
    s = s[s["taxon_id"].notna()]
    km = haversine_km(PORTLAND.latitude, PORTLAND.longitude, s["latitude"].to_numpy(), s["longitude"].to_numpy())
    return s[km <= PORTLAND.radius_km]


def test_record_effort_and_cells_offline_from_the_sample(fakes, tmp_path):
    report = record.update_record(PORTLAND, tmp_path / "store", session=fakes, keep_pages=True, progress=False)
    expected = _sample_in_circle()
    assert report.action == "built" and report.added == len(expected) > 500
    frame = record.sightings(PORTLAND, tmp_path / "store")
    assert set(frame["id"]) == set(expected["observation_id"])  # no observer recorded: nothing collapsed
    days = pd.to_datetime(pd.Series(frame["observed_on"]))
    md = days.dt.strftime("%m-%d")
    assert not md.between("04-10", "05-20").any() and not (md > "08-30").any(), "the gaps are reproduced"
    prov = provenance_of(frame)
    assert "not a complete census" in prov.notice

    first_year = int(days.dt.year.min())
    effort = observer_effort(PORTLAND, first_year, session=fakes, today=SNAPSHOT_AS_OF)
    eprov = provenance_of(effort)
    assert eprov.kind == "derived" and "STAND-IN" in eprov.notice and "calendar gaps" in eprov.notice
    # the stand-in counts are the sample's own sightings per week, so its gap weeks are zero in every year
    weeks = week_of(frame["observed_on"])
    counts = weeks.groupby(["year", "week"]).size()
    e = effort.set_index(["year", "week"])["n_reference"]
    assert (e.reindex(counts.index) == counts).all() and e.sum() == counts.sum()
    gap = effort[(effort["week_start"] >= date(2019, 4, 15)) & (effort["week_start"] <= date(2019, 5, 13))]
    assert len(gap) == 5 and (gap["n_reference"] == 0).all()

    cells = cell_temperatures(frame, timezone=PORTLAND.timezone, today=SNAPSHOT_AS_OF, session=fakes)
    cprov = provenance_of(cells)
    assert cprov.kind == "derived" and "STAND-IN for the ERA5-Land cells" in cprov.notice
    assert cells["cell_elevation_m"].isna().all(), "elevation was not recorded: null, not invented"
    out = attach_cum_dd(frame, cells, dd_rule=DegreeDays())
    assert out["dd_source"].eq("cell").mean() > 0.95
    assert provenance_of(out).kind == "derived"


def test_record_replays_offline_from_the_cache(fakes, tmp_path, monkeypatch):
    record.update_record(PORTLAND, tmp_path / "a", session=fakes, keep_pages=True, progress=False)
    observer_effort(PORTLAND, years=[2018, 2019], session=fakes, today=SNAPSHOT_AS_OF)
    offline = real_hosts(tmp_path / "fakes.sqlite", offline=True)
    try:
        report = record.update_record(PORTLAND, tmp_path / "b", session=offline, progress=False)
        assert report.requests == 0 and report.held == len(_sample_in_circle())
        effort = observer_effort(PORTLAND, years=[2018, 2019], session=offline, today=SNAPSHOT_AS_OF)
        assert provenance_of(effort).from_cache
    finally:
        offline.close()


def test_fake_semantics_only_id_id_updated_since_and_histograms():
    base = "https://api.inaturalist.org/v1/observations"
    q = "lat=45.52&lng=-122.68&radius=50&taxon_id=47224&quality_grade=research&order_by=id&order=asc&per_page=5"
    ids = route(f"{base}?{q}&only_id=true").body
    import json

    body = json.loads(ids)
    assert all(set(r) == {"id"} for r in body["results"]) and len(body["results"]) == 5
    some = [r["id"] for r in body["results"][:2]]
    by_id = json.loads(route(f"{base}?{q}&id={some[0]},{some[1]}").body)
    assert [r["id"] for r in by_id["results"]] == some
    updated = route(f"{base}?{q}&updated_since=2026-06-01T00:00:00%2B00:00")
    assert json.loads(updated.body)["total_results"] == 0 and "no update times" in updated.notice

    hist = route(f"{base}/histogram?lat=45.52&lng=-122.68&radius=50&taxon_id=47224&interval=year"
                 "&date_field=observed&d1=1800-01-01")  # fmt: skip
    years = json.loads(hist.body)["results"]["year"]
    assert all(k.endswith("-01-01") for k in years) and hist.kind == "derived"
    week = route(f"{base}/histogram?lat=45.52&lng=-122.68&radius=50&taxon_id=47158&interval=week"
                 "&date_field=observed&d1=2019-01-01&d2=2019-12-31")  # fmt: skip
    keys = [date.fromisoformat(k) for k in json.loads(week.body)["results"]["week"]]
    assert all(k.weekday() == 0 for k in keys) and "STAND-IN" in week.notice
