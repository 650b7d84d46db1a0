"""Landing-page cards: with several places, every place × day is ranked together (and escaped)."""

import pandas as pd

from butterfly_lib.site.index_cards import best_place_days


def _outlook(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["date", "viewing_index", "reason"]).to_csv(folder / "forecast-outlook.csv", index=False)


def test_place_by_day_ranking(tmp_path):
    _outlook(tmp_path / "a", [("2026-06-13", 70.0, "Good"), ("2026-06-14", 95.0, "Excellent <b>sun</b>")])
    _outlook(tmp_path / "b", [("2026-06-13", 99.0, "Excellent"), ("2026-06-14", 20.0, "Poor: rain")])
    html = best_place_days({"Portland": tmp_path / "a", "Eugene <script>": tmp_path / "b"}, top=3)
    order = [html.index(s) for s in ("Sat 13 Jun: index 99", "Sun 14 Jun: index 95", "Sat 13 Jun: index 70")]
    assert order == sorted(order)
    assert "Poor: rain" not in html  # only the top 3
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;sun" in html


def test_one_place_has_no_ranking_card(tmp_path):
    _outlook(tmp_path / "a", [("2026-06-13", 70.0, "Good")])
    assert best_place_days({"Portland": tmp_path / "a"}) == ""


def test_provenance_summary_lists_every_dataset_escaped(tmp_path):
    import json

    from butterfly_lib.site.index_cards import provenance_summary

    (tmp_path / "forecast-provenance.json").write_text(json.dumps({
        "page": "forecast",
        "datasets": [
            {"dataset": "16-day forecast", "source": "open_meteo_forecast", "kind": "observed", "status": "offline",
             "fetched_at": "2026-06-13T10:00:00+00:00"},
            {"dataset": "<img src=x>", "source": "open_meteo_ensemble", "kind": "simulated", "status": "live"},
        ],
    }))
    html = provenance_summary(tmp_path, "pages/")
    assert "16-day forecast" in html and "Open-Meteo ensemble" in html and "simulated" in html
    assert "Sat 13 Jun 2026, 10:00 UTC" in html and 'href="pages/forecast.html"' in html
    assert "<img" not in html and "&lt;img src=x&gt;" in html
    assert provenance_summary(tmp_path / "none", "pages/") == ""


def test_expected_soon_card_lists_upcoming_species_only():
    from butterfly_lib.pages.emergence import expected_soon

    windows = pd.DataFrame(
        {
            "common_name": ["A", "B", "C", "D", "E"],
            "scientific_name": ["a", "b", "c", "d", "e"],
            "status": ["flying now", "later", "expected soon", "expected soon", "season over"],
            "start": pd.to_datetime(["2026-06-01", "2026-07-23", "2026-06-22", "2026-06-15", "2026-04-01"]),
            "end": pd.to_datetime(["2026-06-20", "2026-08-01", "2026-06-30", "2026-06-25", "2026-05-01"]),
            "censored": ["", "", "onset", "", ""],
        }
    )
    windows.attrs["as_of"] = pd.Timestamp("2026-06-13")
    got = expected_soon(windows).expected_soon
    assert [r.common_name for r in got] == ["D", "C", "B"]
    # a censored opening is not given as a date (the card shows it as unknown)
    assert got[1].window_start is None and got[1].window_end == "2026-06-30"


def _write(folder, **summaries):
    import json

    folder.mkdir(parents=True, exist_ok=True)
    for name, s in summaries.items():
        (folder / f"{name}-summary.json").write_text(json.dumps(s))


SPECIES = {
    "flying_now": [
        {"common_name": "Western Tiger Swallowtail", "scientific_name": "Papilio rutulus", "count": 43,
         "url": "https://www.inaturalist.org/taxa/47226", "count_this_year": 0},
        {"common_name": "Pale Swallowtail", "scientific_name": "Papilio eurymedon", "count": 8, "url": None,
         "count_this_year": 2},
    ],
    "window_start": "2026-05-30", "window_end": "2026-06-20", "as_of": "2026-06-13", "species_total": 17,
}  # fmt: skip
EMERGENCE = {
    "expected_soon": [
        {"common_name": "Pale Swallowtail", "scientific_name": "Papilio eurymedon", "status": "expected soon",
         "window_start": "2026-06-14", "window_end": "2026-06-25"},
        {"common_name": "Boisduval's Blue", "scientific_name": "Icaricia icarioides", "status": "expected soon",
         "window_start": "2026-06-17", "window_end": "2026-07-17"},
    ]
}  # fmt: skip
FORECAST = {
    "best_days": [
        {"date": "2026-06-17", "index": 95.0, "reason": "Excellent", "sky": "sunny", "tmax_f": 81.0, "protocol_met": True},
        {"date": "2026-06-20", "index": 95.0, "reason": "Excellent", "sky": "mostly sunny", "tmax_f": 77.0,
         "protocol_met": True},
    ]
}  # fmt: skip


def test_each_species_has_one_status_and_every_count_its_time_frame(tmp_path):
    from butterfly_lib.site.index_cards import place_cards

    _write(tmp_path, species=SPECIES, emergence=EMERGENCE, forecast=FORECAST)
    html = place_cards(tmp_path, "pages/")
    flying = html[html.index("<h3>Flying now</h3>") : html.index("<h3>Expected soon</h3>")]
    soon = html[html.index("<h3>Expected soon</h3>") :]
    assert "Pale Swallowtail" in flying and "Pale Swallowtail" not in soon  # one status each
    assert "Boisduval&#x27;s Blue" in soon and "Wed 17 Jun – Fri 17 Jul" in soon
    assert "43 sightings; 0 this year" in flying and "8 sightings; 2 this year" in flying
    assert "30 May – 20 Jun in past years" in flying and "1 Jan to Sat 13 Jun" in flying
    assert "Predicted for this year" in soon
    assert "Wed 17 Jun</b>: sunny, 81 °F" in html  # weekdays on dates, the sky in words


def test_landing_opens_with_the_answer_linked_to_where_they_were_seen(tmp_path):
    import json

    from butterfly_lib.site.index_cards import cards_html

    pages = tmp_path / "pages"
    _write(pages, species=SPECIES, emergence=EMERGENCE, forecast=FORECAST)
    (pages / "run.json").write_text(json.dumps({"mode": "snapshot", "snapshot_as_of": "2026-06-13",
                                                "places": [{"name": "Portland", "folder": ".", "parameters": {"units": "F"}}]}))  # fmt: skip
    html = cards_html(pages, root=tmp_path)
    answer = html.index('class="bp-answer"')
    assert answer < html.index("bp-banner") < html.index('class="bp-cards"')
    text = html[answer : html.index("</div>", answer)]
    assert "Best day: Wed 17 Jun</b> — sunny, 81 °F" in text
    assert "Western Tiger Swallowtail" in text and 'href="pages/sightings_map.html"' in text
    assert "Also good: Sat 20 Jun (mostly sunny, 77 °F)" in text


def test_no_good_day_is_said_plainly():
    from butterfly_lib.presentation.answers import best_day_answer

    days = [{"date": "2026-11-03", "index": 31, "sky": "cloudy, rain", "tmax_f": 48.0, "protocol_met": False}]
    html = best_day_answer(days)
    assert "No day in the next 16" in html and "Best day" not in html and "Tue 3 Nov" in html
