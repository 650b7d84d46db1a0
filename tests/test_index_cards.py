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
    order = [html.index(s) for s in ("2026-06-13: index 99", "2026-06-14: index 95", "2026-06-13: index 70")]
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
    assert "16-day forecast" in html and "open_meteo_ensemble" in html and "simulated" in html
    assert "2026-06-13 10:00 UTC" in html and 'href="pages/forecast.html"' in html
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
