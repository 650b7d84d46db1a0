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


# ---- 29 February and units (issue 13) -----------------------------------------------------------------------

NOAA = Path(__file__).parent.parent / "data" / "noaa" / "USW00024229_portland_airport_1940-2024.csv"


def test_input_starting_on_29_february_keeps_its_biofix_and_first_day(capsys, tmp_path):
    """The issue's case: 29 Feb 2.0 and 1 Mar 1.0 degree days; the totals must be 2.0 and 3.0, no warning."""
    path = tmp_path / "leap.csv"
    path.write_text("date,tmin,tmax\n2024-02-29,50,54\n2024-03-01,50,52\n")
    code, out, err = _run(capsys, "--input", str(path), "--method", "simple-average")
    assert code == 0 and err == ""
    assert out.splitlines()[1:] == ["2024-02-29,50,54,2.00,2.00", "2024-03-01,50,52,1.00,3.00"]


def test_esparto_from_29_february_with_the_default_biofix(capsys, tmp_path):
    weather = pd.read_csv(ESPARTO)
    path = tmp_path / "from-leap-day.csv"
    weather.loc[weather["date"] >= "2020-02-29", ["date", "tmin", "tmax"]].to_csv(path, index=False)
    code, out, err = _run(capsys, "--input", str(path), "--lower", "50", "--upper", "70")
    assert code == 0 and err == ""
    result = pd.read_csv(io.StringIO(out))
    answers = pd.read_csv(FIXTURES / "ucipm_low50_high70_all.csv")
    answers = answers[pd.to_datetime(answers["date"], format="%m/%d/%Y") >= "2020-02-29"]
    assert result["date"].iloc[0] == "2020-02-29" and result["cum_dd"].iloc[0] == 9.5  # UC IPM: 9.50
    assert result["cum_dd"].iloc[-1] == pytest.approx(answers["sngsine_horiz"].sum(), abs=0.3)


def test_explicit_leap_biofix_on_the_portland_record_says_what_other_years_do(capsys, tmp_path):
    raw = pd.read_csv(NOAA, dtype={"DATE": str})
    rows = raw[(raw["DATE"] >= "2023-03-01") & (raw["DATE"] <= "2024-03-05")]
    path = tmp_path / "portland.csv"
    rows.rename(columns={"DATE": "date", "TMIN": "tmin", "TMAX": "tmax"})[["date", "tmin", "tmax"]].to_csv(
        path, index=False
    )
    code, out, err = _run(capsys, "--input", str(path), "--biofix", "02-29", "--method", "modified-average")
    assert code == 0
    assert "note: biofix 02-29" in err and "1 March in years without 29 February (2023)" in err
    assert "warning" not in err  # no gap warning: the 2023 season starts on the record's first day
    result = pd.read_csv(io.StringIO(out)).set_index("date")
    assert result.loc["2023-03-01", "cum_dd"] == result.loc["2023-03-01", "dd"]
    assert result.loc["2024-02-28", "cum_dd"] == pytest.approx(result.loc[:"2024-02-28", "dd"].sum(), abs=0.02)
    assert result.loc["2024-02-29", "cum_dd"] == result.loc["2024-02-29", "dd"]  # restarts on the leap day
    assert result.loc["2024-03-01", "cum_dd"] == pytest.approx(
        result.loc["2024-02-29", "dd"] + result.loc["2024-03-01", "dd"], abs=0.011
    )


def test_impossible_biofix_is_refused(capsys):
    code, _, err = _run(capsys, "--input", str(ESPARTO), "--biofix", "02-30")
    assert code == 2 and "'02-30'" in err and "allowed" in err


def test_celsius_without_thresholds_uses_10_and_30(capsys, tmp_path):
    weather = pd.read_csv(ESPARTO)
    for col in ("tmin", "tmax"):
        weather[col] = (weather[col] - 32) / 1.8
    path = tmp_path / "celsius.csv"
    weather[["date", "tmin", "tmax"]].to_csv(path, index=False)
    code, out_c, err = _run(capsys, "--input", str(path), "--units", "C")
    assert code == 0 and err == ""
    code, out_f, _ = _run(capsys, "--input", str(ESPARTO))  # 50/86 F by default
    dd_c = pd.read_csv(io.StringIO(out_c))["dd"]
    dd_f = pd.read_csv(io.StringIO(out_f))["dd"]
    assert dd_c.sum() > 1000  # not a column of zeros
    assert (dd_c * 1.8 - dd_f).abs().max() <= 0.02


def test_thresholds_in_the_wrong_units_are_said_not_silent(capsys, tmp_path):
    weather = pd.read_csv(ESPARTO)
    for col in ("tmin", "tmax"):
        weather[col] = ((weather[col] - 32) / 1.8).round(1)
    path = tmp_path / "celsius.csv"
    weather[["date", "tmin", "tmax"]].to_csv(path, index=False)
    code, out, err = _run(capsys, "--input", str(path), "--units", "C", "--lower", "50", "--upper", "86")
    assert code == 0 and (pd.read_csv(io.StringIO(out))["dd"] == 0).all()
    assert "every day has 0 degree days" in err and "50 °C" in err and "warmest 41.7 °C" in err
