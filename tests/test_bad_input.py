"""Bad input is refused before any request, with an error naming the value and what is allowed, alike from the
library (the settings and the source clients), the command line (``butterfly ...``: exit status 2, message on
stderr) and the notebooks (their first cell, ``open_page``, with a bad parameter). The replay server must
receive nothing."""

from __future__ import annotations

import re
from datetime import date

import papermill
import pytest
import yaml

from butterfly_lib import cli
from butterfly_lib.errors import InvalidInput
from butterfly_lib.notebook import open_page
from butterfly_lib.place import Place
from butterfly_lib.settings import PROJECT_ROOT, load_settings, parse_as_of
from butterfly_lib.sources import inaturalist as inat
from butterfly_lib.sources.noaa import noaa_daily
from butterfly_lib.sources.open_meteo import archive_daily, forecast_daily
from tests.report_plugin import record

REFUSED = "refused before any request: names the value and what is allowed"
REFUSED_NO_KERNEL = "refused before any request or kernel: names the value and what is allowed"
THIS_YEAR = date.today().year

#: (id, page parameters, the name and the value the message must show, a word of what is allowed)
CASES = [
    ("latitude out of range", {"latitude": 91.0}, "latitude", "91.0", "[-90, 90]"),
    ("longitude out of range", {"longitude": -181.0}, "longitude", "-181.0", "[-180, 180]"),
    ("unknown time zone", {"timezone": "Mars/Olympus_Mons"}, "timezone", "'Mars/Olympus_Mons'", "IANA"),
    ("time zone 'localtime' (the machine's zone file)", {"timezone": "localtime"}, "timezone", "'localtime'",
     "IANA"),
    ("time zone 'Factory' (no place's zone)", {"timezone": "Factory"}, "timezone", "'Factory'", "IANA"),
    ("as-of after today", {"as_of": "2999-01-01"}, "as_of", "'2999-01-01'", "today or nothing"),
    ("as-of before 1940", {"as_of": "1939-12-31"}, "as_of", "'1939-12-31'", "today or nothing"),
    ("as-of 1945-06-01 (its history would start in 1935)", {"as_of": "1945-06-01"}, "as_of", "'1945-06-01'",
     "today or nothing"),
    ("live as-of a past date (the forecast has no as-of)", {"as_of": "2026-06-13"}, "as_of", "'2026-06-13'",
     "forecast API has no as-of date"),
    ("normals end before start", {"normals_start": 2020, "normals_end": 1991}, "normals_end", "1991",
     "after normals_start"),
    ("normals start 2095", {"normals_start": 2095}, "normals_end", "2020", "after normals_start (2095)"),
    ("normals 2095-2100 (seasons to come)", {"normals_start": 2095, "normals_end": 2100}, "normals_end", "2100",
     "or earlier"),
    ("normals end in the running season", {"normals_end": THIS_YEAR}, "normals_end", str(THIS_YEAR), "or earlier"),
    ("season start not a month-day", {"season_start": "13-01"}, "season_start", "'13-01'", "MM-DD"),
    ("season start a whole date", {"season_start": "2026-07-01"}, "season_start", "'2026-07-01'", "MM-DD"),
    ("unknown degree-day method", {"dd_method": "sinusoidal"}, "dd_method", "'sinusoidal'", "single-sine"),
    ("unknown degree-day cutoff", {"dd_cutoff": "diagonal"}, "dd_cutoff", "'diagonal'", "horizontal"),
    ("lower threshold >= upper", {"dd_lower": 90.0, "dd_upper": 86.0}, "dd_lower", "90.0", "below dd_upper"),
    ("zero radius", {"radius_km": 0.0}, "radius_km", "0.0", "(0, 500]"),
    ("negative radius", {"radius_km": -5.0}, "radius_km", "-5.0", "(0, 500]"),
    ("non-numeric taxon id", {"taxon_id": "butterflies"}, "taxon_id", "'butterflies'", "whole number"),
    ("parameters file with an unknown key", {"lattitude": 45.5}, "lattitude", "'lattitude'", "latitude"),
]  # fmt: skip


def _param(surface: str) -> list:
    return [pytest.param(*c, id=f"{surface}|{c[0]}|{REFUSED}") for c in CASES]


@pytest.fixture
def server(replay, point_sources_at):
    point_sources_at(replay)
    return replay


def settings_from(params: dict) -> None:
    """What a run does with page parameters: ``load_settings`` with the as-of date and the place's parameters."""
    rest = dict(params)
    load_settings(env={}, as_of=rest.pop("as_of", None), overrides=rest)


@pytest.fixture
def no_kernel(monkeypatch):
    """A run that gets as far as starting a kernel fails the test."""
    from butterfly_lib.site import runner

    def refuse(*_a, **_k):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(runner, "Kernel", refuse)


def assert_names(message: str, name: str, shown: str, allowed: str) -> None:
    assert f"invalid {name}" in message, message
    assert shown in message, message
    assert "allowed:" in message and allowed in message, message


# ------------------------------------------------------------------ library


@pytest.mark.parametrize(("case", "params", "name", "shown", "allowed"), _param("library"))
def test_library_refuses(server, request, case, params, name, shown, allowed):
    record(request, "library: settings", case, REFUSED)
    with pytest.raises(InvalidInput) as err:
        settings_from(params)
    assert_names(str(err.value), "parameter" if case.startswith("parameters file") else name, shown, allowed)
    assert server.requests == []


SOURCE_CASES = [
    ("open_meteo_forecast", "latitude out of range", lambda s: forecast_daily(Place("x", 91, 0), session=s),
     "latitude", "91"),
    ("open_meteo_archive", "end before start",
     lambda s: archive_daily(Place("x", 45, -122), "2020-02-01", "2020-01-01", session=s), "end", "'2020-01-01'"),
    ("open_meteo_archive", "start before 1940",
     lambda s: archive_daily(Place("x", 45, -122), "1939-12-31", "1950-01-01", session=s), "start", "'1939-12-31'"),
    ("noaa", "end before start", lambda s: noaa_daily("USW00024229", date(2020, 2, 1), date(2020, 1, 1), session=s),
     "end", "'2020-01-01'"),
    ("inaturalist", "non-numeric taxon id",
     lambda s: inat.species_counts(Place("x", 45, -122), None, taxon_id="butterflies", session=s), "taxon_id",
     "'butterflies'"),
    ("inaturalist", "non-positive radius", lambda s: inat.observations(Place("x", 45, -122, radius_km=-1), session=s),
     "radius_km", "-1"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "case", "call", "name", "shown"),
    [pytest.param(*c, id=f"{c[0]}|{c[1]}|{REFUSED}") for c in SOURCE_CASES],
)
def test_source_clients_refuse(server, session, request, source, case, call, name, shown):
    record(request, f"library: {source} client", case, REFUSED)
    with pytest.raises(InvalidInput) as err:
        call(session)
    assert f"invalid {name}" in str(err.value) and shown in str(err.value) and "allowed:" in str(err.value)
    assert server.requests == []


# ------------------------------------------------------------------ command line


def _run_cli(args: list[str], capsys) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("case", "params", "name", "shown", "allowed"),
    [p for p in _param("command line") if "as_of" not in p.values[1]],  # the date is --as-of, tested below
)
def test_command_line_refuses(server, tmp_path, capsys, no_kernel, request, case, params, name, shown, allowed):
    record(request, "command line: butterfly run --params", case, REFUSED_NO_KERNEL)
    site = tmp_path / "site.yml"
    site.write_text(yaml.safe_dump({"places": [{"place_name": "Testville", **params}]}, allow_unicode=True))
    code, err = _run_cli(["run", "--params", str(site), "--strict"], capsys)
    assert code == 2, err
    assert err.startswith("butterfly run: error: invalid ")
    assert shown in err and "allowed:" in err and allowed in err
    assert server.requests == []


@pytest.mark.parametrize(
    ("argv", "shown", "allowed"),
    [
        pytest.param(["--method", "sinusoidal"], "'sinusoidal'", "single-sine", id="degree-days --method|unknown method"),
        pytest.param(["--cutoff", "diagonal"], "'diagonal'", "horizontal", id="degree-days --cutoff|unknown cutoff"),
        pytest.param(["--lower", "90", "--upper", "86"], "90.0", "below upper", id="degree-days --lower|lower >= upper"),
    ],
)  # fmt: skip
def test_degree_days_command_refuses(tmp_path, capsys, request, argv, shown, allowed):
    record(request, "command line: butterfly degree-days", request.node.callspec.id.split("|")[1], REFUSED)
    csv = tmp_path / "t.csv"
    csv.write_text("date,tmin,tmax\n2024-05-01,45,70\n")
    code, err = _run_cli(["degree-days", "--input", str(csv), *argv], capsys)
    assert code == 2 and err.startswith("butterfly degree-days: error: invalid ")
    assert shown in err and allowed in err


@pytest.mark.parametrize(
    ("case", "value", "allowed"),
    [pytest.param(c[0], c[1]["as_of"], c[4], id=f"--as-of|{c[0]}|{REFUSED_NO_KERNEL}") for c in CASES if "as_of" in c[1]],
)
def test_command_line_as_of_flag_refused_before_any_request(server, capsys, no_kernel, request, case, value, allowed):
    record(request, "command line: butterfly run --as-of", case, REFUSED_NO_KERNEL)
    code, err = _run_cli(["run", "--as-of", value, "--strict"], capsys)
    assert code == 2 and f"invalid as_of: '{value}'" in err and allowed in err, err
    assert server.requests == []


def test_environment_as_of_refused_before_any_request(server, capsys, no_kernel, monkeypatch, request):
    record(request, "environment: BUTTERFLY_AS_OF", "live as-of a past date", REFUSED_NO_KERNEL)
    monkeypatch.setenv("BUTTERFLY_AS_OF", "2026-06-13")
    code, err = _run_cli(["run", "--strict"], capsys)
    assert code == 2 and "invalid as_of: '2026-06-13'" in err and "today or nothing" in err, err
    assert server.requests == []


def test_a_replay_of_a_recorded_day_still_refuses_a_date_before_1951(request):
    """Tools replaying recorded live data name its day (``today=``); the history bound holds there too."""
    record(request, "library: load_settings(today=...)", "as-of 1945-06-01 replayed as its own today", REFUSED)
    with pytest.raises(InvalidInput) as err:
        load_settings(env={}, as_of="1945-06-01", today=date(1945, 6, 1))
    assert_names(str(err.value), "as_of", "'1945-06-01'", "1951-01-01")
    assert parse_as_of("2026-06-13", today=date(2026, 6, 13)) == date(2026, 6, 13)


# ------------------------------------------------------------------ site.yml: places as a whole


#: (id, site.yml content, the name and value the message must show, a word of what is allowed)
SITE_CASES = [
    ("places: [] (no place)", {"places": []}, "site.yml places", "[]", "non-empty list"),
    ("a place with time zone 'localtime'",
     {"places": [{"place_name": "Here", "latitude": 45.0, "longitude": -122.0, "timezone": "localtime"}]},
     "site.yml places[0].timezone", "'localtime'", "IANA"),
    ("the same place twice",
     {"places": [{"place_name": "Portland, Oregon"}, {"place_name": "Portland, Oregon"}]},
     "places[1].place_name", "'Portland, Oregon'", "the same name as places[0]"),
    ("two names with one folder ('Portland, Oregon' and 'portland oregon')",
     {"places": [{"place_name": "Portland, Oregon"}, {"place_name": "portland oregon"}]},
     "places[1].place_name", "'portland oregon'", "the same folder as places[0]"),
    ("the season start called 'biofix'",
     {"places": [{"place_name": "Hobart", "latitude": -42.88, "longitude": 147.33, "timezone": "Australia/Hobart",
                  "biofix": "07-01"}]},
     "site.yml places[0] key", "'biofix'", "'biofix' is 'season_start' here"),
    ("a season start YAML reads as a date (unquoted 2026-07-01)",
     {"places": [{"place_name": "Hobart", "latitude": -42.88, "longitude": 147.33, "timezone": "Australia/Hobart",
                  "season_start": date(2026, 7, 1)}]},
     "site.yml places[0].season_start", "datetime.date(2026, 7, 1)", "MM-DD"),
]  # fmt: skip


def _site(tmp_path, content: dict) -> str:
    path = tmp_path / "site.yml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return str(path)


def _site_cases(surface: str) -> list:
    return [pytest.param(*c, id=f"{surface}|{c[0]}|{REFUSED_NO_KERNEL}") for c in SITE_CASES]


@pytest.mark.parametrize(("case", "content", "name", "shown", "allowed"), _site_cases("library"))
def test_library_refuses_a_site_file(server, tmp_path, request, case, content, name, shown, allowed):
    record(request, "library: load_settings(site_file=...)", case, REFUSED)
    with pytest.raises(InvalidInput) as err:
        load_settings(site_file=_site(tmp_path, content), env={})
    assert_names(str(err.value), name, shown, allowed)
    assert server.requests == []


@pytest.mark.parametrize(("case", "content", "name", "shown", "allowed"), _site_cases("command line"))
def test_command_line_refuses_a_site_file(server, tmp_path, capsys, no_kernel, request, case, content, name, shown,
                                          allowed):  # fmt: skip
    record(request, "command line: butterfly run --params", case, REFUSED_NO_KERNEL)
    code, err = _run_cli(["run", "--params", _site(tmp_path, content), "--strict"], capsys)
    assert code == 2, err
    assert_names(err, name, shown, allowed)
    assert server.requests == []


@pytest.mark.parametrize(("case", "content", "name", "shown", "allowed"), _site_cases("notebook"))
def test_notebook_refuses_a_site_file(server, tmp_path, monkeypatch, request, case, content, name, shown, allowed):
    """A notebook opened in JupyterLab reads site.yml (here ``BUTTERFLY_SITE``) in its first cell."""
    record(request, "notebook: open_page with site.yml", case, REFUSED)
    monkeypatch.setenv("BUTTERFLY_SITE", _site(tmp_path, content))
    with pytest.raises(InvalidInput) as err:
        open_page()
    assert_names(str(err.value), name, shown, allowed)
    assert server.requests == []


def test_names_without_latin_letters_get_distinct_stable_folders(tmp_path, request):
    record(request, "library: load_settings(site_file=...)", "two places named '🦋🦋' and '蝶々'",
           "accepted: distinct, stable, file-safe folders (ASCII, with a hash of the name)")
    content = {"places": [{"place_name": "🦋🦋"}, {"place_name": "蝶々", "latitude": 35.68, "longitude": 139.69,
                                                  "timezone": "Asia/Tokyo"}]}  # fmt: skip
    s = load_settings(site_file=_site(tmp_path, content), env={})
    folders = [p.slug for p in s.places]
    assert folders == ["place-99888162", "place-2861343f"]  # the SHA-1 of each name: the same on every machine
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", f) for f in folders)
    assert [p.slug for p in load_settings(site_file=_site(tmp_path, content), env={}).places] == folders


# ------------------------------------------------------------------ notebooks


NOTEBOOK_CASES = [
    c for c in CASES if not c[0].startswith("parameters file")
]  # papermill has no unknown-key check


PLACE_KEYS = ("place_name", "latitude", "longitude", "radius_km", "timezone")


@pytest.mark.parametrize(
    ("case", "params", "name", "shown", "allowed"),
    [pytest.param(*c, id=f"notebook|{c[0]}|{REFUSED}") for c in NOTEBOOK_CASES if not set(c[1]) & set(PLACE_KEYS)],
)
def test_notebook_refuses(server, request, case, params, name, shown, allowed):
    """A notebook's first cell is ``open_page(**its parameters)``; a bad one fails there, before any request.
    (A notebook chooses its place by name from site.yml, so coordinates are not notebook parameters.)"""
    record(request, "notebook: open_page (first cell of every page notebook)", case, REFUSED)
    with pytest.raises(InvalidInput) as err:
        open_page(**params)
    assert_names(str(err.value), name, shown, allowed)
    assert server.requests == []


@pytest.mark.slow
def test_notebook_refuses_through_papermill(server, tmp_path, request):
    """The same through papermill, once: the failing cell's error names the value."""
    record(request, "notebook: degree_days.ipynb via papermill", "unknown degree-day method", REFUSED)
    with pytest.raises(papermill.PapermillExecutionError) as err:
        papermill.execute_notebook(
            str(PROJECT_ROOT / "notebooks" / "degree_days.ipynb"), str(tmp_path / "out.ipynb"),
            parameters={"dd_method": "sinusoidal"}, kernel_name="python3", progress_bar=False, cwd=str(tmp_path),
        )  # fmt: skip
    assert err.value.ename == "InvalidInput"
    assert_names(err.value.evalue, "dd_method", "'sinusoidal'", "single-sine")
    assert server.requests == []
