"""What every page says about its data: the banner at the top and the provenance footer at the bottom.

Look here to change the offline/stale/simulated notices or the footer. ``page_banner(result)`` takes the mode
from the page's settings (offline snapshot and its date, cache only, live) and the datasets' provenance (stale,
derived, simulated); ``provenance_footer(result)`` lists each dataset (source, URL, fetched_at,
live/cached/stale/offline, kind, notice), the page's parameters, the package version and the page's request
counts. All text is escaped; URLs become links only when http(s).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from butterfly_lib.pages.result import PageResult, dataset_provenance
from butterfly_lib.presentation.safe import Html, esc, link
from butterfly_lib.provenance import Provenance
from butterfly_lib.settings import VERSION

BANNER_CSS = """<style>
.bp-banner{border-radius:6px;padding:8px 12px;margin:0 0 10px 0;font-size:0.95em;line-height:1.35}
.bp-banner-offline{background:#fff3cd;border:2px solid #b8860b;color:#3d2c00}
.bp-banner-stale{background:#fde7ea;border:1px solid #b00020;color:#5a0010}
.bp-banner-live{background:#eef6ee;border:1px solid #5a8f5a;color:#1e3d1e}
.bp-banner p{margin:2px 0}
.bp-label{display:inline-block;padding:0 6px;border-radius:4px;font-size:0.8em;font-weight:bold;margin-right:4px}
.bp-label-simulated{background:#fde7ea;color:#b00020;border:1px solid #b00020}
.bp-label-derived{background:#fff4d6;color:#6a4c00;border:1px solid #6a4c00}
.bp-label-offline,.bp-label-stale{background:#fff;color:#3d2c00;border:1px solid #b8860b}
.bp-provenance{font-size:0.85em;color:#333;border-top:1px solid #ccc;margin-top:1.5em;padding-top:0.5em}
.bp-provenance table{border-collapse:collapse;display:block;overflow-x:auto}
.bp-provenance td,.bp-provenance th{padding:2px 6px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
.bp-datasets{padding-left:1.2em}.bp-datasets li{margin-bottom:0.5em}
.bp-url{word-break:break-all}.bp-provenance details{margin:2px 0}.bp-provenance summary{cursor:pointer;color:#555}
</style>"""

Datasets = Mapping[str, Any]


def _provs(datasets: Datasets) -> dict[str, Provenance]:
    return dataset_provenance(datasets)


def banner_lines(datasets: Datasets, snapshot: str | None = None) -> list[tuple[str, str]]:
    """``[(kind, text)]`` the banner shows: "offline", "stale", "simulated", "derived" notices (plain text)."""
    provs = _provs(datasets)
    lines: list[tuple[str, str]] = []
    if snapshot:
        lines.append(
            (
                "offline",
                (
                    f"Offline: showing the bundled snapshot of {snapshot} built from real recordings "
                    "(Open-Meteo forecasts and sunshine, iNaturalist sightings and species counts as an earlier planner "
                    "published them, NOAA Portland airport record), because the live APIs could not be reached. "
                    "Dates on this page are relative to the snapshot date, not today."
                ),
            )
        )
    elif any(p.offline for p in provs.values()):
        lines.append(
            (
                "offline",
                "Offline: every dataset on this page was served from the request cache; "
                "nothing was fetched live.",
            )
        )
    for name, p in provs.items():
        if p.stale:
            when = p.fetched_at.strftime("%Y-%m-%d %H:%M %Z").strip() if p.fetched_at else "earlier"
            lines.append(
                (
                    "stale",
                    f"Stale: {name} ({p.source}) could not be refreshed; showing the copy fetched {when}.",
                )
            )
    for kind in ("simulated", "derived"):
        # datasets with the same source and notice share one line, so a page of many similar requests stays short
        groups: dict[tuple[str, str], list[str]] = {}
        for name, p in provs.items():
            if p.kind == kind:
                groups.setdefault((p.source, p.notice), []).append(name)
        for (source, notice), names in groups.items():
            detail = f": {notice}" if notice else ""
            lines.append((kind, f"{kind.capitalize()} data in {', '.join(names)} ({source}){detail}"))
    return lines


def page_banner(result: PageResult) -> Html:
    """The notice at the top of a page: offline snapshot (with its date), stale datasets, simulated and derived
    data; a short "live data" line when there is nothing to flag."""
    snap = result.context.settings.snapshot
    return banner(result.datasets, snapshot=snap.isoformat() if snap else None)


def banner(datasets: Datasets | None = None, *, snapshot: str | None = None) -> Html:
    """The banner of ``datasets``; ``snapshot`` (the bundled snapshot's date) adds the offline notice."""
    lines = banner_lines(datasets or {}, snapshot)
    if not lines:
        provs = _provs(datasets or {})
        latest = max((p.fetched_at for p in provs.values() if p.fetched_at), default=None)
        when = f" (newest fetched {latest:%Y-%m-%d %H:%M %Z})" if latest else ""
        return Html(
            f'{BANNER_CSS}<div class="bp-banner bp-banner-live" role="status"><p>Live data{esc(when)}.</p></div>'
        )
    worst = (
        "offline"
        if lines[0][0] == "offline"
        else ("stale" if any(k == "stale" for k, _ in lines) else "live")
    )
    body = "".join(
        f'<p class="bp-note bp-note-{esc(k)}"><span class="bp-label bp-label-{esc(k)}">{esc(k)}</span> {esc(t)}</p>'
        for k, t in lines
    )
    return Html(f'{BANNER_CSS}<div class="bp-banner bp-banner-{worst}" role="status">{body}</div>')


def _fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M %Z").strip() if value else "—"


def provenance_footer(result: PageResult, *, generated_at: datetime | None = None) -> Html:
    """The footer of a page: one row per dataset, the page's parameters, the package version, when the page was
    generated and the page's requests per source."""
    datasets = result.datasets
    items = []
    for name, p in _provs(datasets).items():
        url_cell = link(p.url, p.url if len(p.url) <= 90 else p.url[:87] + "…")
        req = ", ".join(f"{k}={v}" for k, v in sorted(p.parameters.items()) if k not in ("urls",))
        urls = p.parameters.get("urls") if isinstance(p.parameters, dict) else None
        more = ""
        if isinstance(urls, list | tuple) and len(urls) > 1:
            more = f" (+{len(urls) - 1} more request{'s' if len(urls) > 2 else ''})"
        facts = " · ".join(
            f"<b>{esc(k)}</b> {v}"
            for k, v in (
                ("source", esc(p.source)),
                ("kind", esc(p.kind)),
                ("status", esc(p.status)),
                ("fetched", esc(_fmt_time(p.fetched_at))),
                ("expires", esc(_fmt_time(p.expires))),
                ("location", esc(p.location or "—")),
            )
        )
        details = ""
        if req or p.notice:
            details = (
                "<details><summary>request parameters and notice</summary>"
                + (f"<p><code>{esc(req[:600])}</code></p>" if req else "")
                + (f"<p>{esc(p.notice)}</p>" if p.notice else "")
                + "</details>"
            )
        items.append(
            f'<li><b>{esc(name)}</b>: {facts}<br><span class="bp-url">{url_cell}{esc(more)}</span>{details}</li>'
        )
    table = f'<ul class="bp-datasets">{"".join(items)}</ul>' if items else "<p>No datasets.</p>"
    pdict = result.context.place.to_parameters()
    plist = ", ".join(f"<code>{esc(k)}={esc(v)}</code>" for k, v in pdict.items())
    rows = [", ".join(f"{esc(k)}: {esc(v)}" for k, v in r.items()) for r in result.request_rows()]
    log = "<p><b>Requests made by this page:</b> " + ("; ".join(rows) or "none") + "</p>"
    mode = esc(result.context.mode)
    gen = generated_at or datetime.now().astimezone()
    return Html(
        f'{BANNER_CSS}<footer class="bp-provenance"><h4>Provenance</h4>{table}'
        f"<p><b>Page parameters:</b> {plist or 'none'}</p>{log}"
        f"<p><b>Mode:</b> {mode} · <b>butterfly-planner</b> {esc(VERSION)} · "
        f"<b>generated</b> {esc(_fmt_time(gen))}</p>"
        "<p>Data: iNaturalist observations and photos carry their observers' licences (mostly CC BY-NC); "
        "Open-Meteo data is CC BY 4.0; NOAA NCEI GHCN-Daily is public domain.</p></footer>"
    )
