"""The ``butterfly degree-days`` calculator: output format, agreement with the UC IPM reference, bad input."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from butterfly_lib.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "degree-days"
ESPARTO = FIXTURES / "espartoa-weather-2020.csv"


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["degree-days", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_calculator_reproduces_uc_ipm_and_accumulates(capsys):
    code, out, err = _run(
        capsys, "--input", str(ESPARTO), "--lower", "50", "--upper", "70", "--method", "single-sine"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "date,tmin,tmax,dd,cum_dd"
    assert lines[1] == "2020-01-01,38,55,1.19,1.19"
    result = pd.read_csv(io.StringIO(out))
    answers = pd.read_csv(FIXTURES / "ucipm_low50_high70_subset.csv")
    assert len(result) == 366
    assert (result["dd"] - answers["sngsine_horiz"]).abs().max() <= 0.01
    assert result["cum_dd"].iloc[-1] == pytest.approx(answers["sngsine_horiz"].sum(), abs=0.5)
    assert (result["cum_dd"].diff().dropna() >= 0).all()


def test_calculator_vertical_cutoff_and_celsius(capsys, tmp_path):
    code, out, _ = _run(
        capsys, "--input", str(ESPARTO), "--lower", "50", "--upper", "70", "--cutoff", "vertical"
    )
    assert code == 0
    answers = pd.read_csv(FIXTURES / "ucipm_low50_high70_subset.csv")
    assert (pd.read_csv(io.StringIO(out))["dd"] - answers["sngsine_vert"]).abs().max() <= 0.01

    weather = pd.read_csv(ESPARTO)
    weather["tmin"] = (weather["tmin"] - 32) / 1.8
    weather["tmax"] = (weather["tmax"] - 32) / 1.8
    path = tmp_path / "celsius.csv"
    weather.to_csv(path, index=False)
    code, out, _ = _run(
        capsys, "--input", str(path), "--lower", "10", "--upper", "21.1111111", "--units", "C"
    )
    assert code == 0
    dd_c = pd.read_csv(io.StringIO(out))["dd"]
    assert (dd_c * 1.8 - answers["sngsine_horiz"]).abs().max() <= 0.02  # C output is rounded to 0.01 first


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("date,tmin\n2020-01-01,40\n", [], "missing tmax"),
        ("date,tmin,tmax\n2020-01-01,40,50\n2020-01-02,60,55\n", [], "2020-01-02"),
        ("date,tmin,tmax\n2020-01-01,40,50\n", ["--lower", "70", "--upper", "50"], "invalid lower"),
        ("date,tmin,tmax\n2020-01-01,40,50\n", ["--method", "quadratic"], "'quadratic'"),
        ("date,tmin,tmax\n2020-01-01,40,50\n", ["--cutoff", "diagonal"], "'diagonal'"),
        ("date,tmin,tmax\n2020-01-01,forty,50\n", [], "'forty'"),
        ("date,tmin,tmax\nyesterday,40,50\n", [], "'yesterday'"),
        ("date,tmin,tmax\n2020-01-01,40,50\n", ["--units", "K"], "'K'"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(capsys, tmp_path, content, args, message):
    path = tmp_path / "in.csv"
    path.write_text(content)
    code, out, err = _run(capsys, "--input", str(path), *args)
    assert code == 2
    assert out == ""
    assert message in err and "allowed" in err


def test_missing_file_exits_2(capsys, tmp_path):
    code, _, err = _run(capsys, "--input", str(tmp_path / "nope.csv"))
    assert code == 2 and "nope.csv" in err


def test_gap_and_missing_values_in_output(capsys, tmp_path):
    path = tmp_path / "gappy.csv"
    rows = ["date,tmin,tmax"] + [f"2021-05-{d:02d},50,70" for d in range(1, 6)]
    rows[3] = "2021-05-03,,70"
    path.write_text("\n".join(rows) + "\n")
    code, out, err = _run(capsys, "--input", str(path), "--method", "simple-average")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[3] == "2021-05-03,,70,,30.00"  # dd missing; accumulation interpolates the 1-day gap
    assert lines[5].endswith(",10.00,50.00")
