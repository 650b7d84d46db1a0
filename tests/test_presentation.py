"""Presentation: escaping in tables, popups, legend and banner; http(s)-only links; figure labels with units;
a stable species palette. Frames come from the real recordings in ``data/`` (see ``presentation_data``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from butterfly_lib.analysis.degree_days import accumulate, daily_degree_days, normals
from butterfly_lib.presentation import figures, maps, provenance, style, tables
from butterfly_lib.presentation.safe import esc, img, link, safe_url
from butterfly_lib.settings import DegreeDays
from tests import presentation_data as pdat

#: its tests share a module fixture costly to build: one worker runs them all (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("test_presentation")

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "Tom & Jerry's <b>"]
BAD_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
            "//evil.example/x", "vbscript:msgbox(1)", 'https://ok.org/" onmouseover="alert(1)', "ftp://x.org/a",
            "https://ok.org/a b", "", None, 42]


def test_this_module_runs_as_one_group_on_one_worker(request):
    """Under ``--dist loadgroup`` (make test) a test marked ``xdist_group`` carries its group in its node id,
    which is how pytest-xdist keeps the group on one worker. pytest 9.2 dropped it silently
    (pytest-dev/pytest-xdist#1386): every costly module fixture was then built on every worker."""
    if request.config.getoption("loadgroup", default=False):
        assert request.node.nodeid.endswith("@test_presentation"), request.node.nodeid


def _no_raw_markup(html: str) -> None:
    assert "<script" not in html.lower()
    assert "<img src=x" not in html
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")  # only escaped copies remain
    assert not re.search(r'href="\s*(javascript|data|vbscript):', html, re.I)
    assert not re.search(r'src="\s*(javascript|data|vbscript):', html, re.I)


def hostile_sightings() -> pd.DataFrame:
    real = pdat.sightings().head(6).reset_index(drop=True)
    real.loc[0, "common_name"] = HOSTILE[0]
    real.loc[1, "common_name"] = HOSTILE[1]
    real.loc[2, "scientific_name"] = HOSTILE[2]
    real.loc[3, "url"] = "javascript:alert(1)"
    real.loc[4, "photo_url"] = "javascript:alert(1)"
    real.loc[5, "place_guess"] = HOSTILE[1]
    return real


# ---------------------------------------------------------------- URLs and escaping


@pytest.mark.parametrize("url", BAD_URLS)
def test_unsafe_urls_never_become_links_or_images(url):
    assert safe_url(url) is None
    assert "href" not in link(url, "x")
    assert img(url, "x") == ""


def test_safe_urls_pass_and_are_attribute_escaped():
    url = "https://www.inaturalist.org/observations/1?a=1&b=2"
    assert safe_url(url) == url
    assert 'href="https://www.inaturalist.org/observations/1?a=1&amp;b=2"' in link(url, "obs")


@given(st.text())
def test_esc_output_never_contains_markup(text):
    out = esc(text)
    assert "<" not in out and ">" not in out and '"' not in out


@given(st.text())
def test_link_of_any_text_is_one_anchor_or_none(text):
    out = link(text, text)
    assert out.count("<a ") <= 1
    if safe_url(text) is None:
        assert "<a " not in out


def test_html_table_escapes_cells_headers_caption_and_filters_links():
    frame = pd.DataFrame({
        "name": HOSTILE, "url": ["https://www.inaturalist.org/taxa/1", "javascript:alert(1)", None],
        "photo": ["javascript:alert(1)", "https://static.inaturalist.org/photos/1/square.jpg", "data:x"],
        "n": [1.234, 2.0, np.nan], "<th>": HOSTILE,
    })
    html = tables.html_table(frame, {"photo": "photo", "name": "species", "n": "count", "<th>": "<th>"},
                             links={"name": "url"}, images={"photo": "name"}, formats={"n": "{:.1f}"},
                             caption=HOSTILE[1], label="simulated")
    _no_raw_markup(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<a href=") == 1 and 'href="https://www.inaturalist.org/taxa/1"' in html
    assert html.count("<img ") == 1
    assert "1.2" in html and "bp-label-simulated" in html and "&lt;th&gt;" in html


def test_html_table_names_missing_columns():
    with pytest.raises(KeyError, match="nope"):
        tables.html_table(pd.DataFrame({"a": [1]}), ["a", "nope"])


def test_sparkline_is_numbers_only_and_marks_the_week():
    svg = tables.sparkline([0, 1, 5, 2, np.nan], mark=2, color='"><script>')
    assert svg.startswith("<svg") and "<circle" in svg and "script" not in svg
    assert tables.sparkline([]) == ""


# ---------------------------------------------------------------- map


def test_popups_escape_names_and_keep_only_http_links():
    frame = hostile_sightings()
    frame["weather"] = ["partly cloudy", HOSTILE[0], None, None, None, None]
    frame["tmax_c"] = 25.0
    frame["tmin_c"] = 12.0
    for row in frame.to_dict("records"):
        html = maps.popup_html(row)
        _no_raw_markup(html)
    first = maps.popup_html(frame.iloc[0].to_dict())
    assert "&lt;script&gt;" in first and "77/54 °F" in first and "partly cloudy" in first
    assert "href" not in maps.popup_html(frame.iloc[3].to_dict())
    assert "<img" not in maps.popup_html(frame.iloc[4].to_dict())


def test_weather_text_labels_derived_weather_and_units():
    # without sunshine, Open-Meteo's daily code is named for what it is (the day's worst hour), units of the site first
    row = {"weather": "clear sky", "tmax_c": 30.0, "tmin_c": 15.0, "precipitation_mm": 1.25, "weather_kind": "derived"}
    assert maps.weather_text(row, "C") == "30/15 °C (86/59 °F) · 1.2 mm rain · worst hour of the day: clear sky · (derived)"
    assert maps.weather_text(row, "F").startswith("86/59 °F (30/15 °C)")
    assert maps.weather_text({}, "F") == ""


def test_weather_text_judges_the_sky_from_sunshine_not_the_worst_hour():
    row = {"condition": "overcast", "tmax_c": 25.0, "tmin_c": 12.0, "sunshine_h": 15.5, "daylight_h": 15.7}
    text = maps.weather_text(row, "F")
    assert text.startswith("sunny · 77/54 °F") and "overcast" not in text and "15.5 h sun" in text


def test_map_has_markers_heatmap_controls_and_escaped_legend():
    import ipyleaflet

    frame = pd.concat([pdat.sightings().head(40), hostile_sightings()], ignore_index=True)
    m = maps.sightings_map(frame, this_year=2026)
    groups = [la for la in m.layers if isinstance(la, ipyleaflet.LayerGroup)]
    markers = [mk for g in groups for mk in g.layers]
    assert len(markers) == len(frame.dropna(subset=["latitude", "longitude"]))
    assert all(isinstance(mk.popup.value, str) for mk in markers)
    for mk in markers:
        _no_raw_markup(mk.popup.value)
    assert any(isinstance(la, ipyleaflet.Heatmap) for la in m.layers)
    kinds = {type(c) for c in m.controls}
    # the legend is never drawn over the map (it goes under it, see map_legend)
    assert ipyleaflet.LayersControl in kinds and ipyleaflet.LegendControl not in kinds
    legend = maps.map_legend(frame, place_name="Portland <b>", radius_km=50)
    _no_raw_markup(legend)
    assert "&lt;script&gt;" in legend and "Portland &lt;b&gt;" in legend and "<details" in legend
    assert any("&lt;script&gt;" in n for n in maps.legend_entries(hostile_sightings()))
    # marker colour is the species' map colour
    sci = frame.iloc[0]["scientific_name"]
    colours = {mk.fill_color for mk in markers if (mk.location[0], mk.location[1]) == (frame.iloc[0]["latitude"], frame.iloc[0]["longitude"])}
    assert maps.species_colors(frame.dropna(subset=["latitude", "longitude"]))[sci] in colours


def test_map_colours_are_distinct_and_the_rest_grey():
    frame = pdat.sightings()
    colours = maps.species_colors(frame)
    shown = [c for c in colours.values() if c != maps.OTHER_COLOR]
    assert len(shown) == len(set(shown)) == min(len(colours), len(maps.MAP_COLORS))
    entries = list(maps.legend_entries(frame).items())
    if len(colours) > len(maps.MAP_COLORS):
        assert entries[-1][0].startswith("+ ") and entries[-1][1] == maps.OTHER_COLOR


def test_map_layers_only_with_sightings_and_the_place_with_its_radius():
    import ipyleaflet

    frame = pdat.sightings().head(30).copy()
    frame["observed_on"] = pd.to_datetime(frame["observed_on"]).where(frame.index >= 3, pd.Timestamp("2026-06-10"))
    m = maps.sightings_map(frame, center=(45.5, -122.7), this_year=2026, place_name="Portland", radius_km=50)
    names = [la.name for la in m.layers]
    assert names[0] == maps.BASE_LAYER_NAME
    assert any(n.startswith("Sightings this year (2026): 3") for n in names)
    assert any(n.startswith("Earlier years") for n in names)
    ring = [la for g in m.layers if isinstance(g, ipyleaflet.LayerGroup) for la in g.layers if isinstance(la, ipyleaflet.Circle)]
    assert ring and ring[0].radius == 50_000 and ring[0].fill is False
    earlier = frame.iloc[3:]
    m2 = maps.sightings_map(earlier, this_year=2026)
    assert not any("2026" in la.name for la in m2.layers)  # no empty "this year" layer
    intro = maps.map_intro(earlier, this_year=2026)
    assert "None is from 2026" in intro and "larger circles" not in intro
    assert "licence" not in maps.map_intro(earlier.assign(license=None), this_year=2026)


def test_legend_lists_most_seen_species_first_and_counts_the_rest():
    frame = pdat.sightings()
    entries = maps.legend_entries(frame, max_entries=5)
    assert len(entries) == 6 and list(entries)[-1].startswith("+ ")
    top = frame["common_name"].value_counts().index[0]
    assert list(entries)[0].startswith(esc(top))


# ---------------------------------------------------------------- palette


@given(st.integers(min_value=1, max_value=10**9))
def test_palette_is_stable_and_from_the_fixed_list(taxon_id):
    c = style.species_color(taxon_id)
    assert c in style.PALETTE
    assert c == style.species_color(taxon_id) == style.species_color(str(taxon_id)) == style.species_color(float(taxon_id))


def test_palette_spreads_real_species_over_many_colours():
    ids = pdat.sightings()["taxon_id"].dropna().unique()
    assert len({style.species_color(int(t)) for t in ids}) >= 15
    # fixed expectation: the hash must not depend on the process (PYTHONHASHSEED)
    assert style.species_color(47224) == style.PALETTE[int.from_bytes(__import__("hashlib").sha256(b"47224").digest()[:4], "big") % 20]


# ---------------------------------------------------------------- figures


def _texts(fig) -> str:
    parts = [t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))]
    return " ".join(parts)


def _axis_labels(fig) -> list[str]:
    return [lab for ax in fig.axes for lab in (ax.get_xlabel(), ax.get_ylabel()) if lab]


def test_outlook_chart_units_sources_and_simulated_stamp():
    daily = pdat.forecast_daily()
    fig = figures.outlook_chart(daily, units="F", ensemble_q=pdat.ensemble_band(daily),
                                index=pd.Series(np.linspace(10, 90, len(daily))))
    labels = _axis_labels(fig)
    assert "sunshine (hours)" in labels and "temperature (°F)" in labels
    text = _texts(fig)
    assert "SIMULATED ensemble band" in text and "Source" in text and "Open-Meteo forecast" in text
    hi = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_label() == "high (°F)"][0]
    np.testing.assert_allclose(hi.get_ydata(), daily["tmax_c"] * 9 / 5 + 32)


def test_outlook_chart_in_celsius_without_ensemble_has_no_stamp():
    daily = pdat.forecast_daily()
    fig = figures.outlook_chart(daily, units="C")
    assert "temperature (°C)" in _axis_labels(fig)
    assert "SIMULATED" not in _texts(fig) and "DERIVED" not in _texts(fig)


def test_sunshine_timeline_one_panel_per_day_with_totals():
    minutely = pdat.minutely()
    fig = figures.sunshine_timeline(minutely)
    assert "local time" in _axis_labels(fig)
    total = minutely["sunshine_min"].sum() / 60
    assert f"{total:.1f} h of sunshine" in _texts(fig)
    derived = minutely.copy()
    derived.attrs["provenance"] = pdat.prov("snapshot", kind="derived", notice="re-encoded")
    assert "DERIVED" in _texts(figures.sunshine_timeline(derived))


def test_season_curve_band_marker_and_units():
    temps = pdat.noaa_daily()
    temps = temps[temps["date"] >= "1990-01-01"]
    cum = accumulate(daily_degree_days(temps, DegreeDays()).set_index("date")["dd"])
    nm = normals(cum)
    fig = figures.season_curve(cum, nm, "2024-06-15", lower=50, last_year=cum[cum.index.year == 2023],
                               sources=[pdat.prov("noaa")])
    ax = fig.axes[0]
    assert ax.get_ylabel() == "degree days (°F·days)"
    assert "Sat 15 Jun:" in _texts(fig) and "normal 1991–2020 (10–90 %)" in _texts(fig)
    marker = [ln for ln in ax.get_lines() if ln.get_marker() == "o"][0]
    assert marker.get_ydata()[0] == pytest.approx(cum.loc["2024-06-15"])
    this_year = [ln for ln in ax.get_lines() if ln.get_label() == "2024"][0]
    assert this_year.get_xdata().max() == 166  # nothing after as_of


# ---------------------------------------------------------------- banner and footer


def _result(datasets, *, snapshot=None, place_name="Portland, Oregon"):
    """A bare page result (no session, no products) carrying ``datasets`` under the given mode."""
    from datetime import date

    from butterfly_lib.pages import PageContext, PageResult
    from butterfly_lib.settings import Settings, place_settings

    s = Settings(places=(place_settings({"place_name": place_name}),))
    if snapshot:
        s = s.with_(offline=True, snapshot=date.fromisoformat(snapshot))
    ctx = PageContext(s, s.places[0], s.as_of_date(), session=None, products=None)  # type: ignore[arg-type]
    return PageResult(context=ctx, datasets=datasets)


def test_offline_snapshot_banner_and_labels():
    daily = pdat.forecast_daily()
    ens = pdat.ensemble_band(daily)
    html = provenance.page_banner(_result({"forecast": daily, "ensemble": ens}, snapshot="2026-06-15"))
    assert "built offline from the bundled snapshot recorded on Mon 15 Jun 2026" in html
    assert "bp-banner-offline" in html and "Simulated data in ensemble" in html
    # one line, details folded
    summary = re.search(r"<summary>(.*?)</summary>", html).group(1)
    assert "Offline snapshot of Mon 15 Jun 2026" in summary and "simulated" in summary and "<details>" in html


def test_banner_says_each_kind_once():
    notice = "DERIVED: from the sample; 1 grid cells in 1 request(s); DERIVED: from the sample; 5 grid cells in 1 request(s)"
    datasets = {f"seasonality of species {k}": pdat.prov("inaturalist", kind="derived", notice=notice) for k in range(6)}
    html = provenance.banner(datasets, snapshot="2026-06-13")
    assert html.count("bp-label-derived\">derived</span> Derived data") == 1
    assert html.count("DERIVED: from the sample") == 1 and "(and 1 more like it)" in html
    assert "seasonality of species 0, species 1" in html


def test_banner_stale_and_escaped_notice():
    stale = pdat.prov("inaturalist", stale=True, notice=HOSTILE[0], kind="derived")
    html = provenance.page_banner(_result({"sightings": stale}))
    _no_raw_markup(html)
    assert "Stale: sightings" in html and "Derived data in sightings" in html
    live = provenance.page_banner(_result({"f": pdat.prov("open_meteo_forecast")}))
    assert "bp-banner-live" in live and "Live data" in live


def test_footer_lists_datasets_parameters_version_and_escapes():
    from butterfly_lib import __version__

    p = pdat.prov("inaturalist", notice=HOSTILE[1]).with_(url="javascript:alert(1)", from_cache=True)
    result = _result({"sightings": p, "forecast": pdat.forecast_daily()}, place_name="Portland <b>")
    html = provenance.provenance_footer(result, generated_at=datetime(2026, 6, 15, tzinfo=UTC))
    _no_raw_markup(html)
    assert "from the request cache" in html and "live" in html and __version__ in html
    assert "Place: Portland &lt;b&gt;" in html and "modified-average" in html
    assert 'href="https://example.org/open_meteo_forecast"' in html
    assert "Mon 15 Jun 2026, 00:00 UTC" in html
    # folded, in words: no internal parameter names, no "kind observed"
    assert html.count("<details>") >= 1 and "inat_place_id" not in html and "output_dir" not in html
    assert "kind" not in re.sub(r"<[^>]+>", "", html).split("Licences")[0].replace("kinds", "")


def test_footer_offline_shows_the_snapshot_date_not_the_fetch_time():
    p = pdat.prov("open_meteo_forecast").with_(offline=True, fetched_at=datetime(2026, 12, 1, tzinfo=UTC))
    html = provenance.provenance_footer(_result({"16-day forecast": p}, snapshot="2026-06-13"))
    assert "recorded on Sat 13 Jun 2026" in html and "2026-12-01" not in html and "Tue 1 Dec" not in html
    assert "16-day forecast: forecast from Open-Meteo forecast" in html
    assert "offline, from the bundled snapshot recorded on Sat 13 Jun 2026" in html


@pytest.fixture(scope="module")
def emergence_frames():
    """The emergence page's results on the known-answer simulation (planted windows, real temperatures)."""
    from butterfly_lib.analysis.degree_days import normals as nrm
    from butterfly_lib.analysis.emergence_forecast import season_projection
    from butterfly_lib.analysis.phenology.effort import week_monday
    from butterfly_lib.analysis.phenology.place import place_phenology
    from butterfly_lib.pages.emergence import window_rows
    from tools.phenology_sim import simulate

    sim = simulate()
    cum = sim.place_cum_dd
    as_of = pd.Timestamp("2024-06-01")
    proj = season_projection(cum[cum.index <= as_of], pd.Series(dtype=float, index=pd.DatetimeIndex([])),
                             nrm(cum, period=(2015, 2023)), as_of)  # fmt: skip
    effort = sim.effort.assign(week_start=week_monday(sim.effort["year"], sim.effort["week"]))
    ph = place_phenology(sim.sightings, effort, place_cum_dd=cum, projection=proj, as_of=as_of, n_boot=100,
                         record_span=sim.record_span)  # fmt: skip
    return ph, window_rows(ph)


def test_flight_windows_one_bar_per_window_with_peak_today_and_labels(emergence_frames):
    from butterfly_lib.presentation import emergence as show

    ph, rows = emergence_frames
    fig = show.flight_windows(rows, "2024-06-01", gaps=ph.gaps,
                              sources=[pdat.prov("inaturalist", kind="simulated", notice="planted")])  # fmt: skip
    ax = fig.axes[0]
    assert ax.get_xlabel() == "date in 2024 (red line: Jun 1)"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(rows) and any("(1/2)" in x for x in labels) and any("(2/2)" in x for x in labels)
    assert "SIMULATED sample" in _texts(fig) and "flying now" in _texts(fig)


def test_hindcast_intervals_and_table_show_the_interval_and_verdict(emergence_frames):
    from butterfly_lib.presentation import emergence as show

    ph, _ = emergence_frames
    skill = ph.skill
    fig = show.hindcast_intervals(skill)
    ax = fig.axes[0]
    assert "ALL SPECIES" in " ".join(t.get_text() for t in ax.get_yticklabels())
    assert ax.get_xlabel() == "days closer with degree days than with the calendar (95 % interval)"
    html = show.hindcast_table(skill)
    overall = skill[skill["scientific_name"] == "(all species)"].iloc[0]
    assert f"{overall['difference_low']:+.1f} to {overall['difference_high']:+.1f}" in html
    assert overall["verdict"].split(" (")[0] in html
    assert show.hindcast_intervals(skill.iloc[0:0]) is None and show.hindcast_table(skill.iloc[0:0]) == ""


def test_emergence_tables_escape_names(emergence_frames):
    from butterfly_lib.presentation import emergence as show

    ph, rows = emergence_frames
    hostile = rows.copy()
    hostile.loc[0, "common_name"] = HOSTILE[0]
    hostile.loc[1, "censor_reason"] = HOSTILE[1]
    html = show.windows_table(hostile)
    _no_raw_markup(html)
    assert "&lt;script&gt;" in html
    notes = show.windows_notes(hostile)
    _no_raw_markup(notes)
    assert "&lt;script&gt;" in notes and "onerror=alert(1)&gt;" in notes
    st_rows = ph.statuses.copy()
    st_rows.loc[0, "status_text"] = HOSTILE[2]
    _no_raw_markup(show.statuses_table(st_rows))
