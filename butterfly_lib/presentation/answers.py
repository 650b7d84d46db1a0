"""The sentences a reader acts on: the best day and what to look for, and each page's summary in words.

Look here to change the answer at the top of the landing and forecast pages, or the summary sentence of the
species, degree-days and sightings-map pages. ``best_day_answer`` works from plain mappings (the forecast
page's ``BestDay``/``LookFor`` as dicts, or the landing page's ``*-summary.json``), so both pages say the same
thing the same way. Every date has its weekday, every count its time frame; all text is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from butterfly_lib.pages.result import PageResult
from butterfly_lib.presentation.safe import Html, esc, link
from butterfly_lib.presentation.words import (
    as_date,
    day,
    day_range,
    month_day_window,
    names,
    plural,
    temperature,
)

ANSWER_CSS = """<style>
.bp-answer{font-size:1.15em;line-height:1.45;border-left:5px solid #2ca02c;background:#f3faf3;padding:8px 12px;
 margin:8px 0 12px 0;border-radius:4px}
.bp-answer p{margin:2px 0}.bp-answer .bp-also{font-size:0.85em;color:#333}
.bp-where{color:#555;margin:0 0 6px 0;font-size:0.95em}
</style>"""


def _plain(x: Any) -> dict[str, Any]:
    if is_dataclass(x) and not isinstance(x, type):
        return asdict(x)
    return dict(x) if isinstance(x, Mapping) else {}


def weather_words(d: Mapping[str, Any], units: str = "F") -> str:
    """ "sunny, 84 °F" from a best day's ``sky`` and ``tmax_f`` (either may be missing)."""
    bits = [str(d.get("sky") or ""), temperature(d.get("tmax_f"), units)]
    return ", ".join(b for b in bits if b)


def best_day_answer(
    best_days: Sequence[Any],
    look_for: Sequence[Any] = (),
    *,
    units: str = "F",
    map_href: str = "sightings_map.html",
    table_href: str = "#outlook-table",
    window: str = "",
) -> Html:
    """ "Best day: Tue 16 Jun — sunny, 84 °F; look for Western Tiger Swallowtail, Lorquin's Admiral (where they
    were seen)", then the runners-up. ``best_days``: best first (``BestDay`` or its dict: date, index, sky,
    tmax_f, protocol_met); ``look_for``: species, most seen first (``common_name``/``scientific_name``, ``url``).
    When no day meets the walk conditions, the sentence says so instead of calling a day good."""
    days = [_plain(d) for d in best_days]
    if not days:
        return Html(f'{ANSWER_CSS}<div class="bp-answer"><p>No forecast days could be scored in this build.</p></div>')
    first = days[0]
    weather = weather_words(first, units)
    idx = first.get("index")
    score = f" (viewing index {float(idx):.0f} of 100)" if isinstance(idx, int | float) else ""
    if first.get("protocol_met", True):
        head = f"<b>Best day: {esc(day(first.get('date')))}</b>" + (f" — {esc(weather)}" if weather else "")
    else:
        head = (
            "<b>No day in the next 16 is warm, dry and calm enough for a butterfly count</b>; the least bad: "
            f"{esc(day(first.get('date')))}" + (f" — {esc(weather)}" if weather else "")
        )
    species = [_plain(s) for s in look_for]
    look = ""
    if species:
        shown = names(link(s.get("url"), s.get("common_name") or s.get("scientific_name")) for s in species)
        seen = f"most seen here on {esc(window)} in past years" if window else "most seen here around this date"
        look = (
            f"; look for {shown}, the butterflies {seen} "
            f'(<a href="{esc(map_href)}">where they were seen</a>)'
        )
    rest = [d for d in days[1:] if d.get("protocol_met", True) == first.get("protocol_met", True)]
    also = ""
    if rest:
        also = (
            '<p class="bp-also">Also good: '
            + esc("; ".join(f"{day(d.get('date'))} ({weather_words(d, units)})" for d in rest))
            + f'. Every day with its reason: the <a href="{esc(table_href)}">viewing-index table</a>.</p>'
        )
    return Html(f'{ANSWER_CSS}<div class="bp-answer" id="bp-answer"><p>{head}{esc(score)}{look}.</p>{also}</div>')


def where_line(result: PageResult) -> Html:
    """ "Portland, Oregon · Sat 13 Jun 2026": the place and the page's date, above the banner."""
    ctx = result.context
    return Html(f'{ANSWER_CSS}<p class="bp-where">{esc(ctx.place.name)} · {esc(day(ctx.as_of, year=True))}</p>')


def forecast_answer(result: Any, *, map_href: str = "sightings_map.html") -> Html:
    """The forecast page's answer (``pages.forecast.ForecastResult``)."""
    p = result.context.place
    window = month_day_window(result.context.as_of, p.days_back, p.days_ahead)
    return best_day_answer(
        result.summary.best_days, result.look_for, units=p.units, map_href=map_href, window=window
    )


def species_sentence(result: Any) -> Html:
    """The species page's summary (``pages.species.SpeciesResult``) in words, each count with its time frame."""
    ctx = result.context
    p = ctx.place
    rows = result.rows.sort_values("count", ascending=False, kind="stable")
    window = month_day_window(ctx.as_of, p.days_back, p.days_ahead)
    if rows.empty:
        return Html(f"<p>No butterflies were recorded here on {esc(window)} in any year.</p>")
    top = names(
        f"{n if isinstance(n, str) and n else s} ({c})"
        for n, s, c in zip(rows["common_name"].head(3), rows["scientific_name"].head(3), rows["count"].head(3), strict=True)
    )
    seen = rows[rows["count_this_year"] > 0]
    year = (
        f"This year, from 1 Jan to {day(ctx.as_of)}, {plural(len(seen), 'of them was', 'of them were')} seen: "
        + names(str(n) if isinstance(n, str) and n else str(s) for n, s in zip(seen["common_name"], seen["scientific_name"], strict=True))
        + "."
        if len(seen)
        else f"None of them has been recorded this year yet (1 Jan to {day(ctx.as_of)})."
    )
    return Html(
        "<p>"
        + esc(
            f"{plural(len(rows), 'species', 'species')} were recorded here on {window} in past years (all years on "
            f"record, {int(rows['count'].sum()):,} sightings); the most seen: {top}. {year}"
        )
        + "</p>"
    )


def degree_days_sentence(result: Any) -> Html:
    """The degree-days page's summary (``pages.degree_days.DegreeDaysResult``) in words."""
    s = result.summary
    p = result.context.place
    if s.cum_dd is None:
        return Html("<p>This season's degree days could not be computed in this build.</p>")
    ahead = s.days_ahead or 0.0
    timing = (
        "about on time"
        if abs(ahead) < 1
        else f"about {abs(ahead):.0f} days {'ahead of' if ahead > 0 else 'behind'} normal"
    )
    normal = f" against a normal of {s.normal_mean:,.0f} ({s.diff_dd:+,.0f})" if s.normal_mean is not None else ""
    rank = (
        f"; warmer than {s.percentile_rank:.0f} % of {p.normals_start}–{p.normals_end} seasons on this date"
        if s.percentile_rank is not None
        else ""
    )
    text = f"On {day(s.as_of, year=True)}: {s.cum_dd:,.0f} {s.units} since 1 January{normal}, {timing}{rank}."
    extra = (
        f'<details class="bp-derived"><summary><small>Partly derived (details)</small></summary><p><small>'
        f"{esc(s.partly_derived)}</small></p></details>"
        if s.partly_derived
        else ""
    )
    return Html(f"<p>{esc(text)}</p>{extra}")


def expected_words(summary: Any) -> Html:
    """The emergence page's expected-soon summary as a list in words (whatever fields it carries: names, status,
    window dates); never a raw structure."""
    rows = [_plain(r) for r in (_plain(summary).get("expected_soon") or [])]
    if not rows:
        return Html("<p>No species is expected to start flying in the coming weeks.</p>")
    items = []
    for r in rows:
        name = r.get("common_name") or r.get("scientific_name") or "unknown species"
        span = day_range(r.get("window_start"), r.get("window_end"))
        status = str(r.get("status") or "")
        items.append(f"<li><b>{esc(name)}</b>" + (f": {esc(status)}" if status else "") + (f", {esc(span)}" if span else "") + "</li>")
    return Html(f"<ul>{''.join(items)}</ul>")


def map_sentence(frame: Any, this_year: int) -> Html:
    """The sightings map's summary: how many sightings of how many species from which years, and this year's."""
    if frame is None or len(frame) == 0:
        return Html("<p>No sightings to show.</p>")
    years = [as_date(v) for v in frame["observed_on"]]
    ys = sorted({d.year for d in years if d is not None})
    now = sum(1 for d in years if d is not None and d.year == this_year)
    span = f"{ys[0]}–{ys[-1]}" if len(ys) > 1 else (str(ys[0]) if ys else "unknown years")
    text = (
        f"The map shows {plural(len(frame), 'sighting')} of {plural(frame['scientific_name'].nunique(), 'species', 'species')} "
        f"from {plural(len(ys), 'year')} ({span}); {plural(now, 'is', 'are') if now else 'none is'} from {this_year}."
    )
    return Html(f"<p>{esc(text)}</p>")


def station_comparison(result: Any, figure: Any) -> Any:
    """The degree-days page's station-against-grid section: ``figure()`` (a ``Chart``) when the comparison
    means something in this build, else the sentence saying why it is not shown
    (``DegreeDaysResult.comparison_note``), so the page never sets the station against itself."""
    note = getattr(result, "comparison_note", "")
    if note:
        return Html(f'<p class="bp-note"><b>Station against grid:</b> {esc(note)}</p>')
    return figure()
