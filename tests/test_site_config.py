"""The site's configuration stays consistent: _quarto.yml vs the notebooks and the fallback navbar, site.yml
validation, mode choice without network, and a failing notebook named with its cell."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
import yaml

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.place import Place
from butterfly_lib.settings import (
    PARAMETER_KEYS,
    PROJECT_ROOT,
    Paths,
    Settings,
    load_settings,
    places_from_site,
    read_site_file,
)
from butterfly_lib.site import modes
from butterfly_lib.site.connectivity import ProbeResult, api_hosts, probe_apis
from butterfly_lib.site.fallback import navbar_html
from butterfly_lib.site.modes import ModeChoice, choose_mode
from butterfly_lib.site.navigation import notebook_pages, site_pages
from butterfly_lib.site.runner import PageFailed, run_pages
from tests.conftest import replay_endpoints
from tests.site_helpers import write_notebook

EXPECTED_NAV = [
    ("index", "Home"),
    ("forecast", "Forecast"),
    ("species", "Species"),
    ("sightings_map", "Sightings map"),
    ("degree_days", "Degree days"),
    ("emergence", "Emergence"),
    ("methods", "Methods & data"),
]


def test_navbar_lists_the_pages_in_order():
    assert [(p.name, p.title) for p in site_pages()] == EXPECTED_NAV


def test_every_notebook_is_in_the_navbar():
    in_nav = {p.name for p in notebook_pages()}
    notebooks = {p.stem for p in (PROJECT_ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks <= in_nav, f"notebooks missing from _quarto.yml navbar: {sorted(notebooks - in_nav)}"


def test_every_navbar_page_has_its_notebook():
    missing = [
        p.name for p in notebook_pages() if not (PROJECT_ROOT / "notebooks" / f"{p.name}.ipynb").exists()
    ]
    assert not missing, f"navbar pages without a notebook in notebooks/: {missing}"


def test_fallback_navbar_matches_quarto_navbar():
    for page in site_pages():
        html = navbar_html(site_pages(), page.html_path, "Butterfly Planner")
        texts = re.findall(r'<a (?:class="[^"]*" )?href="[^"]*"[^>]*>([^<]*)</a>', html)
        assert texts[1:] == [t.replace("&", "&amp;") for _, t in EXPECTED_NAV]
        active = re.findall(r'href="([^"]*)" class="active"', html)
        assert len(active) == 1
        assert os.path.normpath(os.path.join(os.path.dirname(page.html_path), active[0])) == page.html_path


def test_quarto_does_not_execute_and_runs_the_runner_first():
    q = yaml.safe_load((PROJECT_ROOT / "_quarto.yml").read_text())
    assert q["project"]["type"] == "website"
    assert q["project"]["pre-render"] == "butterfly run"
    assert q["project"]["output-dir"] == "_site"
    assert q["execute"]["enabled"] is False and q["execute"]["freeze"] is False
    assert "index.qmd" in q["project"]["render"]


def test_index_includes_the_generated_cards():
    assert "{{< include pages/_cards.md >}}" in (PROJECT_ROOT / "index.qmd").read_text()


def test_default_site_yml_is_portland():
    places = read_site_file(PROJECT_ROOT / "site.yml")
    assert [p.name for p in places] == ["Portland, Oregon"]
    assert places[0].slug == "portland-oregon"


def test_unknown_top_level_key_lists_allowed(tmp_path):
    f = tmp_path / "site.yml"
    f.write_text("places: []\nplace: {}\n")
    with pytest.raises(InvalidInput) as e:
        read_site_file(f)
    assert "place" in str(e.value) and "places" in e.value.allowed and "parameters" in e.value.allowed


@pytest.mark.parametrize("where", ["parameters", "place"])
def test_unknown_parameter_lists_allowed(where):
    data = {"parameters": {"unit": "C"}} if where == "parameters" else {"places": [{"place_nam": "X"}]}
    with pytest.raises(InvalidInput) as e:
        places_from_site(data)
    assert "place_name" in e.value.allowed and "dd_method" in e.value.allowed
    assert "output_dir" not in PARAMETER_KEYS and "offline" not in PARAMETER_KEYS


def test_bad_values_and_duplicate_places_are_refused(tmp_path):
    with pytest.raises(InvalidInput, match="latitude"):
        places_from_site({"places": [{"place_name": "Nowhere", "latitude": 123.0}]})
    with pytest.raises(InvalidInput, match="units"):
        places_from_site({"parameters": {"units": "K"}})
    f = tmp_path / "site.yml"
    f.write_text(yaml.safe_dump({"places": [{"place_name": "Bend OR"}, {"place_name": "Bend, OR"}]}))
    with pytest.raises(InvalidInput, match="place_name"):
        load_settings(site_file=f, env={})
    with pytest.raises(InvalidInput, match="--params"):
        load_settings(site_file="/nonexistent/site.yml", env={})


def test_more_places_get_their_own_slug_and_common_parameters():
    places = places_from_site(
        {
            "parameters": {"units": "C", "dd_lower": 10.0, "dd_upper": 30.0},
            "places": [
                {},
                {
                    "place_name": "Eugene, Oregon",
                    "latitude": 44.05,
                    "longitude": -123.09,
                    "units": "F",
                    "dd_lower": 50.0,
                    "dd_upper": 86.0,
                },
            ],
        }
    )
    assert [p.slug for p in places] == ["portland-oregon", "eugene-oregon"]
    assert places[0].dd.units == "C" and places[1].dd.units == "F"
    assert Place("  São Paulo!! ", 0, 0).slug == "sao-paulo"  # accents dropped, not the letter


def test_units_without_thresholds_follow_the_units():
    (p,) = places_from_site({"parameters": {"units": "C"}})
    assert (p.dd.lower, p.dd.upper, p.dd.units) == (10.0, 30.0, "C")


def test_settings_precedence_defaults_site_environment_arguments(tmp_path):
    f = tmp_path / "site.yml"
    f.write_text(yaml.safe_dump({"parameters": {"dd_method": "single-sine"}}))
    s = load_settings(site_file=f, env={"BUTTERFLY_NOAA_URL": "http://127.0.0.1:1/noaa"}, overrides={"dd_upper": 80})
    assert s.place().dd.method == "single-sine" and s.place().dd.upper == 80.0 and s.place().dd.lower == 50.0
    assert s.http.endpoint("noaa") == "http://127.0.0.1:1/noaa"
    assert Settings.from_json(s.to_json()) == s


def test_offline_snapshot_date_is_never_silently_replaced():
    s = load_settings(env={}, offline=True)
    assert s.snapshot is not None and s.as_of_date() == s.snapshot
    with pytest.raises(InvalidInput, match="snapshot's date"):
        load_settings(env={}, offline=True, as_of="2026-06-01")


def test_probe_reports_unreachable_hosts_without_network():
    def connect(addr, timeout):
        if addr[0] == "down.example":
            raise OSError("no route")
        return True

    r = probe_apis([("up.example", 443), ("down.example", 443)], timeout=1.0, connect=connect)
    assert r.reachable == ("up.example:443",) and r.unreachable == ("down.example:443",) and not r.ok


def test_probe_gives_up_at_the_deadline():
    import threading

    release = threading.Event()
    r = probe_apis([("slow.example", 443)], timeout=0.3, connect=lambda a, t: release.wait(5))
    release.set()
    assert r.unreachable == ("slow.example:443",) and r.seconds < 2


def test_probe_of_configured_hosts_stays_on_loopback():
    http = load_settings(env={k: "http://127.0.0.1:9/x" for k in (
        "BUTTERFLY_INATURALIST_URL", "BUTTERFLY_OPEN_METEO_FORECAST_URL", "BUTTERFLY_OPEN_METEO_ARCHIVE_URL",
        "BUTTERFLY_OPEN_METEO_ENSEMBLE_URL", "BUTTERFLY_NOAA_URL")}).http  # fmt: skip
    r = probe_apis(api_hosts(http), timeout=1.0)
    assert r.unreachable == ("127.0.0.1:9",)


def _probe(ok: bool):
    return lambda settings: ProbeResult(("a:443",) if ok else (), () if ok else ("a:443",), 0.01)


def test_modes(tmp_path):
    base = load_settings(env={"BUTTERFLY_DATA_DIR": str(PROJECT_ROOT / "data")})
    live = choose_mode(base, probe=_probe(True))
    assert live.name == "live" and not live.settings.offline
    with pytest.raises(SourceError, match="strict"):
        choose_mode(base.with_(strict=True), probe=_probe(False))
    with pytest.raises(InvalidInput, match="--strict"):
        load_settings(env={}, offline=True, strict=True)
    fell = choose_mode(base, probe=_probe(False), log=lambda s: None)
    assert fell.name == "snapshot" and "unreachable" in fell.reason
    assert fell.settings.http.offline and fell.settings.snapshot.isoformat() == "2026-06-13"
    assert fell.settings.http.cache_file.exists()


def test_missing_snapshot_is_a_clear_error(tmp_path):
    base = load_settings(env={"BUTTERFLY_DATA_DIR": str(tmp_path)})
    with pytest.raises(modes.SnapshotUnavailable, match="manifest.json"):
        choose_mode(base, probe=_probe(False), log=lambda s: None)


def _choice(root, names=("portland",)):
    s = Settings(paths=Paths(root=root, data_dir=root / "data", pages_dir=root / "pages", site_file=None))
    return ModeChoice(s, "test")


def test_failing_notebook_is_named_with_its_cell(tmp_path):
    nbdir = tmp_path / "notebooks"
    write_notebook(nbdir / "good.ipynb", ["x = 1"])
    write_notebook(nbdir / "broken.ipynb", ["y = 2", "raise ValueError('the river is dry')", "z = 3"])
    with pytest.raises(PageFailed) as e:
        run_pages(_choice(tmp_path), notebooks_dir=nbdir, page_names=["good", "broken"], log=lambda s: None)
    msg = str(e.value)
    assert "broken.ipynb" in msg and "cell 4" in msg and "ValueError: the river is dry" in msg
    assert "raise ValueError" in msg and e.value.cell == 4
    assert (tmp_path / "pages" / "good.ipynb").exists()


def test_unknown_or_missing_page_is_refused_before_running(tmp_path):
    with pytest.raises(InvalidInput, match="--only"):
        run_pages(_choice(tmp_path), only="weather", page_names=["forecast"], log=lambda s: None)
    with pytest.raises(InvalidInput, match="missing: forecast"):
        run_pages(_choice(tmp_path), page_names=["forecast"], notebooks_dir=tmp_path, log=lambda s: None)


# ------------------------------------------------------------------ the mode's probe asks the APIs a real question


def _answer_every_probe(server) -> None:
    """Each source's probe path answered with a small real-format answer."""
    from tools.replay import Reply

    day = {"daily": {"time": ["2020-06-01"], "temperature_2m_max": [20.0]}, "daily_units": {}}
    for name in ("open_meteo_forecast", "open_meteo_archive", "open_meteo_ensemble"):
        path = {"open_meteo_forecast": "forecast", "open_meteo_archive": "archive", "open_meteo_ensemble": "ensemble"}[name]
        server.add(f"/{name}/{path}", Reply.json(day))
    server.add("/inaturalist/taxa/47224", Reply.json({"total_results": 1, "results": [{"id": 47224}]}))
    server.add("/noaa/", Reply('"STATION","NAME","DATE","TMAX"\n"USW00024229","PDX","2020-06-01","70"\n', content_type="text/csv"))


def test_api_probe_accepts_the_apis_own_answers(replay):
    from butterfly_lib.site.api_probe import probe_api_answers

    _answer_every_probe(replay)
    endpoints = replay_endpoints(replay)
    r = probe_api_answers(endpoints, timeout=5.0)
    assert r.ok and len(r.reachable) == 5, r.describe()
    settings = load_settings(env={}).with_(http=replace(load_settings(env={}).http, endpoints=tuple(endpoints.items())))
    assert choose_mode(settings, log=lambda s: None).name == "live"


def test_probe_names_a_source_that_answers_with_something_else(replay):
    from butterfly_lib.site.api_probe import probe_api_answers
    from tools.replay import Reply

    _answer_every_probe(replay)
    replay.add("/noaa/", Reply.json({"status": "maintenance"}))
    replay.add("/inaturalist/taxa/47224", Reply.redirect("http://login.example/portal"))
    r = probe_api_answers(replay_endpoints(replay), timeout=5.0)
    assert not r.ok and len(r.reachable) == 3
    text = r.describe()
    assert "(noaa): answered with something that is not NOAA's CSV" in text
    assert "(inaturalist): answered HTTP 302 to http://login.example/portal" in text


def test_season_start_by_hemisphere_unless_given():
    from butterfly_lib.settings import place_settings

    north = place_settings({})
    south = place_settings({"place_name": "Hobart", "latitude": -42.88, "longitude": 147.33,
                            "timezone": "Australia/Hobart"})  # fmt: skip
    own = place_settings({"place_name": "Quito", "latitude": -0.18, "longitude": -78.47,
                          "timezone": "America/Guayaquil", "season_start": "10-01"})  # fmt: skip
    assert (north.season_start, south.season_start, own.season_start) == ("01-01", "07-01", "10-01")
    assert south.season_of(date(2026, 6, 30)) == 2025 and south.season_of(date(2026, 7, 1)) == 2026
    assert south.season_first_day(date(2026, 1, 20)) == date(2025, 7, 1) and south.season_label == "1 July"
    # a place moved across the equator takes the other default; a season start it was given stays
    assert place_settings({"latitude": 45.0}, base=south).season_start == "01-01"
    assert place_settings({"latitude": 45.0}, base=own).season_start == "10-01"
    (p,) = places_from_site({"places": [{"place_name": "Hobart", "latitude": -42.88, "longitude": 147.33,
                                         "timezone": "Australia/Hobart"}]})  # fmt: skip
    assert p.season_start == "07-01"
    s = Settings(places=(north, south))
    assert Settings.from_json(s.to_json()) == s


def test_live_as_of_is_today_in_the_places_zone_or_nothing():
    from butterfly_lib.settings import place_settings, place_today

    s = load_settings(env={})
    today = place_today(s.place())
    assert load_settings(env={}, as_of=today.isoformat()).as_of == today
    assert load_settings(env={}, as_of="today").as_of is None
    with pytest.raises(InvalidInput, match="today or nothing"):
        load_settings(env={}, as_of=(today - timedelta(days=1)).isoformat())
    # offline from a cache live runs filled (no snapshot date): the same rule
    with pytest.raises(InvalidInput, match="today or nothing"):
        load_settings(env={"BUTTERFLY_CACHE": "/tmp/x.sqlite"}, offline=True, as_of="2026-06-13")
    # places whose todays differ: no one date is allowed, the message says to leave it out
    kiritimati = place_settings({"place_name": "Kiritimati", "latitude": 1.87, "longitude": -157.4,
                                 "timezone": "Pacific/Kiritimati"})  # fmt: skip
    pago = place_settings({"place_name": "Pago Pago", "latitude": -14.28, "longitude": -170.7,
                           "timezone": "Pacific/Pago_Pago"})  # fmt: skip
    both = s.with_(places=(kiritimati, pago))  # UTC+14 and UTC-11: always a day apart
    from butterfly_lib.settings import check_as_of

    with pytest.raises(InvalidInput, match="no one date") as err:
        check_as_of(both.with_(as_of=place_today(kiritimati)), place_today(kiritimati).isoformat())
    assert "Kiritimati" in str(err.value) and "Pago Pago" in str(err.value)
