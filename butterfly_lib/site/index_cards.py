"""The landing page's cards, built from the pages' ``*-summary.json`` files into an include for ``index.qmd``.

Look here to change what the home page shows. ``write_cards(pages_dir)`` writes ``pages/_cards.md`` (a raw-HTML
block that ``index.qmd`` pulls in with ``{{< include pages/_cards.md >}}``; Quarto skips files starting with
``_``). First the answer a reader acts on (the best day, its weather and the species to look for, with a link
to where they were seen), then the offline banner in snapshot mode (one line, details folded), then per place:
season progress (degree days against normal, days ahead/behind), the best days ahead, species flying now (seen
around this date in past years, from the species page, each count with its time frame and this year's count
beside it) and species expected soon (predicted this year by the emergence page, leaving out any species
already listed as flying: each species has one status), with links to the pages and their data. Every date
carries its weekday; every value is escaped; a card whose summary is missing says which page did not produce it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from butterfly_lib.presentation.answers import best_day_answer, weather_words
from butterfly_lib.presentation.provenance import banner
from butterfly_lib.presentation.safe import esc, link
from butterfly_lib.presentation.style import source_name
from butterfly_lib.presentation.words import as_date, day, day_range, plural
from butterfly_lib.settings import PROJECT_ROOT
from butterfly_lib.site.navigation import notebook_pages

CARDS_FILE = "_cards.md"
CARDS_CSS = """<style>
.bp-cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:14px;margin:12px 0 24px}
.bp-card{border:1px solid #d6dbe1;border-radius:8px;padding:12px 14px;background:#fff}
.bp-card h3{font-size:1.05rem;margin:0 0 8px}
.bp-card ul{padding-left:1.1em;margin:4px 0}
.bp-card .bp-big{font-size:1.6rem;font-weight:600}
.bp-card .bp-more{font-size:.9em;margin-top:8px}
.bp-card .bp-sub{font-size:.85em;color:#555;margin:-4px 0 6px}
.bp-missing{color:#8a6d3b}
.bp-derived{color:#8a6d3b}
.bp-provenance-summary summary{cursor:pointer}
</style>"""


def _read(folder: Path, name: str) -> dict[str, Any] | None:
    path = folder / f"{name}-summary.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def _num(value: Any, fmt: str = "{:,.0f}") -> str:
    try:
        return esc(fmt.format(float(value)))
    except (TypeError, ValueError):
        return "—"


def data_kinds(folder: Path, page: str) -> set[str]:
    """Kinds (observed, derived, simulated) of the datasets a page used, from its ``<page>-provenance.json``."""
    path = folder / f"{page}-provenance.json"
    try:
        return {str(d.get("kind")) for d in json.loads(path.read_text()).get("datasets", [])}
    except (OSError, json.JSONDecodeError, AttributeError):
        return set()


def _kind_labels(folder: Path, page: str) -> str:
    kinds = [k for k in ("simulated", "derived") if k in data_kinds(folder, page)]
    if not kinds:
        return ""
    words = " and ".join(kinds)
    return f'<p class="bp-kinds"><small>Includes {esc(words)} data (see the page\'s provenance).</small></p>'


def _card(title: str, body: str, page: str, prefix: str, folder: Path) -> str:
    body += _kind_labels(folder, page)
    files = sorted(p.name for p in folder.glob(f"{page}-*") if p.suffix in (".csv", ".json"))
    data = " · ".join(f'<a href="{esc(prefix + f)}">{esc(f)}</a>' for f in files)
    more = f'<a href="{esc(prefix + page)}.html">Open the page</a>' + (f" · data: {data}" if data else "")
    return f'<div class="bp-card"><h3>{esc(title)}</h3>{body}<p class="bp-more">{more}</p></div>'


def _missing(page: str) -> str:
    return f'<p class="bp-missing">Not available: the {esc(page)} page wrote no summary in this build.</p>'


def _since(s: dict[str, Any]) -> str:
    """The season's first day in words ("1 July 2025"); "1 January" for a summary from before the field."""
    try:
        first = date.fromisoformat(str(s.get("season_start")))
    except ValueError:
        return "1 January"
    return f"{first.day} {first:%B %Y}"


def _season(s: dict[str, Any] | None) -> str:
    if not s:
        return _missing("degree_days")
    ahead = s.get("days_ahead")
    try:
        a = float(ahead)
        when = "about on time" if abs(a) < 1 else f"{abs(a):.0f} days {'ahead of' if a >= 0 else 'behind'} normal"
    except (TypeError, ValueError):
        when = "timing against normal unknown"
    units = s.get("units", "")
    derived = (
        f'<details class="bp-derived"><summary><small>partly derived</small></summary><small>{esc(s["partly_derived"])}'
        "</small></details>"
        if s.get("partly_derived")
        else ""
    )
    return (
        f'<p><span class="bp-big">{_num(s.get("cum_dd"))}</span> {esc(units)} since {esc(_since(s))} '
        f"(as of {esc(day(s.get('as_of'), year=True) or s.get('as_of'))})</p>"
        f"<p>Normal by now: {_num(s.get('normal_mean'))} ({_num(s.get('diff_dd'), '{:+,.0f}')}); "
        f"<b>{esc(when)}</b>; warmer than {_num(s.get('percentile_rank'))}% of normal-period years.</p>"
        f"<p><small>{esc(s.get('method'))}</small></p>" + derived
    )


def _items(rows: list[str], empty: str) -> str:
    return f"<ul>{''.join(f'<li>{r}</li>' for r in rows)}</ul>" if rows else f"<p>{esc(empty)}</p>"


def _name(row: dict[str, Any]) -> str:
    common, sci = row.get("common_name") or "", row.get("scientific_name") or ""
    return f"{esc(common)} (<i>{esc(sci)}</i>)" if common else f"<i>{esc(sci)}</i>"


def _best(s: dict[str, Any] | None, units: str = "F") -> str:
    if s is None:
        return _missing("forecast")
    days = s.get("best_days", [])
    rows = [
        f"<b>{esc(day(d.get('date')) or d.get('date'))}</b>"
        + (f": {esc(weather_words(d, units))}" if weather_words(d, units) else "")
        + f"; index {_num(d.get('index'))}"
        for d in days
    ]
    meets = all(d.get("protocol_met", True) for d in days)
    sub = (
        "The best three by the viewing index, among days warm, dry and calm enough for a butterfly count."
        if meets
        else "No day meets the conditions for a butterfly count; these score least badly."
    )
    return f'<p class="bp-sub">{esc(sub)}</p>' + _items(rows, "No days scored.")


def species_window(s: dict[str, Any] | None) -> str:
    """ "30 May – 20 Jun" from the species summary's window (this year's dates of a window counted in every
    year), or "" when the summary has none."""
    if not s:
        return ""
    a, b = as_date(s.get("window_start")), as_date(s.get("window_end"))
    return f"{a.day} {a:%b} – {b.day} {b:%b}" if a and b else ""


def _flying(s: dict[str, Any] | None) -> str:
    if s is None:
        return _missing("species")
    window = species_window(s)
    since = day(s.get("as_of"))
    rows = [
        f"{link(r.get('url'), r.get('common_name') or r.get('scientific_name'))} "
        f"(<i>{esc(r.get('scientific_name'))}</i>): {esc(plural(int(r.get('count') or 0), 'sighting'))}"
        + (f"; {esc(str(int(r['count_this_year'])))} this year" if r.get("count_this_year") is not None else "")
        for r in s.get("flying_now", [])
    ]
    frame = f"on {window}" if window else "around this date"
    total = s.get("species_total")
    more = f" ({plural(int(total), 'species', 'species')} in all; the most seen)" if total else ""
    sub = (
        f"Seen here {frame} in past years (all years on record){more}. "
        + (f"“This year”: 1 Jan to {since}." if since else "")
    )
    return f'<p class="bp-sub">{esc(sub)}</p>' + _items(rows, "No species seen around this week.")


def _soon(s: dict[str, Any] | None, flying: dict[str, Any] | None = None) -> str:
    if s is None:
        return _missing("emergence")
    listed = {str(r.get("scientific_name")) for r in (flying or {}).get("flying_now", [])}
    rows = [
        f"{_name(r)}: {esc(r.get('status'))}"
        + (f", {esc(day_range(r.get('window_start'), r.get('window_end')))}" if r.get("window_start") or r.get("window_end") else "")
        for r in s.get("expected_soon", [])
        if str(r.get("scientific_name")) not in listed
    ]
    sub = "Predicted for this year from degree days (species already listed as flying now are left out)."
    return f'<p class="bp-sub">{esc(sub)}</p>' + _items(rows, "No other species expected in the coming weeks.")


def provenance_summary(folder: Path, prefix: str) -> str:
    """Where this place's numbers came from: one line per dataset of every page (from ``<page>-provenance.json``):
    source, kind, whether live, cached, stale or offline, when fetched (offline: the snapshot); each page's
    footer has the full record. Folded."""
    rows = []
    record = _run_record(folder)
    snapshot = record.get("snapshot_as_of")
    for path in sorted(folder.glob("*-provenance.json")):
        try:
            prov = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        page = str(prov.get("page") or path.name.removesuffix("-provenance.json"))
        for d in prov.get("datasets", []):
            status = str(d.get("status") or "")
            fetched = _fetched(d.get("fetched_at"))
            if snapshot and status == "offline":
                got = f"from the bundled snapshot recorded {day(snapshot, year=True)}"
            else:
                got = f"{status}{', fetched ' + fetched if fetched else ''}"
            kind = str(d.get("kind") or "")
            rows.append(
                f"<li>{link_page(prefix, page)}: {esc(d.get('dataset'))} from <b>{esc(source_name(str(d.get('source'))))}</b>"
                f"{' (' + esc(kind) + ')' if kind and kind != 'observed' else ''}, {esc(got)}</li>"
            )
    if not rows:
        return ""
    return (
        '<details class="bp-provenance-summary"><summary>Where these numbers come from '
        f"({len(rows)} datasets)</summary><ul>{''.join(rows)}</ul></details>"
    )


def _fetched(value: Any) -> str:
    """An ISO fetch time as "Sat 13 Jun 2026, 10:00 UTC" ("" when missing or unreadable)."""
    try:
        ts = datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return ""
    ts = ts.astimezone(UTC) if ts.tzinfo else ts
    return f"{day(ts, year=True)}, {ts:%H:%M} UTC"


def _run_record(folder: Path) -> dict[str, Any]:
    for path in (folder / "run.json", folder.parent / "run.json"):
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
    return {}


def link_page(prefix: str, page: str) -> str:
    return f'<a href="{esc(prefix + page)}.html">{esc(page.replace("_", " "))}</a>'


def place_answer(folder: Path, prefix: str, units: str = "F") -> str:
    """The sentence a reader acts on: the best day (forecast summary) and the species to look for (the most
    seen around this date, species summary), linked to the map of where they were seen."""
    fc, sp = _read(folder, "forecast"), _read(folder, "species")
    if fc is None:
        return ""
    window = species_window(sp)
    return str(
        best_day_answer(
            fc.get("best_days", []), (sp or {}).get("flying_now", [])[:3], units=units,
            map_href=f"{prefix}sightings_map.html", table_href=f"{prefix}forecast.html#outlook-table",
            window=window,
        )  # fmt: skip
    )


def place_cards(folder: Path, prefix: str, units: str = "F") -> str:
    """The four cards of one place's section; ``prefix`` is the path from index.html to its pages."""
    species = _read(folder, "species")
    return (
        '<div class="bp-cards">'
        + _card("Best days ahead", _best(_read(folder, "forecast"), units), "forecast", prefix, folder)
        + _card("Flying now", _flying(species), "species", prefix, folder)
        + _card("Expected soon", _soon(_read(folder, "emergence"), species), "emergence", prefix, folder)
        + _card("Season progress", _season(_read(folder, "degree_days")), "degree_days", prefix, folder)
        + "</div>"
        + provenance_summary(folder, prefix)
    )


def best_place_days(folders: dict[str, Path], top: int = 5) -> str:
    """With several places: every place × day of their 16-day outlooks ranked together (``rank_place_days``),
    read from each place's ``forecast-outlook.csv``; the best ``top`` as an escaped list."""
    import pandas as pd

    from butterfly_lib.analysis.viewing_index import rank_place_days

    scored = {}
    for name, folder in folders.items():
        path = folder / "forecast-outlook.csv"
        if path.exists():
            frame = pd.read_csv(path, parse_dates=["date"])
            if {"viewing_index", "reason"} <= set(frame.columns):
                scored[name] = frame
    if len(scored) < 2:
        return ""
    ranked = rank_place_days(scored, top=top)
    rows = [
        f"<b>{esc(r.place)}</b>, {esc(day(r.date))}: index {_num(r.viewing_index)}. {esc(r.reason)}"
        for r in ranked.itertuples()
    ]
    return (
        '<div class="bp-cards"><div class="bp-card"><h3>Best place and day</h3>'
        + _items(rows, "No days scored.")
        + "<p>Every configured place's next 16 days ranked together by the viewing index.</p></div></div>"
    )


def cards_html(pages_dir: Path, root: Path = PROJECT_ROOT) -> str:
    """The whole include: banner (snapshot mode), then a section per place of ``pages/run.json``."""
    pages_dir = Path(pages_dir)
    record_path = pages_dir / "run.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    places = record.get("places") or [{"name": "", "folder": "."}]
    rel = Path(pages_dir).resolve()
    try:
        base = rel.relative_to(Path(root).resolve()).as_posix() + "/"
    except ValueError:
        base = "pages/"
    parts = [CARDS_CSS]
    folders = {
        p["name"]: (pages_dir if p["folder"] == "." else pages_dir / p["folder"]) for p in places
    }
    first = places[0]
    units = str((first.get("parameters") or {}).get("units") or "F")
    parts.append(place_answer(folders[first["name"]], base if first["folder"] == "." else f"{base}{first['folder']}/", units))
    if record.get("mode") == "snapshot":
        parts.append(str(banner({}, snapshot=str(record.get("snapshot_as_of")))))
    if len(places) > 1:
        parts.append(best_place_days(folders))
    for i, place in enumerate(places):
        folder = folders[place["name"]]
        prefix = base if place["folder"] == "." else f"{base}{place['folder']}/"
        if len(places) > 1 or i > 0:
            parts.append(f"<h2>{esc(place['name'])}</h2>")
        parts.append(place_cards(folder, prefix, str((place.get("parameters") or {}).get("units") or units)))
        if i > 0:
            links = " · ".join(
                f'<a href="{esc(prefix + p.name)}.html">{esc(p.title)}</a>'
                for p in notebook_pages(root)
                if (folder / f"{p.name}.ipynb").exists()
            )
            parts.append(f"<p>Pages for {esc(place['name'])}: {links}</p>")
    return "\n".join(parts)


def write_cards(pages_dir: Path, root: Path = PROJECT_ROOT) -> Path:
    """Write ``pages/_cards.md`` and return its path."""
    pages_dir = Path(pages_dir)
    pages_dir.mkdir(parents=True, exist_ok=True)
    html = cards_html(pages_dir, root)
    path = pages_dir / CARDS_FILE
    path.write_text("```{=html}\n" + html.replace("\n```", "\n ```") + "\n```\n")
    return path
