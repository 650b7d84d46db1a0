"""``export_snapshot``: write every response of a recording cache to ``data/snapshot/`` with its manifest.

Look here for the snapshot's file layout: one file per response, named ``<source>-<endpoint>-<hash>.<json|csv>``
(``.gz`` when the body exceeds ``GZIP_ABOVE`` bytes), ``manifest.json`` (``as_of``, ``built_at``, ``places``: the
page parameters of each place recorded, which offline runs check their places against before running anything,
and one entry per response: method, full URL with query on the real API host, file, encoding, content type,
kind, notice, inputs)
and ``PROVENANCE.md`` (``provenance_doc``). Old response files are removed so the folder holds exactly what the
clients asked for.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from butterfly_lib.http.fetch import KIND_HEADER, NOTICE_HEADER
from butterfly_lib.http.snapshot import INPUTS_HEADER

GZIP_ABOVE = 256_000
MANIFEST = "manifest.json"
_PREFIX = {
    "api.inaturalist.org": "inaturalist",
    "api.open-meteo.com": "open-meteo",
    "archive-api.open-meteo.com": "open-meteo",
    "ensemble-api.open-meteo.com": "open-meteo",
    "www.ncei.noaa.gov": "noaa",
}


def file_name(url: str, content_type: str) -> str:
    parts = urlsplit(url)
    endpoint = parts.path.rstrip("/").split("/v1/")[-1].split("/")[0] or "data"
    if parts.netloc == "www.ncei.noaa.gov":
        endpoint = "daily-summaries"
    digest = hashlib.sha1(url.encode()).hexdigest()[:10]
    ext = "csv" if "csv" in content_type else "json"
    return f"{_PREFIX.get(parts.netloc, parts.netloc)}-{endpoint}-{digest}.{ext}"


def export_snapshot(
    cache_file: Path, out_dir: Path, as_of: date, places: Sequence[Mapping[str, Any]] = ()
) -> dict:
    """Write the cache's 200 responses to ``out_dir``; return the manifest. ``places``: the flat page
    parameters (``PlaceSettings.to_parameters``) of the places whose requests the cache holds."""
    import requests_cache

    backend = requests_cache.SQLiteCache(str(cache_file))
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.iterdir():
        if old.is_file() and old.name not in ("README.md",):
            old.unlink()
    entries = []
    for resp in backend.responses.values():
        if resp.status_code != 200:
            continue
        ctype = resp.headers.get("Content-Type", "application/json")
        name = file_name(resp.url, ctype)
        body = resp.content
        entry = {
            "method": "GET",
            "url": resp.url,
            "file": name,
            "encoding": None,
            "content_type": ctype,
            "bytes": len(body),
            "kind": resp.headers.get(KIND_HEADER, "observed"),
            "notice": resp.headers.get(NOTICE_HEADER, ""),
            "inputs": json.loads(resp.headers.get(INPUTS_HEADER, "[]")),
        }
        if len(body) > GZIP_ABOVE:
            entry["file"], entry["encoding"] = name + ".gz", "gzip"
            body = gzip.compress(body, compresslevel=9, mtime=0)
        (out_dir / entry["file"]).write_bytes(body)
        entries.append(entry)
    backend.close()
    entries.sort(key=lambda e: e["url"])
    manifest = {
        "as_of": as_of.isoformat(),
        "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "built_by": "tools/build_snapshot.py",
        "places": [dict(p) for p in places],
        "responses": entries,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    (out_dir / "PROVENANCE.md").write_text(provenance_doc(manifest))
    return manifest


def _is_record_page(url: str) -> bool:
    """A page of the observation record's download (research grade only, by id, no date filter)."""
    q = urlsplit(url).query.split("&")
    return urlsplit(url).path.endswith("/v1/observations") and "order_by=id" in q and "quality_grade=research" in q \
        and not any(k.split("=")[0] in ("month", "day", "d1", "d2", "only_id", "id", "updated_since") for k in q)


def provenance_doc(manifest: dict) -> str:
    from tools.snapshot import fake_open_meteo as om
    from tools.snapshot import recordings as rec

    as_of = manifest["as_of"]
    codes = "\n".join(f"| {label} | {code} |" for label, code in rec.CONDITION_CODES.items())
    rows = "\n".join(
        f"| `{e['file']}` | {e['kind']} | {urlsplit(e['url']).netloc}{urlsplit(e['url']).path} | "
        f"{', '.join(e['inputs'])} | {e['notice'].replace('|', '/')} |"
        for e in manifest["responses"]
    )
    total = sum((Path(e["file"]).name and e["bytes"]) for e in manifest["responses"])
    counts = {
        "record": sum(_is_record_page(e["url"]) for e in manifest["responses"]),
        "effort": sum("/observations/histogram" in e["url"] and "interval=week" in e["url"] and "taxon_id=47158" in e["url"]
                      for e in manifest["responses"]),
        "cells": sum("models=era5_land" in e["url"] for e in manifest["responses"]),
    }  # fmt: skip
    return f"""# Offline snapshot: provenance

Portland, Oregon, as of **{as_of}** (built {manifest["built_at"]} by `{manifest["built_by"]}`; rebuild with
`make snapshot`). {len(manifest["responses"])} responses, {total / 1e6:.1f} MB uncompressed; bodies over
{GZIP_ABOVE // 1000} kB are stored gzip-compressed (`"encoding": "gzip"` in `manifest.json`). The place's page
parameters are `places` in `manifest.json`: an offline run for any other place (other coordinates, radius, time
zone, station, taxon, sightings window, normals start or temperature source) is refused before anything runs.

**Why {as_of} and not 2026-06-15:** the earlier site recorded no forecast and no 15-minute sunshine on
2026-06-14 .. 2026-06-18; {as_of} is the nearest mid-June day with both.

## How it is built

`tools/build_snapshot.py` runs every page builder (`butterfly_lib.pages`, the same code the notebooks call) on a
session that mounts `tools.snapshot.responders.SnapshotAdapter` for the real API hosts. That adapter answers each request from the real recordings below, in the API's own format; the cache
stores the answers under the real keys, and `export.py` writes them here. `butterfly cache seed` loads them back.
Each response's kind and notice travel as `X-Butterfly-Kind` / `X-Butterfly-Notice` headers into the data's
provenance, so pages label derived and simulated data.

## Inputs (all real)

- `data/upstream-site/forecasts.csv`: Open-Meteo 16-day daily forecasts for Portland as an earlier planner
  published them in 2026 (whole °C, sunshine/daylight in 0.1 h, precipitation mm, a condition label).
- `data/upstream-site/sunshine_15min.csv`: that planner's 15-minute sunshine minutes for its build day.
- `data/upstream-site/sightings.csv`: 2,102 research-grade iNaturalist butterfly sightings it showed (sample
  windows around each build date, all years), with the weather it showed for each sighting's day.
- `data/upstream-site/species_counts.csv`: its monthly iNaturalist species counts (all years, its box
  {rec.RECORDED_BOX}).
- `data/noaa/{rec.NOAA_FILE.split("/")[-1]}`: NOAA GHCN-Daily, Portland airport, 1940-10-14 .. 2024-12-09.

## Observed (re-encoded, not changed)

- **Forecast from {as_of} on** (`api.open-meteo.com/v1/forecast`): the forecast issued on {as_of}: °C as
  whole degrees, sunshine and daylight hours × 3600 = seconds, precipitation mm. `weather_code` is mapped back
  from the condition label through Open-Meteo's own code table (table below).
- **15-minute sunshine** (`minutely_15`): the quarter hours of {as_of} the planner recorded, minutes × 60 =
  seconds; quarter hours outside its daylight slots: 0 s and `is_day` 0; quarter hours of later days were not
  recorded and are **null** (the page shows one day, not three).
- **Sightings** (`api.inaturalist.org/v1/observations`): id, URL, date, coordinates, taxon name/common name/id,
  photo URL. Taxon ids the page lacked are filled from `species_counts.csv` by scientific name; 276 sightings of
  names found nowhere keep `taxon.id` null. `quality_grade` is "research" (the planner asked iNaturalist for
  research grade only). **Null, never invented:** user, positional accuracy, licence codes and attribution,
  time of day, uuid, place guess.
- **Monthly species counts** (`/observations/species_counts` with `month` only): the planner's counts for that
  month (its last issue on or before {as_of}), for its box whatever area is asked (notice says so).
- **Taxa** (`/v1/taxa/<ids>`): names and photo from the recordings; observation counts and ancestry null.
- **NOAA** (`www.ncei.noaa.gov/access/services/data/v1`): the station record's rows in the asked range, in the
  service's CSV layout; days after 2024-12-09 are **absent**, not filled.

## Derived (labelled "derived"; the notice of each response says which days and how)

- **Archive at Portland** (`archive-api.open-meteo.com/v1/archive`) and forecast `past_days`:
  - days to 2024-12-09: NOAA station TMAX/TMIN (°F → °C) and PRCP (in → mm), standing in for the grid
    (a point station, not a 0.1° cell); sunshine and weather_code null;
  - 2026-02-04 .. {as_of}: **the forecast issued on that very day** (lead 0), else the next day's issue (its
    past day, lead −1): 2026 daily highs/lows derived from the same-day forecasts;
  - 2024-12-10 .. 2026-02-03 and any day without a recording: the **1991–2020 NOAA daily normal** of that
    calendar day (mean TMAX/TMIN over 1991–2020 per calendar day, then a {rec.NORMALS_WINDOW_DAYS}-day centred
    circular moving mean); precipitation, sunshine and weather_code null on those days. The notice names these
    days ("no recording for …: … daily normal"); the degree-day pages give each of them the normal's mean daily
    degree days of its calendar day instead of the near-zero degree days of the smoothed temperatures, and
    label the season figure "partly derived" with the amount (`analysis/degree_days/filled_normals.py`).
- **Archive at sighting cells** (comma-separated coordinates away from Portland): the weather the planner showed
  for sightings in the requested grid cell (±half a cell) on their days (its rounded Open-Meteo archive values:
  whole °C max/min, precipitation when shown, condition label → WMO code); other days null.
- **species_counts with day/date/year/area filters** and **histograms**: counted from the recorded sightings
  (a sample, not a census). Histograms by `week` (keyed by Monday) and `year` honour `d1`/`d2`.
- **Reference-group histograms** (observer effort: Insecta, taxon 47158, `interval=week`): no insect counts were
  recorded, so the recorded **butterfly** sightings per week stand in for them, labelled "DERIVED STAND-IN". Their
  zero weeks are the sample's calendar gaps (none 10 April – 20 May, none after 30 August, in any year), not weeks
  without observers; the emergence analysis uses them to censor windows near the gaps.
- **Archive at ERA5-Land cells** (`models=era5_land`, the observation record's per-sighting temperatures): the
  Portland series above (NOAA airport station, normals, same-day forecasts) stands in for every cell, labelled
  "DERIVED STAND-IN"; elevation null.

The observation record (`/observations` paged by id with `only_id`, `id` and `updated_since` as the record's
download and refresh send them) is answered from the recorded sightings within the asked circle: the bundled
sample stays the offline demo's only sightings, with its gaps (no sighting 10 April – 20 May or after 30 August
in any year; see `data/upstream-site/README.md`). The recordings hold no update times, so `updated_since` lists
none; no observer was recorded, so no duplicate can be collapsed.

## The emergence page offline: its record, and what the sample's gaps do to it

The snapshot holds the observation record's first download exactly as the record code asks for it
({counts["record"]} page(s) of up to 200, by id), the observer-effort histograms of its seasons
({counts["effort"]} requests, one a season) and the ERA5-Land requests of its sightings' cells
({counts["cells"]} requests). Offline, the emergence page rebuilds the record from them through the same code
(into `data/cache/snapshot-record/`, never into a live record's folder) and computes its windows, statuses and
hindcast as it would live. What it rests on is the sample, not the place's record:

- **Calendar gaps of the sample, in every year:** no sighting from 1 to 8 January, from **9 April to 20 May**,
  or from **30 August to 31 December**, and holes of 2–4 days in January–March. Most of its sightings are from
  2015–2020; 2021–2025 hold a handful each.
- **Effort:** no insect counts were recorded, so the sample's own sightings per week stand in for observer effort.
  The weeks it never covers therefore count as *never sampled*: any onset, peak or end within 14 days of them is
  shown on the emergence page as **not known**, with the reason, never as a date. In mid-June that censors the
  onset of most spring and early-summer species (the April–May hole) and the end of the late-summer ones (the
  hole from 30 August); the page's table lists each one.
- **Temperatures:** every cell takes the Portland series (above), so the sightings' degree days are Portland's.
- **Observers:** none was recorded, so duplicates cannot be collapsed, and the record's own dates are iNaturalist's.

## Simulated (labelled "simulated")

- **Ensemble** (`ensemble-api.open-meteo.com/v1/ensemble`): nothing real was recorded. Member 0 is the real
  forecast issued {as_of}; every other member adds Gaussian noise (sd {om.T_SD0} °C) plus a random walk of
  {om.T_STEP} °C per day of lead to both temperatures (the minimum gets 0.7 × the maximum's perturbation plus its
  own 0.4 °C noise, and stays at least 0.5 °C below the maximum), and noise {om.SUN_SD0} plus a {om.SUN_STEP}
  per-day random walk on the logit of the sunny fraction of daylight. Spread therefore grows with lead time.
  Seed: {om.ENSEMBLE_SEED} + CRC32 of the model id (numpy `default_rng`). Member counts: {', '.join(f'{k} {v}' for k, v in om.ENSEMBLE_MEMBERS.items())}.

## Not recorded: sent as null

Precipitation probability, wind speed and gusts, mean temperature: no recording has them, so forecast and
archive responses carry null arrays (the viewing index treats them as unknown). Nothing was simulated for them.

## Condition label → WMO weather_code

| label the planner showed | weather_code |
|---|---|
{codes}

## Responses

| file | kind | endpoint | inputs | notice |
|---|---|---|---|---|
{rows}

Licences: iNaturalist observations and photos carry their observers' licences (mostly CC BY-NC); Open-Meteo data
CC BY 4.0; NOAA data public domain. Attribute them wherever the data is shown.
"""
