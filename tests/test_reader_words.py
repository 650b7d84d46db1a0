"""What the reader reads: the sky in words from the sunshine share (never Open-Meteo's worst-hour code beside a
sunny day), daylight from latitude, dates with weekdays, charts with alt text and a phone rendering, tables that
become cards on a phone, the forecast's best days and table highlight, the species page's time frames, the
degree-days page's comparison, and the cell tags both Quarto and the nbconvert fallback honour."""

from __future__ import annotations

from datetime import date

import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from butterfly_lib.analysis.sky import SKY_STEPS, daylight_hours, sky_label
from butterfly_lib.presentation import answers, chart, page_tables, tables, words
from tests import presentation_data as pdat

# ---------------------------------------------------------------- the sky


def test_a_day_with_155_of_157_hours_of_sun_is_sunny_whatever_its_weather_code():
    assert list(sky_label([15.5, 15.2, 10.4, 9.3, 4.0, 1.0], [15.7] * 6)) == [
        "sunny", "sunny", "mostly sunny", "partly sunny", "mostly cloudy", "cloudy"]  # fmt: skip


def test_rain_is_added_to_the_sky():
    labels = sky_label([11.0, 2.0, np.nan, np.nan], [15.0] * 4, [2.0, 6.0, 3.0, 0.0], [np.nan, 80, np.nan, np.nan])
    assert list(labels) == ["mostly sunny, showers", "cloudy, rain", "rain", ""]


@given(st.floats(0, 16), st.floats(0.5, 16))
def test_more_sun_never_reads_cloudier(sun, extra):
    steps = [lab for _, lab in SKY_STEPS]
    a, b = sky_label([sun, min(sun + extra, 16.0)], [16.0, 16.0])
    assert steps.index(b) <= steps.index(a)


def test_daylight_matches_open_meteo_for_portland():
    # Open-Meteo's daylight_duration for Portland (45.52 N) on 13 Jun 2026 is 15.7 h; 21 Dec about 8.7 h
    got = daylight_hours(45.52, [164, 355])
    assert got[0] == pytest.approx(15.7, abs=0.1) and got[1] == pytest.approx(8.7, abs=0.1)


# ---------------------------------------------------------------- words


def test_dates_carry_their_weekday():
    assert words.day("2026-06-16") == "Tue 16 Jun" and words.day(date(2026, 6, 16), year=True) == "Tue 16 Jun 2026"
    assert words.day_range("2026-06-14", "2026-06-25") == "Sun 14 Jun – Thu 25 Jun"
    assert words.month_day_window(date(2026, 6, 13), 14, 7) == "30 May – 20 Jun"
    assert words.day(None) == "" and words.day("not a date") == ""


def test_mode_in_words():
    assert "bundled snapshot recorded on Sat 13 Jun 2026" in words.mode_words("offline snapshot 2026-06-13", date(2026, 6, 13))
    assert words.mode_words("live").startswith("live")
    assert "request cache" in words.mode_words("offline (cache only)")


# ---------------------------------------------------------------- charts


def test_chart_has_alt_text_and_a_phone_rendering():
    from butterfly_lib.presentation import figures

    daily = pdat.forecast_daily()
    c = chart.chart(figures.outlook_chart(daily, units="F"))
    html = str(c.html())
    assert html.count("<img ") == 2 and 'class="bp-narrow"' in html and "No description" not in html
    assert 'alt="Bar and line chart of the 16-day forecast from Sat 13 Jun' in html
    bundle = c._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}  # HTML first for Quarto and nbconvert alike
    assert c.fig.get_figwidth() == pytest.approx(5.4)  # the phone rendering puts the figure back


def test_any_figure_gets_alt_text_from_its_titles():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("Hindcast")
    ax.set_xlabel("error (days)")
    ax.set_ylabel("species")
    assert chart.alt_text(fig) == "Chart: Hindcast; error (days) against species"
    plt.close(fig)


# ---------------------------------------------------------------- tables


def test_table_cells_carry_their_header_for_the_phone_layout():
    html = tables.html_table(pd.DataFrame({"a": [1], "b": ["x"]}), {"a": "date", "b": "why <it>"})
    assert '<td data-label="date">1</td>' in html and 'data-label="why &lt;it&gt;"' in html
    assert "@media (max-width: 700px)" in html and "overflow-x:auto" not in html


def test_sparkline_has_a_month_axis_and_says_when_the_peak_is():
    curve = np.zeros(53)
    curve[23] = 5
    svg = tables.sparkline(curve, mark=23)
    assert svg.count("<text") == 12 and ">J</text>" in svg and "most in June" in svg and "red dot" in svg


def _scored() -> pd.DataFrame:
    from butterfly_lib.analysis.viewing_index import viewing_index
    from butterfly_lib.pages.forecast import best_day_flags

    days = pd.date_range("2026-06-13", periods=6, tz="America/Los_Angeles")
    out = pd.DataFrame({
        "date": days, "sunshine_h": [15.5, 15.5, 15.0, 2.0, 15.4, 14.0], "daylight_h": [15.7] * 6,
        "tmax_f": [80, 81, 79, 60, 82, 50], "tmin_f": [55] * 6, "tmax_c": [27] * 6, "tmin_c": [13] * 6,
        "precipitation_mm": [0, 0, 0, 8, 0, 0],
    })  # fmt: skip
    scored = viewing_index(out)
    scored["sky"] = sky_label(scored["sunshine_h"], scored["daylight_h"], scored["precipitation_mm"])
    scored["best_day"] = best_day_flags(scored).to_numpy()
    return scored


def test_best_days_pass_the_protocol_and_only_they_are_highlighted():
    from butterfly_lib.pages.forecast import best_days

    scored = _scored()
    picked = best_days(scored).best_days
    assert len(picked) == 3 and all(d.protocol_met for d in picked)
    assert {d.date for d in picked} <= set(scored.loc[scored["protocol_met"], "date"].dt.strftime("%Y-%m-%d"))
    assert picked[0].sky == "sunny" and picked[0].tmax_f is not None
    html = page_tables.outlook_table(scored)
    assert html.count('class="bp-highlight"') == 3 == html.count("★ ")
    assert html.index("index (0–100)") < html.index("why") < html.index("sky")  # date, index, reason lead
    assert "overcast" not in html


def test_clauses_every_day_shares_are_said_once():
    shared, rest = page_tables.common_clauses(pd.Series(["Good: sun; wind unknown", "Poor: rain; wind unknown"]))
    assert shared == ["wind unknown"] and rest == ["Good: sun", "Poor: rain"]


# ---------------------------------------------------------------- pages


def test_species_rows_say_why_a_species_has_no_seasonality():
    from butterfly_lib.pages.species import SEASONALITY_TOP, flying_now, species_rows

    week = pd.DataFrame({"taxon_id": [1, 2], "common_name": ["A", "B"], "scientific_name": ["a", "b"],
                         "count": [5, 3], "photo_url": [None, None]})  # fmt: skip
    year = pd.DataFrame({"taxon_id": [2], "count": [4]})
    rows = species_rows(week, year, {1: pd.DataFrame({"week": [24], "count": [5]})}, date(2026, 6, 13))
    assert rows.loc[0, "seasonality_note"] == "" and str(SEASONALITY_TOP) in rows.loc[1, "seasonality_note"]
    s = flying_now(rows, as_of=date(2026, 6, 13), days_back=14, days_ahead=7)
    assert (s.window_start, s.window_end, s.as_of) == ("2026-05-30", "2026-06-20", "2026-06-13")
    assert [c.count_this_year for c in s.flying_now] == [0, 4] and s.species_total == 2
    html = page_tables.species_table(rows, window="30 May – 20 Jun")
    assert "sightings 30 May – 20 Jun, all years" in html and "not fetched" in html


def test_degree_day_gap_warning_becomes_a_reader_note():
    from butterfly_lib.pages.degree_days import gap_note

    note = gap_note("degree-day gaps longer than 2 days (...): missing from 2024-12-10..2026-06-13", "noaa")
    assert note.startswith("The NOAA station record has no temperatures for Tue 10 Dec 2024 to Sat 13 Jun 2026")
    assert "/" not in note and "Warning" not in note


def test_station_comparison_is_not_shown_when_the_grid_is_the_station():
    from butterfly_lib.pages.degree_days import DegreeDaysResult
    from butterfly_lib.settings import Settings

    s = Settings()
    ctx = type("Ctx", (), {"place": s.places[0], "settings": s})()
    derived = pdat.prov("open_meteo_archive", kind="derived",
                        notice=f"DERIVED from NOAA station {s.places[0].place.noaa_station}, standing in for the gridded archive")  # fmt: skip
    res = DegreeDaysResult(context=ctx, datasets={"temperatures": derived, "comparison temperatures": pdat.prov("noaa")},
                           season=None, by_source={})  # type: ignore[arg-type]  # fmt: skip
    assert "station against itself" in res.comparison_note
    shown = answers.station_comparison(res, lambda: "chart")
    assert "Not shown in this build" in shown
    res.datasets["temperatures"] = pdat.prov("open_meteo_archive")
    assert res.comparison_note == "" and answers.station_comparison(res, lambda: "chart") == "chart"


# ---------------------------------------------------------------- hiding the machinery


def test_fallback_removes_tagged_cells_and_parameters_like_quarto(tmp_path):
    from butterfly_lib.site.fallback import export_notebook

    nb = nbformat.v4.new_notebook()
    cells = [
        (["parameters", "remove-cell"], "place = None", None),
        (["injected-parameters"], "settings_file = '/work/secret/settings.json'", None),
        (["remove-cell"], "import os", None),
        (["remove-code"], "shown_output_code()", "VISIBLE-OUTPUT"),
        (["remove-output"], "hidden_output()", "HIDDEN-OUTPUT"),
    ]
    for tags, src, out in cells:
        c = nbformat.v4.new_code_cell(src)
        c.metadata["tags"] = tags
        if out:
            c.outputs = [nbformat.v4.new_output("stream", name="stdout", text=out)]
        nb.cells.append(c)
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    html = export_notebook(path)
    assert "VISIBLE-OUTPUT" in html
    for gone in ("place = None", "/work/secret", "import os", "shown_output_code", "HIDDEN-OUTPUT"):
        assert gone not in html, gone


def test_page_notebooks_tag_what_readers_must_not_see():
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for c in nb.cells:
            if c.cell_type != "code":
                continue
            tags = set(c.metadata.get("tags", []))
            assert tags & {"remove-cell", "remove-code"}, f"{path.name}: a code cell shows its code: {c.source[:60]}"
            if "parameters" in tags or c.source.lstrip().startswith(("from ", "import ")):
                assert "remove-cell" in tags, f"{path.name}: {c.source[:60]}"
            assert "print(" not in c.source or path.name == "emergence.ipynb", f"{path.name}: prints {c.source[:60]}"
            assert c.source.strip() != "result.summary", f"{path.name}: shows a raw summary"
