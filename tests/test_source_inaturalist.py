"""iNaturalist source through the replay server and the real cached session, on the real recordings in
tests/fixtures/inaturalist (recorded by pyinaturalist with other page sizes; served here regardless)."""

from __future__ import annotations

import json
import math
import warnings
from datetime import date

import pandas as pd
import pytest

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.place import Place
from butterfly_lib.provenance import provenance_of
from butterfly_lib.settings import DEFAULT_PLACE as PORTLAND
from butterfly_lib.sources import inaturalist as inat
from tests.conftest import FIXTURES
from tools.inat_world import without_threads
from tools.replay import Reply

INAT = FIXTURES / "inaturalist"
OBS = "/inaturalist/observations"
COUNTS = "/inaturalist/observations/species_counts"
HIST = "/inaturalist/observations/histogram"
AUG_2020 = inat.DateRange(date(2020, 8, 1), date(2020, 8, 31))


def load(name: str) -> dict:
    return json.loads((INAT / name).read_text())


@pytest.fixture
def server(replay, point_sources_at):
    point_sources_at(replay)
    return replay


def serve_observations(server, records: list[dict], per_page: int = 200) -> None:
    """Serve ``records`` (sorted by id) the way the API pages them with order_by=id and id_above."""
    records = sorted(records, key=lambda r: r["id"])
    cursors = [None] + [records[i - 1]["id"] for i in range(per_page, len(records), per_page)]
    for n, cursor in enumerate(cursors):
        chunk = records[n * per_page : (n + 1) * per_page]
        body = {"total_results": len(records), "page": 1, "per_page": per_page, "results": chunk}
        server.add(OBS, Reply.json(body), params=None if cursor is None else {"id_above": str(cursor)})


def clones(n: int) -> list[dict]:
    """``n`` copies of the two real recorded observations with fresh ids 1..n (for paging volume only), their
    identification threads emptied as a fresh observation has them: those threads are 50 kB of each 59 kB record,
    and 450 full records make pages that cost seconds of JSON to write and read while the paging is the same."""
    real = load("get_observations_page1.json")["results"] + load("get_observations_page2.json")["results"]
    texts = [json.dumps(without_threads(r)) for r in real]  # parsing a text is about ten times cheaper than a deep copy
    out = []
    for i in range(n):
        rec = json.loads(texts[i % 2])
        rec["id"] = i + 1
        out.append(rec)
    return out


# --- observations -------------------------------------------------------------------------------------------


def test_observations_two_recorded_pages_by_id_above(server, session):
    server.add(OBS, Reply.file(INAT / "get_observations_page1.json"))
    server.add(OBS, Reply.file(INAT / "get_observations_page2.json"), params={"id_above": "57754375"})

    frame = inat.observations(PORTLAND, AUG_2020, session=session)

    assert list(frame["id"]) == [57707611, 57754375]
    assert list(frame.columns[:6]) == [
        "id",
        "taxon_id",
        "scientific_name",
        "common_name",
        "rank",
        "observed_on",
    ]
    first = frame.set_index("id").loc[57754375]
    assert first["scientific_name"] == "Danaus plexippus" and first["common_name"] == "Monarch"
    assert first["taxon_id"] == 48662 and first["rank"] == "species"
    assert first["observed_on"] == date(2020, 8, 27)
    assert first["observed_at"] == pd.Timestamp("2020-08-27T08:57:22Z")
    assert (first["latitude"], first["longitude"]) == (50.0949055, -104.71929167)
    assert first["photo_url"] == "https://static.inaturalist.org/photos/92152429/medium.jpg?1598551272"
    assert first["url"] == "https://www.inaturalist.org/observations/57754375"
    assert first["user_login"] == "samroom" and first["license"] == "cc-by-nc"
    assert first["quality_grade"] == "research" and not first["obscured"]
    assert math.isnan(first["positional_accuracy_m"])
    second = frame.set_index("id").loc[57707611]
    assert second["positional_accuracy_m"] == 374 and second["license"] is None
    assert second["place_guess"] == "Michener Dr, Regina, SK, CA"

    sent = server.requests_to(OBS)
    assert len(sent) == 2
    assert sent[0].query["order_by"] == "id" and sent[0].query["order"] == "asc"
    assert sent[0].query["per_page"] == "200" and "id_above" not in sent[0].query
    assert sent[0].query["d1"] == "2020-08-01" and sent[0].query["d2"] == "2020-08-31"
    assert sent[0].query["taxon_id"] == "47224" and sent[0].query["verifiable"] == "true"
    assert sent[0].query["quality_grade"] == "research,needs_id"
    assert (sent[0].query["lat"], sent[0].query["lng"], sent[0].query["radius"]) == (
        "45.52",
        "-122.68",
        "50.0",
    )
    assert sent[1].query["id_above"] == "57754375"

    prov = provenance_of(frame)
    assert prov.source == "inaturalist" and not prov.from_cache
    assert len(prov.parameters["urls"]) == 2 and prov.location == "Portland, Oregon"

    again = inat.observations(PORTLAND, AUG_2020, session=session)
    assert len(server.requests_to(OBS)) == 2, "a second identical call must be served from the cache"
    pd.testing.assert_frame_equal(again, frame)
    assert provenance_of(again).from_cache


@pytest.mark.parametrize("n", [1, 200, 201, 450])
def test_observation_pages_equal_ceil_n_over_200(server, session, n):
    serve_observations(server, clones(n))
    frame = inat.observations(PORTLAND, AUG_2020, session=session)
    assert len(frame) == n and frame["id"].is_monotonic_increasing
    assert len(server.requests_to(OBS)) == math.ceil(n / 200)


def test_cap_warns_and_fetches_only_what_it_keeps(server, session):
    serve_observations(server, clones(450))
    with pytest.warns(UserWarning, match="450 observations match"):
        frame = inat.observations(PORTLAND, AUG_2020, max_results=250, session=session)
    assert len(frame) == 250 and frame["id"].max() == 250
    sent = server.requests_to(OBS)
    assert [r.query["per_page"] for r in sent] == ["200", "50"]
    assert "max_results=250" in provenance_of(frame).notice


def test_empty_results_give_an_empty_frame_with_columns(server, session):
    server.add(OBS, Reply.file(INAT / "get_nonexistent_observation.json"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = inat.observations(PORTLAND, AUG_2020, session=session)
    assert frame.empty and "photo_url" in frame.columns and "observed_on" in frame.columns
    assert len(server.requests_to(OBS)) == 1


def test_nulls_inside_arrays_are_skipped_and_unsafe_urls_dropped(server, session):
    body = load("get_observations_page1.json")
    body["total_results"] = 1
    obs = body["results"][0]
    real_photo = obs["photos"][0]
    obs["photos"] = [None, {"url": "javascript:alert(1)"}, real_photo]
    obs["place_guess"] = "<script>alert(1)</script>"
    server.add(OBS, Reply.json(body))
    frame = inat.observations(PORTLAND, AUG_2020, session=session)
    assert frame.loc[0, "photo_url"] == "https://static.inaturalist.org/photos/92152429/medium.jpg?1598551272"
    assert frame.loc[0, "place_guess"] == "<script>alert(1)</script>"  # raw; escaping is presentation's job


def test_no_photo_with_a_safe_url_leaves_photo_blank(server, session):
    body = load("get_observations_page1.json")
    body["total_results"] = 1
    body["results"][0]["photos"] = [{"url": "javascript:alert(1)"}, {"url": "data:image/png;base64,AAAA"}]
    server.add(OBS, Reply.json(body))
    frame = inat.observations(PORTLAND, AUG_2020, session=session)
    assert frame.loc[0, "photo_url"] is None


def test_null_record_in_results_is_a_clear_error(server, session):
    body = load("get_observations_page1.json")
    body["results"] = [None, *body["results"]]
    server.add(OBS, Reply.json(body))
    with pytest.raises(SourceError, match=r"inaturalist: observation results\[0\] is NoneType") as err:
        inat.observations(PORTLAND, AUG_2020, session=session)
    assert err.value.url.startswith(server.url + OBS)


def test_missing_field_is_a_source_error_naming_source_and_url(server, session):
    body = load("get_observations_page1.json")
    del body["results"][0]["observed_on"]
    server.add(OBS, Reply.json(body))
    with pytest.raises(SourceError) as err:
        inat.observations(PORTLAND, AUG_2020, session=session)
    assert err.value.source == "inaturalist" and "'observed_on'" in str(err.value)
    assert server.url + OBS in str(err.value)


def test_missing_total_results_is_rejected_and_not_cached(server, session):
    body = load("get_observations_page1.json")
    del body["total_results"]
    server.add(OBS, Reply.json(body), Reply.file(INAT / "get_observations_page1.json"))
    with pytest.raises(SourceError, match="total_results"):
        inat.observations(PORTLAND, AUG_2020, session=session)
    server.add(OBS, Reply.file(INAT / "get_observations_page2.json"), params={"id_above": "57754375"})
    frame = inat.observations(PORTLAND, AUG_2020, session=session)  # the bad body was not cached
    assert len(frame) == 2


def test_html_error_page_with_status_200(server, session):
    server.add(OBS, Reply("<!DOCTYPE html><html><body>Maintenance</body></html>", content_type="text/html"))
    with pytest.raises(SourceError, match="HTML page") as err:
        inat.observations(PORTLAND, AUG_2020, session=session)
    assert err.value.source == "inaturalist" and OBS in err.value.url


def test_truncated_json(server, session):
    server.add(OBS, Reply.file(INAT / "get_observations_page1.json", truncate=700))
    with pytest.raises(SourceError) as err:
        inat.observations(PORTLAND, AUG_2020, session=session)
    assert err.value.source == "inaturalist" and OBS in err.value.url


def test_across_years_window_asks_exact_month_days_and_post_filters(server, session):
    # Dec 28 - 14 / + 7 days: Dec 14-31 and Jan 1-4 of every year; the recordings are from late August
    serve_observations(server, clones(2))
    window = inat.AcrossYears(date(2025, 12, 28), 14, 7)
    frame = inat.observations(PORTLAND, window, session=session)
    sent = server.requests_to(OBS)
    assert sorted((r.query["month"], r.query["day"]) for r in sent) == [
        ("1", "1,2,3,4"),
        ("12", ",".join(str(d) for d in range(14, 32))),
    ]
    assert all("d1" not in r.query for r in sent)
    # the replay ignores the filter and answers with August records: the post-filter drops them, visibly
    assert frame.empty and "outside the window dropped" in provenance_of(frame).notice


# --- species counts -----------------------------------------------------------------------------------------


def test_species_counts_single_recorded_page(server, session):
    server.add(COUNTS, Reply.file(INAT / "get_observation_species_counts.json"))
    frame = inat.species_counts(PORTLAND, inat.this_year(date(2025, 6, 1)), session=session)
    sent = server.requests_to(COUNTS)
    assert len(sent) == 1  # a page shorter than the 500 asked for (and confirmed) is the last
    assert sent[0].query["per_page"] == "500" and sent[0].query["page"] == "1"
    assert sent[0].query["d1"] == "2025-01-01" and sent[0].query["d2"] == "2025-06-01"
    assert len(frame) == 9
    top = frame.iloc[0]
    assert (top["taxon_id"], top["scientific_name"], top["common_name"], top["count"]) == (
        48484,
        "Harmonia axyridis",
        "Asian Lady Beetle",
        31,
    )
    assert top["photo_url"] == "https://static.inaturalist.org/photos/4163058/medium.jpg?1467490585"
    assert top["iconic_taxon_name"] == "Insecta" and top["rank"] == "species"
    assert frame["count"].is_monotonic_decreasing and frame["count"].dtype == "int64"
    assert provenance_of(frame).source == "inaturalist"


def test_species_counts_two_recorded_pages(server, session):
    server.add(COUNTS, Reply.file(INAT / "get_all_observation_species_counts_page1.json"))
    server.add(
        COUNTS, Reply.file(INAT / "get_all_observation_species_counts_page2.json"), params={"page": "2"}
    )
    frame = inat.species_counts(PORTLAND, inat.this_year(date(2025, 6, 1)), session=session)
    p1 = load("get_all_observation_species_counts_page1.json")["results"]
    p2 = load("get_all_observation_species_counts_page2.json")["results"]
    assert len(frame) == 22 == len(p1) + len(p2)
    expected = {r["taxon"]["id"]: r["count"] for r in p1 + p2}
    assert dict(zip(frame["taxon_id"].astype(int), frame["count"], strict=True)) == expected
    assert [r.query["page"] for r in server.requests_to(COUNTS)] == ["1", "2"]
    assert len(provenance_of(frame).parameters["urls"]) == 2


def test_species_this_week_across_new_year_sums_disjoint_queries(server, session):
    server.add(COUNTS, Reply.file(INAT / "get_observation_species_counts.json"))
    frame = inat.species_this_week(PORTLAND, date(2026, 1, 3), days_back=10, days_ahead=5, session=session)
    sent = server.requests_to(COUNTS)
    assert sorted((r.query["month"], r.query["day"]) for r in sent) == [
        ("1", "1,2,3,4,5,6,7,8"),
        ("12", "24,25,26,27,28,29,30,31"),
    ]
    one = {r["taxon"]["id"]: r["count"] for r in load("get_observation_species_counts.json")["results"]}
    assert dict(zip(frame["taxon_id"].astype(int), frame["count"], strict=True)) == {
        k: 2 * v for k, v in one.items()
    }
    prov = provenance_of(frame)
    assert prov.parameters["requests"] == 2 and "all years" in prov.parameters["window"]
    inat.species_this_week(PORTLAND, date(2026, 1, 3), days_back=10, days_ahead=5, session=session)
    assert len(server.requests_to(COUNTS)) == 2


def test_species_counts_by_bbox_and_place_id(server, session):
    server.add(COUNTS, Reply.file(INAT / "get_observation_species_counts.json"))
    box = inat.BBox(44.5, -124.2, 46.5, -121.5)
    inat.species_counts(box, inat.this_year(date(2025, 6, 1)), session=session)
    inat.species_counts(
        inat.InatPlace(10), inat.this_year(date(2025, 6, 1)), quality_grades="research", session=session
    )
    q_box, q_place = (r.query for r in server.requests_to(COUNTS))
    assert (q_box["swlat"], q_box["swlng"], q_box["nelat"], q_box["nelng"]) == (
        "44.5",
        "-124.2",
        "46.5",
        "-121.5",
    )
    assert q_place["place_id"] == "10" and "lat" not in q_place and q_place["quality_grade"] == "research"


def test_species_counts_with_family_uses_one_batched_taxa_lookup(server, session):
    counts = load("get_observation_species_counts.json")
    counts["results"] = counts["results"][:1]  # Harmonia axyridis
    server.add(COUNTS, Reply.json(counts))
    anc = counts["results"][0]["taxon"]["ancestor_ids"][:-1]
    # the answer for the ancestors: real taxon records reshaped (ids/ranks/names of Harmonia's lineage)
    ranks = {48486: ("family", "Coccinellidae", "Lady Beetles")}
    lineage = [
        {
            "id": a,
            "name": ranks.get(a, ("", f"taxon {a}"))[1],
            "rank": ranks.get(a, ("no rank",))[0],
            "preferred_common_name": ranks.get(a, ("", "", None))[2] if a in ranks else None,
        }
        for a in anc
    ]
    path = "/inaturalist/taxa/" + ",".join(str(a) for a in sorted(anc))
    server.add(
        path, Reply.json({"total_results": len(lineage), "page": 1, "per_page": 30, "results": lineage})
    )
    frame = inat.species_counts(PORTLAND, inat.this_year(date(2025, 6, 1)), with_family=True, session=session)
    assert frame.loc[0, "family"] == "Coccinellidae" and frame.loc[0, "family_id"] == 48486
    assert len(server.requests_to(path)) == 1


# --- histogram ----------------------------------------------------------------------------------------------


def test_week_of_year_histogram(server, session):
    server.add(HIST, Reply.file(INAT / "get_observation_histogram_week_of_year.json"))
    frame = inat.seasonality(PORTLAND, 47224, session=session)
    assert list(frame["week"]) == list(range(1, 54))
    assert frame.loc[0, "count"] == 35 and frame.loc[52, "count"] == 11
    assert int(frame["count"].sum()) == sum(
        load("get_observation_histogram_week_of_year.json")["results"]["week_of_year"].values()
    )
    q = server.requests_to(HIST)[0].query
    assert q["interval"] == "week_of_year" and q["date_field"] == "observed" and q["taxon_id"] == "47224"


def test_histogram_with_the_wrong_interval_is_an_error(server, session):
    server.add(HIST, Reply.file(INAT / "get_observation_histogram_month_of_year.json"))
    with pytest.raises(SourceError, match="results.week_of_year"):
        inat.seasonality(PORTLAND, session=session)


def test_histogram_null_count_stays_missing(server, session):
    body = load("get_observation_histogram_week_of_year.json")
    body["results"]["week_of_year"]["53"] = None
    server.add(HIST, Reply.json(body))
    frame = inat.seasonality(PORTLAND, session=session)
    assert pd.isna(frame.loc[52, "count"]) and frame.loc[51, "count"] == 150


# --- taxa ---------------------------------------------------------------------------------------------------


def test_taxa_by_id_with_family_from_ancestors(server, session):
    server.add("/inaturalist/taxa/70118", Reply.file(INAT / "get_taxa_by_id.json"))
    frame = inat.taxa([70118], session=session)
    row = frame.iloc[0]
    assert (row["taxon_id"], row["name"], row["common_name"], row["rank"]) == (
        70118,
        "Nicrophorus vespilloides",
        "Lesser Vespillo Burying Beetle",
        "species",
    )
    assert row["family"] == "Staphylinidae" and row["family_id"] == 47951
    assert row["photo_url"].startswith("https://") and "/medium." in row["photo_url"]
    assert len(server.requests) == 1  # ancestors were in the record: no second lookup
    assert provenance_of(frame).expires is not None
    inat.taxon("70118", session=session)
    assert len(server.requests) == 1


def test_taxa_family_from_ancestor_ids_when_ancestors_absent(server, session):
    body = load("get_taxa_by_id.json")
    ancestors = body["results"][0].pop("ancestors")
    server.add("/inaturalist/taxa/70118", Reply.json(body))
    ids = sorted(body["results"][0]["ancestor_ids"])  # 48460 (Life) is asked too, and not answered
    server.add(
        "/inaturalist/taxa/" + ",".join(map(str, ids[:30])),
        Reply.json({"total_results": len(ancestors), "page": 1, "per_page": 30, "results": ancestors}),
    )
    frame = inat.taxa(70118, session=session)
    assert frame.loc[0, "family"] == "Staphylinidae"
    assert len(server.requests) == 2


def test_taxon_not_found(server, session):
    server.add("/inaturalist/taxa/999999", Reply.file(INAT / "get_nonexistent_observation.json"))
    with pytest.raises(inat.TaxonNotFound, match="999999") as err:
        inat.taxa([999999], session=session)
    assert err.value.source == "inaturalist" and "/taxa/999999" in err.value.url
    frame = inat.taxa([999999], missing="drop", session=session)
    assert frame.empty and "999999" in provenance_of(frame).notice


def test_taxa_batches_thirty_ids_a_request(server, session):
    ids = list(range(1, 36))
    server.add(
        "/inaturalist/taxa/" + ",".join(map(str, ids[:30])),
        Reply.file(INAT / "get_nonexistent_observation.json"),
    )
    server.add(
        "/inaturalist/taxa/" + ",".join(map(str, ids[30:])),
        Reply.file(INAT / "get_nonexistent_observation.json"),
    )
    frame = inat.taxa(ids, missing="drop", with_family=False, session=session)
    assert frame.empty and len(server.requests) == 2


# --- validation before any request ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda s: inat.species_counts(PORTLAND, inat.this_year(date(2025, 6, 1)), taxon_id="butterflies", session=s),
        lambda s: inat.species_counts(PORTLAND, inat.this_year(date(2025, 6, 1)), taxon_id=-3, session=s),
        lambda s: inat.species_counts(PORTLAND, inat.this_year(date(2025, 6, 1)), taxon_id=True, session=s),
        lambda s: inat.species_counts(PORTLAND, inat.this_year(date(2025, 6, 1)), quality_grades=["verified"], session=s),
        lambda s: inat.species_counts(PORTLAND, inat.this_year(date(2025, 6, 1)), quality_grades=[], session=s),
        lambda s: inat.species_this_week(PORTLAND, date(2025, 6, 1), days_back=183, session=s),
        lambda s: inat.species_this_week(PORTLAND, date(2025, 6, 1), days_ahead=-1, session=s),
        lambda s: inat.species_this_week(PORTLAND, "June 1st", session=s),
        lambda s: inat.species_counts("Portland", inat.this_year(date(2025, 6, 1)), session=s),
        lambda s: inat.species_counts(PORTLAND, (date(2025, 1, 1), date(2025, 2, 1)), session=s),
        lambda s: inat.observations(PORTLAND, inat.DateRange(date(2025, 6, 2), date(2025, 6, 1)), session=s),
        lambda s: inat.observations(PORTLAND, AUG_2020, max_results=0, session=s),
        lambda s: inat.seasonality(PORTLAND, "47224; DROP", session=s),
        lambda s: inat.taxa([], session=s),
        lambda s: inat.taxa(["x"], session=s),
        lambda s: inat.BBox(46.5, -124.2, 44.5, -121.5),
        lambda s: inat.InatPlace(0),
    ],
)
def test_invalid_input_is_refused_before_any_request(server, session, call):
    with pytest.raises(InvalidInput):
        call(session)
    assert server.requests == []


def test_numeric_string_taxon_id_is_accepted(server, session):
    server.add(HIST, Reply.file(INAT / "get_observation_histogram_week_of_year.json"))
    inat.seasonality(Place("X", 45.0, -122.0, 10.0, inat_place_id=None), "47157", session=session)
    assert server.requests_to(HIST)[0].query["taxon_id"] == "47157"
