"""What every page says about its data: the banner at the top and the provenance footer at the bottom.

Look here to change the offline/stale/simulated/derived notices or the footer. ``page_banner(result)`` is one
line (the mode and the kinds of data that are not plain observations) with everything else folded beneath it:
the offline snapshot's date, each stale dataset, one notice per kind (derived, simulated) listing the datasets
and what was done to them, and any reader notes the page adds. ``provenance_footer(result)`` is folded too: each
dataset in words (what it is, where from, when fetched, or when the snapshot was recorded offline, the request
URL and its notice), the page's settings in words, the requests it made, the mode and the package version.
All text is escaped; URLs become links only when http(s).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from butterfly_lib.pages.result import PageResult, dataset_provenance
from butterfly_lib.presentation.safe import Html, esc, link
from butterfly_lib.presentation.style import source_name
from butterfly_lib.presentation.words import as_date, day, mode_words, names, plural, when
from butterfly_lib.provenance import Provenance
from butterfly_lib.settings import VERSION, PlaceSettings

BANNER_CSS = """<style>
.bp-banner{border-radius:6px;padding:6px 10px;margin:0 0 10px 0;font-size:0.95em;line-height:1.35}
.bp-banner-offline{background:#fff3cd;border:2px solid #b8860b;color:#3d2c00}
.bp-banner-stale{background:#fde7ea;border:1px solid #b00020;color:#5a0010}
.bp-banner-live{background:#eef6ee;border:1px solid #5a8f5a;color:#1e3d1e}
.bp-banner summary{cursor:pointer;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-size:0.95em}
.bp-banner details[open] summary{white-space:normal}
.bp-banner p,.bp-banner li{margin:4px 0}.bp-banner ul{padding-left:1.2em;margin:2px 0}
.bp-label{display:inline-block;padding:0 6px;border-radius:4px;font-size:0.8em;font-weight:bold;margin-right:4px}
.bp-label-simulated{background:#fde7ea;color:#b00020;border:1px solid #b00020}
.bp-label-derived{background:#fff4d6;color:#6a4c00;border:1px solid #6a4c00}
.bp-label-offline,.bp-label-stale,.bp-label-note{background:#fff;color:#3d2c00;border:1px solid #b8860b}
.bp-provenance{font-size:0.9em;color:#333;border-top:1px solid #ccc;margin-top:1.5em;padding-top:0.5em}
.bp-provenance summary{cursor:pointer;font-weight:600}
.bp-datasets{padding-left:1.2em}.bp-datasets li{margin-bottom:0.6em}
.bp-url{word-break:break-all;font-size:0.9em}.bp-provenance details details{margin:2px 0}
.bp-provenance details details summary{font-weight:normal;color:#555}
code{overflow-wrap:anywhere}
</style>"""

Datasets = Mapping[str, Any]
SNAPSHOT_TEXT = (
    "This page was built offline from the bundled snapshot recorded on {day}, not from live data: real "
    "recordings (Open-Meteo forecasts and sunshine, iNaturalist sightings and species counts as an earlier planner "
    "published them, the NOAA Portland airport record), because the live sources could not be reached. "
    "\u201cToday\u201d on this page is {day}."
)


def _provs(datasets: Datasets) -> dict[str, Provenance]:
    return dataset_provenance(datasets)


def dataset_names(items: Iterable[str]) -> str:
    """Dataset names joined for a sentence; names sharing a leading "X of " are said once ("seasonality of A,
    B and C")."""
    xs = list(dict.fromkeys(items))
    groups: dict[str, list[str]] = {}
    for x in xs:
        head, sep, tail = x.partition(" of ")
        key = head + sep if sep and tail else ""
        groups.setdefault(key, []).append(tail if key else x)
    parts = [(k + names(v)) if k and len(v) > 1 else (k + v[0] if k else names(v)) for k, v in groups.items()]
    return names(parts)


def tidy_notice(notice: str) -> str:
    """A notice with repeated clauses said once: clauses that differ only in their numbers (one per request of
    a multi-request dataset) keep the first and say how many more there were."""
    seen: dict[str, list[str]] = {}
    for part in (p.strip() for p in notice.split(";")):
        if part:
            seen.setdefault(re.sub(r"\d+(\.\d+)?", "#", part), []).append(part)
    out = [v[0] + (f" (and {len(v) - 1} more like it)" if len(v) > 1 and v[0] != v[1] else "") for v in seen.values()]
    return "; ".join(out)


def banner_lines(
    datasets: Datasets, snapshot: str | None = None, notes: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """``[(kind, text)]`` the banner's details hold: "offline", "stale", "simulated", "derived" (one line per
    kind, the datasets named once) and "note" lines (plain text)."""
    provs = _provs(datasets)
    lines: list[tuple[str, str]] = []
    if snapshot:
        lines.append(("offline", SNAPSHOT_TEXT.format(day=day(snapshot, year=True) or snapshot)))
    elif provs and all(p.offline for p in provs.values()):
        lines.append(("offline", "Offline: every dataset on this page came from the request cache; nothing was fetched."))
    for name, p in provs.items():
        if p.stale:
            fetched = when(p.fetched_at) if p.fetched_at else "earlier"
            lines.append(
                ("stale", f"Stale: {name} ({source_name(p.source)}) could not be refreshed; showing the copy fetched {fetched}.")
            )
    for kind in ("simulated", "derived"):
        mine = {n: p for n, p in provs.items() if p.kind == kind}
        if not mine:
            continue
        groups: dict[str, list[str]] = {}
        for n, p in mine.items():
            groups.setdefault(tidy_notice(p.notice) or source_name(p.source), []).append(n)
        detail = " ".join(f"[{dataset_names(ns)}] {text}" for text, ns in groups.items()) if len(groups) > 1 else (
            next(iter(groups))
        )
        lines.append((kind, f"{kind.capitalize()} data in {dataset_names(mine)}: {detail}"))
    lines.extend(("note", str(n)) for n in notes if n)
    return lines


def _headline(lines: list[tuple[str, str]], snapshot: str | None) -> str:
    """The banner's one line: badges for the kinds of data that are not plain observations, then the mode."""
    kinds = [k for k in ("simulated", "derived") if any(k == kk for kk, _ in lines)]
    stale = sum(1 for k, _ in lines if k == "stale")
    if snapshot:
        d = as_date(snapshot)
        head = f"Offline snapshot of {day(d, year=True)}, not live data" if d else f"Offline snapshot of {snapshot}"
    elif any(k == "offline" for k, _ in lines):
        head = "Offline: from the request cache"
    elif stale:
        head = f"{plural(stale, 'dataset')} could not be refreshed"
    else:
        head = "Live data"
    badges = "".join(f'<span class="bp-label bp-label-{k}">{k}</span>' for k in kinds)
    return f"{badges}{esc(head)}"


def page_banner(result: PageResult, notes: Iterable[str] = ()) -> Html:
    """The notice at the top of a page (see the module docstring); a short "live data" line when there is
    nothing to flag. ``notes``: reader notes of the page (e.g. gaps left out of a comparison)."""
    snap = result.context.settings.snapshot
    return banner(result.datasets, snapshot=snap.isoformat() if snap else None, notes=notes)


def banner(datasets: Datasets | None = None, *, snapshot: str | None = None, notes: Iterable[str] = ()) -> Html:
    """The banner of ``datasets``; ``snapshot`` (the bundled snapshot's date) adds the offline notice."""
    lines = banner_lines(datasets or {}, snapshot, notes)
    if not lines:
        provs = _provs(datasets or {})
        latest = max((p.fetched_at for p in provs.values() if p.fetched_at), default=None)
        fetched = f" (newest fetched {when(latest)})" if latest else ""
        return Html(
            f'{BANNER_CSS}<div class="bp-banner bp-banner-live" role="status"><p>Live data{esc(fetched)}.</p></div>'
        )
    worst = (
        "offline"
        if any(k == "offline" for k, _ in lines)
        else ("stale" if any(k == "stale" for k, _ in lines) else "live")
    )
    body = "".join(
        f'<p class="bp-note bp-note-{esc(k)}"><span class="bp-label bp-label-{esc(k)}">{esc(k)}</span> {esc(t)}</p>'
        for k, t in lines
    )
    return Html(
        f'{BANNER_CSS}<div class="bp-banner bp-banner-{worst}" role="status"><details>'
        f"<summary>{_headline(lines, snapshot)}</summary>{body}</details></div>"
    )


KIND_WORDS = {
    "open_meteo_forecast": "forecast",
    "open_meteo_ensemble": "ensemble forecast (many model runs)",
    "open_meteo_archive": "gridded weather history (reanalysis)",
    "inaturalist": "sightings",
    "noaa": "weather-station measurements",
}


def dataset_words(name: str, p: Provenance, snapshot: date | None) -> str:
    """One dataset in a sentence: what it is, where it came from, when (plain text)."""
    what = KIND_WORDS.get(p.source, "data")
    if p.kind == "derived":
        what = f"{what}, derived from real recordings (see the notice)"
    elif p.kind == "simulated":
        what = f"{what}, simulated (invented with a fixed seed, see the notice)"
    if snapshot is not None and p.offline:
        got = f"from the bundled snapshot recorded on {day(snapshot, year=True)}"
    elif p.stale:
        got = f"a stale copy fetched {when(p.fetched_at)} (the refresh failed)"
    elif p.offline:
        got = f"from the request cache (fetched {when(p.fetched_at)})"
    elif p.from_cache:
        got = f"from the request cache, fetched {when(p.fetched_at)}" + (
            f", kept until {when(p.expires)}" if p.expires else ""
        )
    else:
        got = f"fetched {when(p.fetched_at)}"
    where = f" for {p.location}" if p.location else ""
    return f"{name}: {what} from {source_name(p.source)}{where}; {got}."


def settings_words(place: PlaceSettings) -> list[str]:
    """The page's settings as a reader would say them (no internal names, nothing unset)."""
    pl, dd = place.place, place.dd
    where = f"{pl.name} ({pl.latitude:.2f}, {pl.longitude:.2f}), within {pl.radius_km:g} km"
    if pl.inat_place_id:
        where += f" (iNaturalist place {pl.inat_place_id})"
    out = [
        f"Place: {where}; time zone {pl.timezone}.",
        f"Butterflies: iNaturalist taxon {place.taxon_id}; sightings from {place.days_back} days before to "
        f"{place.days_ahead} days after this date, in every year on record.",
        f"Degree days: {dd.label}; normals {place.normals_start}–{place.normals_end}.",
        "Temperatures: "
        + ("Open-Meteo's gridded archive" if place.temperature_source == "open-meteo" else "the NOAA station record")
        + (f"; NOAA station {pl.noaa_station}" if pl.noaa_station else "")
        + ".",
    ]
    return out


def requests_words(rows: Iterable[Mapping[str, Any]]) -> str:
    parts = []
    for r in rows:
        bits = [plural(r.get("requests", 0), "network request"), f"{r.get('cache_hits', 0)} from the cache"]
        if r.get("stale_served"):
            bits.append(f"{r['stale_served']} stale")
        if r.get("errors"):
            bits.append(plural(r["errors"], "error"))
        parts.append(f"{source_name(str(r.get('source', '')))}: {', '.join(bits)}")
    return "; ".join(parts) or "none"


def provenance_footer(result: PageResult, *, generated_at: datetime | None = None) -> Html:
    """The folded footer of a page (see the module docstring)."""
    ctx = result.context
    snapshot = ctx.settings.snapshot
    items = []
    for name, p in _provs(result.datasets).items():
        urls = p.parameters.get("urls") if isinstance(p.parameters, dict) else None
        more = ""
        if isinstance(urls, list | tuple) and len(urls) > 1:
            more = f" (and {plural(len(urls) - 1, 'more request')})"
        url = link(p.url, "the request") + esc(more) if p.url else ""
        req = ", ".join(f"{k}={v}" for k, v in sorted(p.parameters.items()) if k not in ("urls",))
        details = ""
        if url or req or p.notice:
            details = (
                "<details><summary>notice and request details</summary>"
                + (f"<p>{esc(tidy_notice(p.notice))}</p>" if p.notice else "")
                + (f'<p class="bp-url">{url}' + (f": <code>{esc(req[:600])}</code>" if req else "") + "</p>" if url or req else "")
                + "</details>"
            )
        items.append(f"<li>{esc(dataset_words(name, p, snapshot))}{details}</li>")
    datasets = f'<ul class="bp-datasets">{"".join(items)}</ul>' if items else "<p>No datasets.</p>"
    settings = "".join(f"<li>{esc(s)}</li>" for s in settings_words(ctx.place))
    gen = generated_at or datetime.now().astimezone()
    return Html(
        f'{BANNER_CSS}<footer class="bp-provenance"><details><summary>Where this page\'s data comes from '
        f"({plural(len(items), 'dataset')})</summary>{datasets}"
        f"<p><b>This page's settings</b></p><ul>{settings}</ul>"
        f"<p><b>Requests this page made:</b> {esc(requests_words(result.request_rows()))}.</p>"
        f"<p><b>Built</b> {esc(mode_words(ctx.mode, snapshot))}, on {esc(when(gen))}, by butterfly-planner "
        f"{esc(VERSION)}.</p>"
        "<p>Licences: iNaturalist observations and photos carry their observers' licences (mostly CC BY-NC); "
        "Open-Meteo data is CC BY 4.0; NOAA NCEI GHCN-Daily is public domain.</p></details></footer>"
    )
