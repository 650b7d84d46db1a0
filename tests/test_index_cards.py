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
