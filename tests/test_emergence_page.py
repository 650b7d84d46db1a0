"""The emergence page end to end: a non-Portland place on the replay server (its own record, effort and cells),
the offline snapshot (the issue's "done when"), the species page and the emergence status never contradicting
each other, and how dates, reasons and the card are shown."""

from __future__ import annotations

import math
import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from butterfly_lib.analysis.phenology.place import as_species, place_phenology, species_flying
from butterfly_lib.analysis.phenology.traits import load_traits, window_method
from butterfly_lib.pages import emergence, open_context, species
from butterfly_lib.pages.products import forget_products, products_for
from butterfly_lib.settings import PlaceSettings, Settings, load_settings
from tests.conftest import make_session
from tools.emergence_world import BOISE, SPECIES, plant_record
from tools.inat_world import World
from tools.open_meteo_world import ArchiveWorld, ForecastWorld

#: its tests share a module fixture costly to build: one worker runs them all (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("test_emergence_page")

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2025, 6, 15)


# ------------------------------------------------------------------------------------------------ any place


@pytest.fixture
def boise(replay, tmp_path):
    """Boise's record, effort, cells, temperatures and forecast, all answered by the replay server's worlds."""
    inat = World().install(replay)
    archive = ArchiveWorld().install(replay)
    ForecastWorld().install(replay)
    planted = plant_record(inat, recent={"Papilio rutulus": date(2025, 6, 9)})
    session = make_session(tmp_path / "cache.sqlite", server=replay)
    base = load_settings(env={}, as_of=AS_OF, today=AS_OF)  # the worlds play back what was live that day
    settings = base.with_(
        places=(PlaceSettings(BOISE, temperature_source="open-meteo"),),
        paths=replace(base.paths, record_root=tmp_path / "record", pages_dir=tmp_path / "pages"),
    )
    yield settings, session, planted, archive, replay
    session.close()


def test_a_non_portland_place_gets_profiles_from_its_own_observations_and_temperatures_then_asks_nothing(
    boise, tmp_path
):
    """Boise's emergence page from its own record and cells; then a second run the same day asks nothing, and an
    offline run serves the record from the store without refreshing it."""
    settings, session, planted, archive, server = boise
    ctx = open_context(settings, session=session)
    result = emergence.build(ctx)
    rec = ctx.products.record
    # the record is Boise's: every planted butterfly, in ceil(n/200) pages
    assert rec.report.action == "built" and rec.report.held == len(planted)
    assert rec.report.requests == math.ceil(len(planted) / 200)
    assert set(rec.sightings["id"]) == set(planted["id"])
    # the cells asked are Boise's (43-44° N), never Portland's
    cells = [q for q in archive.queries if q.get("models") == "era5_land"]
    lats = [float(x) for q in cells for x in q["latitude"].split(",")]
    assert cells and all(43.0 < v < 44.2 for v in lats)
    assert (result.phenology.sightings["dd_source"] == "cell").all()
    # the windows come from the planted flights: each species' sample is exactly its past sightings here
    w = result.phenology.windows.set_index("scientific_name")
    past = planted[pd.to_datetime(planted["observed_on"]).dt.year < AS_OF.year]
    for p in SPECIES:
        assert int(w.loc[p.scientific_name, "n"]) == int((past["scientific_name"] == p.scientific_name).sum())
        assert int(w.loc[p.scientific_name, "n_years"]) == 9
        peak = pd.Timestamp(w.loc[p.scientific_name, "peak"]).day_of_year
        assert abs(peak - p.doy_mean) <= 6, (p.scientific_name, peak)
    assert w.loc["Nymphalis antiopa", "method"] == "calendar"
    assert w.loc["Papilio rutulus", "method"] == "degree days"
    # the hindcast is computed on Boise's seasons, and its table carries intervals
    skill = result.skill
    assert len(skill) and np.isfinite(skill["difference_low"]).all() and np.isfinite(skill["difference_high"]).all()
    assert skill["verdict"].str.len().gt(0).all()
    # a sighting six days ago makes the species "flying now", and the page says on what
    st = result.statuses.set_index("scientific_name")
    assert st.loc["Papilio rutulus", "status"] == "flying now" and st.loc["Papilio rutulus", "seen_recently"]
    assert len(server.requests) > 0 and all(r.path.startswith(("/inaturalist", "/open_meteo")) for r in server.requests)
    files = result.write(settings.paths.pages_dir)
    assert {"emergence-windows.csv", "emergence-hindcast.csv", "emergence-summary.json"} <= {f.name for f in files}

    # a second run the same day asks nothing; offline, the record is served without a refresh
    first = ctx.products
    assert len(first.phenology.windows)
    before = len(server.requests)
    forget_products()
    again = products_for(settings, settings.places[0], AS_OF, session)
    assert len(again.phenology.windows) == len(first.phenology.windows)
    assert again.record.report.action == "fresh" and len(server.requests) == before
    forget_products()
    offline = make_session(tmp_path / "cache.sqlite", offline=True, server=server)
    try:
        off = products_for(settings, settings.places[0], AS_OF, offline)
        assert off.record.report is None and len(off.record.sightings) == len(planted)
    finally:
        offline.close()


# ------------------------------------------------------------------------------------------------ the snapshot


@pytest.fixture(scope="module")
def snapshot_pages(tmp_path_factory):
    """The emergence and species pages built offline from the bundled snapshot, in a data folder of their own
    (links to the bundled data; its own snapshot cache and record)."""
    tmp = tmp_path_factory.mktemp("snapshot-pages")
    data = tmp / "data"
    data.mkdir()
    for name in ("snapshot", "noaa", "upstream-site"):
        os.symlink(ROOT / "data" / name, data / name)
    settings = load_settings(env={"BUTTERFLY_DATA_DIR": str(data)}, offline=True)
    ctx = open_context(settings, log=lambda _m: None)
    yield settings, emergence.build(ctx), species.build(ctx)
    from butterfly_lib.http import reset_sessions

    forget_products()
    reset_sessions()


def test_snapshot_no_overwinterer_or_migrant_is_season_over_in_june(snapshot_pages):
    settings, em, _ = snapshot_pages
    assert settings.snapshot is not None and settings.snapshot.month == 6
    traits = load_traits().set_index("scientific_name")
    st = em.statuses
    calendar = [n for n in st["scientific_name"] if n in traits.index and window_method(traits.loc[n]) == "calendar"]
    assert len(calendar) >= 4  # Satyr Comma, California Tortoiseshell, Mourning Cloak, Red Admiral, Painted Lady
    assert not st[st["scientific_name"].isin(calendar)]["status"].eq("season over").any()


def test_snapshot_windows_are_never_one_day_and_show_sample_and_censoring(snapshot_pages):
    _, em, _ = snapshot_pages
    w = em.windows
    assert len(w) >= 10
    assert ((pd.DatetimeIndex(w["end"]) - pd.DatetimeIndex(w["start"])).days >= 6).all()
    assert (w["n"] >= 10).all() and (w["n_years"] >= 3).all() and (w["n_eff"] > 0).all()
    for _, r in w.iterrows():
        for label, col in (("onset", "onset"), ("peak", "peak_text"), ("end", "end_text")):
            censored = label in r["censored"].split(", ")
            assert (r[col] == "not known") == censored, (r["scientific_name"], label, r[col])
            if censored:
                assert label in r["censor_reason"]
    # the sample's April-May hole censors the Western Tiger Swallowtail's onset, with the reason
    wts = w[w["scientific_name"] == "Papilio rutulus"].iloc[0]
    assert wts["onset"] == "not known" and "never" not in wts["censor_reason"] or "no year" in wts["censor_reason"]
    assert "Apr" in wts["censor_reason"] or "May" in wts["censor_reason"]
    html = str(__import__("butterfly_lib.presentation.emergence", fromlist=["x"]).windows_table(w))
    assert "not known" in html and "sightings" in html and "effective" in html


def test_snapshot_sample_is_described_with_its_gaps(snapshot_pages):
    _, em, _ = snapshot_pages
    text = em.sample
    assert text.startswith("**Offline demo:**")
    assert "Never sampled" in text and "Apr" in text and "Sep" in text
    assert "stand-in" in text and "Portland series" in text
    assert f"{em.phenology.sample['past_sightings']:,} research-grade" in text


def test_species_page_and_emergence_status_never_contradict(snapshot_pages):
    _, em, sp = snapshot_pages
    st = em.statuses.set_index("scientific_name")["status"]
    rows = sp.rows
    for name, status in zip(rows["scientific_name"], rows["status"], strict=True):
        key = " ".join(name.split()[:2])
        assert status == st.get(key, ""), name
    flying = {c.scientific_name for c in sp.summary.flying_now}
    soon = {e.scientific_name for e in em.summary.expected_soon}
    assert not flying & soon
    for name in flying:
        assert st.get(" ".join(name.split()[:2]), "") in ("flying now", "")
    for e in em.summary.expected_soon:
        assert e.status in ("expected soon", "later") and st[e.scientific_name] == e.status


# ------------------------------------------------------------------------------------------------ the rules


def _frame(rows):
    f = pd.DataFrame(rows, columns=["scientific_name", "common_name", "taxon_id", "observed_on"])
    f["observed_on"] = pd.to_datetime(f["observed_on"]).dt.date
    return f


def test_subspecies_count_with_their_species():
    f = as_species(_frame([
        ("Icaricia icarioides fenderi", "Fender's Blue", 999, "2020-05-01"),
        ("Icaricia icarioides", "Boisduval's Blue", 520457, "2020-06-01"),
    ]))  # fmt: skip
    assert f["scientific_name"].tolist() == ["Icaricia icarioides"] * 2
    assert f["taxon_id"].tolist() == [520457, 520457] and f["common_name"].tolist() == ["Boisduval's Blue"] * 2


def test_seen_beats_expected(snapshot_pages):
    _, em, _ = snapshot_pages
    products = em.context.products
    later = em.statuses[em.statuses["status"] == "later"]["scientific_name"].iloc[0]
    extra = _frame([(later, "", 1, "2026-06-10")]).assign(cum_dd=np.nan, dd_source="cell", latitude=45.5,
                                                           longitude=-122.6)  # fmt: skip
    sightings = pd.concat([products.sightings, extra], ignore_index=True)
    st = place_phenology(sightings, products.effort, place_cum_dd=products.season.cum,
                         projection=products.season.projection, as_of=date(2026, 6, 13), n_boot=50).statuses
    row = st.set_index("scientific_name").loc[later]
    assert row["status"] == "flying now" and row["seen_recently"] and "seen here on Jun 10" in row["status_text"]
    assert st["scientific_name"].is_unique


def test_no_sighting_this_season_yet(snapshot_pages):
    _, em, _ = snapshot_pages
    products = em.context.products
    days = pd.to_datetime(pd.Series(products.sightings["observed_on"]))
    past_only = products.sightings[(days.dt.year < 2026).to_numpy()]
    ph = place_phenology(past_only, products.effort, place_cum_dd=products.season.cum,
                         projection=products.season.projection, as_of=date(2026, 6, 13), n_boot=50)  # fmt: skip
    assert len(ph.statuses) == len(ph.windows["scientific_name"].unique()) and not ph.statuses["seen_recently"].any()
    assert ph.statuses["last_seen"].isna().all()


def test_species_flying_counts_windows_and_recent_sightings(snapshot_pages):
    _, em, _ = snapshot_pages
    ph = em.phenology
    days = pd.date_range("2026-06-01", "2026-06-30")
    n = species_flying(ph, days)
    w = ph.windows
    for d in (pd.Timestamp("2026-06-13"), pd.Timestamp("2026-06-25")):
        inside = w[(pd.DatetimeIndex(w["start"]) <= d + pd.Timedelta(days=3)) & (pd.DatetimeIndex(w["end"]) >= d - pd.Timedelta(days=3))]
        assert n.loc[d] == inside["scientific_name"].nunique()


def test_dates_are_ranges_unless_degree_days_win():
    d = pd.Timestamp("2026-06-10")
    assert emergence.date_text(d, censored=True) == "not known"
    assert emergence.date_text(pd.NaT, censored=False) == "not reached this season"
    assert emergence.date_text(d, censored=False, precision="day") == "Jun 10"
    assert emergence.date_text(d, censored=False, plus_minus=4) == "Jun 6 – Jun 14"
    assert emergence.date_text(d, censored=False, plus_minus=4, earliest="2026-06-01") == "Jun 1 – Jun 14"
    assert emergence.date_text(d, censored=False) == "about Jun 10"


def test_censoring_reasons_in_words():
    raw = ("onset: in years holding 87% of the weight (2015, 2018) it falls within 14 days of weeks that no year of "
           "the record samples (2020-04-13 – 2020-05-17); end: within 14 days of the end of the record (2026-06-13)")
    text = emergence.reason_text(raw)
    assert text.startswith("onset within 14 days of weeks that no year of the record samples (as in 2020: Apr 13 – "
                           "May 17), in seasons holding 87 % of its sightings' weight")  # fmt: skip
    assert text.endswith("end: within 14 days of the end of the record (2026-06-13)")


def test_settings_keep_the_record_apart_from_the_snapshot_record(tmp_path):
    s = load_settings(env={"BUTTERFLY_DATA_DIR": str(tmp_path)})
    assert s.paths.record_dir == tmp_path / "record"
    moved = s.with_(paths=replace(s.paths, record_root=tmp_path / "elsewhere"))
    back = Settings.from_json(moved.to_json())
    assert back.paths.record_dir == tmp_path / "elsewhere"
    assert "/data/record/" in (ROOT / ".gitignore").read_text()
    offline = load_settings(env={"BUTTERFLY_DATA_DIR": str(ROOT / "data")}, offline=True)
    folder = products_for(offline, offline.places[0], offline.snapshot, make_session(tmp_path / "c.sqlite")).record_folder
    assert folder == ROOT / "data" / "cache" / "snapshot-record" and folder != offline.paths.record_dir


def test_record_command_fills_the_folder_the_pages_read(replay, tmp_path, monkeypatch, capsys):
    from butterfly_lib.cli import main
    from tools.inat_world import make_observation

    world = World().install(replay)
    world.add(*[make_observation(70_000 + i, day=date(2020, 6, 1 + i), lat=45.5, lng=-122.6) for i in range(3)])
    monkeypatch.setenv("BUTTERFLY_INATURALIST_URL", f"{replay.url}/inaturalist")
    monkeypatch.setenv("BUTTERFLY_DATA_DIR", str(tmp_path / "data"))
    assert main(["record"]) == 0
    out = capsys.readouterr().out
    assert "Portland, Oregon: record built, 3 research-grade observations held, 1 request(s)" in out
    assert (tmp_path / "data" / "record" / "observations.duckdb").exists()
    assert main(["record", "--place", "Portland, Oregon"]) == 0
    assert "record fresh" in capsys.readouterr().out


def test_flights_the_species_table_puts_in_gaps_beyond_the_window_censor_its_ends():
    from butterfly_lib.analysis.phenology.place import censor_by_flight_months
    from butterfly_lib.analysis.phenology.windows import WINDOW_COLUMNS

    def window(name, start, end):
        row = {c: np.nan for c in WINDOW_COLUMNS}
        row.update(scientific_name=name, common_name=name, brood=1, n_broods=1, start=pd.Timestamp(start),
                   end=pd.Timestamp(end), peak=pd.Timestamp(start), censored_start=False, censored_peak=False,
                   censored_end=False, censor_reason="")  # fmt: skip
        return row

    w = pd.DataFrame([window("Phyciodes mylitta", "2026-07-09", "2026-08-20"),  # flies Apr-Oct (table)
                      window("Ochlodes sylvanoides", "2026-07-29", "2026-09-05"),  # Jul-Oct: nothing before
                      window("Unknown species", "2026-07-09", "2026-08-20")])  # fmt: skip
    w.attrs["year"] = 2026
    gaps = pd.DataFrame({"start": pd.to_datetime(["2019-04-15", "2019-09-02"]),
                         "end": pd.to_datetime(["2019-05-19", "2019-12-29"]), "kind": "never sampled"})  # fmt: skip
    out = censor_by_flight_months(w, gaps, load_traits()).set_index("scientific_name")
    assert out.loc["Phyciodes mylitta", "censored_start"] and out.loc["Phyciodes mylitta", "censored_end"]
    assert "never samples Apr 15 – May 19 before this onset" in out.loc["Phyciodes mylitta", "censor_reason"]
    assert not out.loc["Ochlodes sylvanoides", "censored_start"] and out.loc["Ochlodes sylvanoides", "censored_end"]
    assert not out.loc["Unknown species", ["censored_start", "censored_end"]].any()
