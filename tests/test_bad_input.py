"""Bad input is refused before any request, with an error naming the value and what is allowed, alike from the
library (the settings and the source clients), the command line (``butterfly ...``: exit status 2, message on
stderr) and the notebooks (their first cell, ``open_page``, with a bad parameter). The replay server must
receive nothing."""

from __future__ import annotations

from datetime import date

import papermill
import pytest
import yaml

from butterfly_lib import cli
from butterfly_lib.errors import InvalidInput
from butterfly_lib.notebook import open_page
from butterfly_lib.place import Place
from butterfly_lib.settings import PROJECT_ROOT, parse_as_of, place_settings
from butterfly_lib.sources import inaturalist as inat
from butterfly_lib.sources.noaa import noaa_daily
from butterfly_lib.sources.open_meteo import archive_daily, forecast_daily
from tests.report_plugin import record

REFUSED = "refused before any request: names the value and what is allowed"

#: (id, page parameters, the name and the value the message must show, a word of what is allowed)
CASES = [
    ("latitude out of range", {"latitude": 91.0}, "latitude", "91.0", "[-90, 90]"),
    ("longitude out of range", {"longitude": -181.0}, "longitude", "-181.0", "[-180, 180]"),
    ("unknown time zone", {"timezone": "Mars/Olympus_Mons"}, "timezone", "'Mars/Olympus_Mons'", "IANA"),
    ("as-of after the forecast horizon", {"as_of": "2999-01-01"}, "as_of", "'2999-01-01'", "forecast horizon"),
    ("as-of before 1940", {"as_of": "1939-12-31"}, "as_of", "'1939-12-31'", "1940-01-01"),
    ("normals end before start", {"normals_start": 2020, "normals_end": 1991}, "normals_end", "1991",
     "after normals_start"),
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
    """What a run does with page parameters: the as-of date, then the place's parameters."""
    rest = dict(params)
    if "as_of" in rest:
        parse_as_of(rest.pop("as_of"))
    place_settings(rest)


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
def test_command_line_refuses(server, tmp_path, capsys, request, case, params, name, shown, allowed):
    record(request, "command line: butterfly run --params", case, REFUSED)
    site = tmp_path / "site.yml"
    site.write_text(yaml.safe_dump({"places": [{"place_name": "Testville", **params}]}))
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


def test_command_line_as_of_flag_refused_before_any_request(server, capsys, request):
    record(request, "command line: butterfly run --as-of", "as-of after the forecast horizon", REFUSED)
    code, err = _run_cli(["run", "--as-of", "2999-01-01", "--strict"], capsys)
    assert code == 2 and "'2999-01-01'" in err and "forecast horizon" in err
    assert server.requests == []


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
