"""The snapshot's iNaturalist API v1: ``/observations``, ``/observations/species_counts``,
``/observations/histogram`` and ``/taxa/<ids>`` over the recorded sightings and monthly species counts.

Look here for the API semantics the snapshot implements: ``taxon_id`` (butterflies 47224 / Lepidoptera 47157
match every recorded sighting; a species id matches that species), ``d1``/``d2``, ``year``, ``month``, ``day``,
``lat``/``lng``/``radius`` (km, great-circle) and ``swlat``/``swlng``/``nelat``/``nelng``, ``quality_grade``
(research only: the earlier site asked for research grade), ``id_above`` with ``order_by=id&order=asc`` paging,
``page``/``per_page`` (at most 200), ``total_results`` counted after the filters. A parameter not listed raises
a 404 naming it. Fields the recording lacks (user, positional accuracy, licence, time of day) are null.

species_counts: a month-only query is answered with the counts the earlier site recorded for that month
(observed, for its NW Oregon / SW Washington box); any day/date/year/area filter is counted from the recorded
sightings (derived: they are a sample, not a census). histogram: counted from the sightings (derived).
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

from tools.snapshot import recordings as rec
from tools.snapshot.answer import Answer, NotCovered, floats, ints, query

BROAD_TAXA = {47224: "Papilionoidea", 47157: "Lepidoptera", 47158: "Insecta", 1: "Animalia"}
MAX_PER_PAGE = 200
EARTH_RADIUS_KM = 6371.0088
FILTERS = frozenset({"taxon_id", "d1", "d2", "year", "month", "day", "lat", "lng", "radius", "swlat", "swlng",
                     "nelat", "nelng", "quality_grade", "verifiable", "photos", "captive", "geo", "locale",
                     "preferred_place_id", "iconic_taxa", "rank", "hrank", "lrank"})  # fmt: skip
OBS_PARAMS = FILTERS | {"id_above", "id_below", "per_page", "page", "order_by", "order", "id", "only_id",
                        "updated_since"}
COUNTS_PARAMS = FILTERS | {"per_page", "page"}
HIST_PARAMS = FILTERS | {"date_field", "interval"}
SAMPLE_NOTE = (
    "recorded sightings are the sample the earlier site showed (about 14 days back to 7 ahead of each build's month-day, "
    "all years, research grade, NW Oregon/SW Washington box), not a complete census; "
    "sightings whose taxon id no recording gives are left out (iNaturalist always has one; none is invented)"
)
GRADE_NOTE = "only research-grade sightings were recorded (other quality grades asked for are absent)"
NULL_NOTE = "user, positional accuracy, licence and time of day were not recorded: null"


def _photo(url: object) -> dict | None:
    if not isinstance(url, str) or not url:
        return None
    m = re.search(r"/photos/(\d+)/", url)
    return {
        "id": int(m.group(1)) if m else None,
        "url": url,
        "square_url": re.sub(r"/(square|medium|small|large|original)\.", "/square.", url),
        "medium_url": re.sub(r"/(square|medium|small|large|original)\.", "/medium.", url),
        "license_code": None,
        "attribution": None,
    }


def _taxon(tid: int | float | None, name: str, common: object, photo: object) -> dict:
    return {
        "id": None if tid is None or pd.isna(tid) else int(tid),
        "name": name,
        "preferred_common_name": None if pd.isna(common) else common,
        "rank": "subspecies" if len(name.split()) > 2 else "species",
        "iconic_taxon_name": "Insecta",
        "default_photo": _photo(photo),
    }


def filter_sightings(p: dict[str, str]) -> pd.DataFrame:
    """The recorded sightings matching the query's filters (vectorized masks)."""
    s = rec.sightings()
    s = s[s["taxon_id"].notna()]  # see SAMPLE_NOTE
    keep = np.ones(len(s), dtype=bool)
    grades = set(p.get("quality_grade", "research").split(","))
    if not grades & {"research", "any", ""}:
        raise NotCovered(
            f"quality_grade={p['quality_grade']}: the recording holds research-grade sightings only"
        )
    taxa = ints(p.get("taxon_id"), "taxon_id")
    if taxa and not any(t in BROAD_TAXA for t in taxa):
        keep &= s["taxon_id"].isin(taxa).fillna(False).to_numpy(bool)
    days = pd.to_datetime(s["observed_on"])
    if "d1" in p:
        keep &= (s["day"] >= date.fromisoformat(p["d1"][:10])).to_numpy()
    if "d2" in p:
        keep &= (s["day"] <= date.fromisoformat(p["d2"][:10])).to_numpy()
    for name, part in (("year", days.dt.year), ("month", days.dt.month), ("day", days.dt.day)):
        wanted = ints(p.get(name), name)
        if wanted:
            keep &= part.isin(wanted).to_numpy()
    if {"lat", "lng"} <= set(p):
        lat, lng = floats(p["lat"], "lat")[0], floats(p["lng"], "lng")[0]
        radius = floats(p.get("radius", "10"), "radius")[0]
        keep &= haversine_km(lat, lng, s["latitude"].to_numpy(), s["longitude"].to_numpy()) <= radius
    if {"swlat", "swlng", "nelat", "nelng"} & set(p):
        box = [floats(p[k], k)[0] for k in ("swlat", "swlng", "nelat", "nelng")]
        keep &= (s["latitude"].between(box[0], box[2]) & s["longitude"].between(box[1], box[3])).to_numpy()
    return s[keep]


def _grade_note(p: dict[str, str]) -> str:
    return (
        f"{GRADE_NOTE}; " if set(p.get("quality_grade", "research").split(",")) - {"research", "any"} else ""
    )


def haversine_km(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    p1, p2 = np.radians(lat), np.radians(lats)
    dphi, dlmb = p2 - p1, np.radians(lngs - lng)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def _paging(p: dict[str, str], default: int = 30) -> tuple[int, int]:
    per_page = min(ints(p.get("per_page", str(default)), "per_page")[0], MAX_PER_PAGE)
    page = ints(p.get("page", "1"), "page")[0]
    if page < 1 or per_page < 0:
        raise NotCovered(f"page={page}, per_page={per_page}", 422)
    return page, per_page


def observations(q: str) -> Answer:
    p = query(q, OBS_PARAMS, "inaturalist /v1/observations")
    s = filter_sightings(p)
    if "id_above" in p:
        s = s[s["observation_id"] > ints(p["id_above"], "id_above")[0]]
    if "id_below" in p:
        s = s[s["observation_id"] < ints(p["id_below"], "id_below")[0]]
    if "id" in p:
        s = s[s["observation_id"].isin(ints(p["id"], "id"))]
    notes = []
    if "updated_since" in p:
        # the recordings hold no update times: nothing can be shown to have changed since any instant
        s = s.iloc[0:0]
        notes.append(f"updated_since={p['updated_since']}: the recording has no update times, so none is listed")
    order_by, order = p.get("order_by", "created_at"), p.get("order", "desc")
    if order_by not in ("id", "created_at", "observed_on"):
        raise NotCovered(f"order_by={order_by}")
    # created_at was not recorded; observation ids grow with creation time, so they order the same way
    key = ["observed_on", "observation_id"] if order_by == "observed_on" else ["observation_id"]
    s = s.sort_values(key, ascending=order == "asc")
    page, per_page = _paging(p)
    chunk = s.iloc[(page - 1) * per_page : page * per_page]
    if p.get("only_id", "false") not in ("", "false"):
        body = {"total_results": len(s), "page": page, "per_page": per_page,
                "results": [{"id": int(i)} for i in chunk["observation_id"]]}  # fmt: skip
        return Answer.json(body, kind="observed", notice="; ".join([SAMPLE_NOTE, *notes]),
                           inputs=["upstream-site/sightings.csv"])  # fmt: skip
    results = [
        {
            "id": int(r.observation_id),
            "uuid": None,
            "uri": r.url,
            "quality_grade": "research",
            "observed_on": r.observed_on,
            "observed_on_details": {
                "date": r.observed_on,
                "year": r.day.year,
                "month": r.day.month,
                "day": r.day.day,
                "week": r.day.isocalendar().week,
            },
            "time_observed_at": None,
            "location": f"{r.latitude},{r.longitude}",
            "geojson": {"type": "Point", "coordinates": [r.longitude, r.latitude]},
            "positional_accuracy": None,
            "place_guess": None,
            "taxon": _taxon(r.taxon_id, r.scientific_name, r.common_name, r.photo_url),
            "photos": [ph] if (ph := _photo(r.photo_url)) else [],
            "user": None,
            "license_code": None,
        }
        for r in chunk.itertuples(index=False)
    ]
    body = {"total_results": len(s), "page": page, "per_page": per_page, "results": results}
    return Answer.json(
        body,
        kind="observed",
        notice="; ".join([SAMPLE_NOTE, *notes, f"{_grade_note(p)}{NULL_NOTE}"]),
        inputs=["upstream-site/sightings.csv"],
    )


def species_counts(q: str, as_of: date) -> Answer:
    p = query(q, COUNTS_PARAMS, "inaturalist /v1/observations/species_counts")
    page, per_page = _paging(p, default=500)
    month_only = "month" in p and not ({"day", "d1", "d2", "year"} & set(p))
    broad = all(t in BROAD_TAXA for t in ints(p.get("taxon_id"), "taxon_id"))
    if month_only and broad:
        parts = [rec.monthly_counts(m, as_of) for m in ints(p["month"], "month")]
        c = pd.concat(parts).groupby("taxon_id", as_index=False).agg(
            count=("observations", "sum"), name=("scientific_name", "first"),
            common=("common_name", "first"), photo=("photo_url", "first"),
        )  # fmt: skip
        kind, inputs = "observed", ["upstream-site/species_counts.csv"]
        issued = ", ".join(sorted({str(x["issued"].iloc[0]) for x in parts}))
        notice = (
            f"species counts the earlier site recorded for month(s) {p['month']} (issued {issued}), all years, research "
            f"grade, for its box {rec.RECORDED_BOX} whatever area was asked"
        )
    else:
        s = filter_sightings(p)
        c = s.groupby(["taxon_id", "scientific_name"], dropna=False, as_index=False).agg(
            count=("observation_id", "size"), common=("common_name", "first"), photo=("photo_url", "first")
        ).rename(columns={"scientific_name": "name"})  # fmt: skip
        kind, inputs = "derived", ["upstream-site/sightings.csv"]
        notice = f"DERIVED: species counted from the recorded sightings matching the query; {SAMPLE_NOTE}; {_grade_note(p)}"
    c = c.sort_values(["count", "name"], ascending=[False, True])
    chunk = c.iloc[(page - 1) * per_page : page * per_page]
    results = [
        {"count": int(r.count), "taxon": _taxon(r.taxon_id, r.name, r.common, r.photo)}
        for r in chunk.itertuples(index=False)
    ]
    body = {"total_results": len(c), "page": page, "per_page": per_page, "results": results}
    return Answer.json(body, kind=kind, notice=notice, inputs=inputs)


def histogram(q: str) -> Answer:
    p = query(q, HIST_PARAMS, "inaturalist /v1/observations/histogram")
    if p.get("date_field", "observed") != "observed":
        raise NotCovered(f"date_field={p['date_field']} (only observed dates were recorded)")
    interval = p.get("interval", "month_of_year")
    s = filter_sightings(p)
    days = pd.to_datetime(s["observed_on"])
    if interval == "week_of_year":
        counts = days.dt.isocalendar().week.astype(int).value_counts()
        series = {str(k): int(counts.get(k, 0)) for k in range(1, 54)}
    elif interval == "month_of_year":
        counts = days.dt.month.value_counts()
        series = {str(k): int(counts.get(k, 0)) for k in range(1, 13)}
    elif interval in ("week", "year"):
        # Elasticsearch date-histogram buckets: weeks keyed by their Monday, years by 1 January; empty buckets
        # between the first and the last non-empty one are filled with 0, none outside them
        if interval == "week":
            keys = (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.normalize()
            step = pd.DateOffset(weeks=1)
        else:
            keys = pd.to_datetime(days.dt.year.astype(str) + "-01-01")
            step = pd.DateOffset(years=1)
        counts = keys.value_counts()
        full = pd.date_range(keys.min(), keys.max(), freq=step) if len(keys) else pd.DatetimeIndex([])
        series = {d.strftime("%Y-%m-%d"): int(counts.get(d, 0)) for d in full}
    else:
        raise NotCovered(f"histogram interval={interval} (week_of_year, month_of_year, week and year are implemented)")
    body = {"total_results": len(series), "page": 1, "per_page": len(series), "results": {interval: series}}
    notice = (
        f"DERIVED: counted from the recorded sightings matching the query; {SAMPLE_NOTE}; {_grade_note(p)}"
    )
    taxa = ints(p.get("taxon_id"), "taxon_id")
    if taxa and all(t in BROAD_TAXA and t != 47224 for t in taxa):
        notice = (
            f"DERIVED STAND-IN: no {', '.join(BROAD_TAXA[t] for t in taxa)} counts were recorded; these are the "
            "recorded butterfly sightings matching the query, standing in for the reference group. Their zero "
            "weeks are the sample's calendar gaps (none 10 Apr-20 May, none after 30 Aug in any year), not weeks "
            f"without observers; {SAMPLE_NOTE}"
        )
    return Answer.json(body, kind="derived", notice=notice, inputs=["upstream-site/sightings.csv"])


def taxa(ids_part: str, q: str) -> Answer:
    query(q, frozenset({"locale", "preferred_place_id", "all_names"}), "inaturalist /v1/taxa")
    ids = ints(ids_part, "taxon ids")
    s = rec.sightings()
    c = rec.species_counts().sort_values("issued_at")
    known = pd.concat(
        [
            c[["taxon_id", "scientific_name", "common_name", "photo_url"]],
            s[["taxon_id", "scientific_name", "common_name", "photo_url"]],
        ]
    ).dropna(subset=["taxon_id"])
    known = (
        known.assign(taxon_id=known["taxon_id"].astype(int)).drop_duplicates("taxon_id").set_index("taxon_id")
    )
    found = [i for i in ids if i in known.index]
    results = [
        {
            **_taxon(i, known.at[i, "scientific_name"], known.at[i, "common_name"], known.at[i, "photo_url"]),
            "observations_count": None,
            "wikipedia_url": None,
            "ancestor_ids": None,
        }
        for i in found
    ]
    missing = [i for i in ids if i not in known.index]
    notice = (
        "names and photo from the recorded sightings/species counts; observations_count and ancestry null"
    )
    if missing:
        notice += f"; not in the recordings (omitted, as iNaturalist omits unknown ids): {missing}"
    body = {"total_results": len(results), "page": 1, "per_page": len(results), "results": results}
    return Answer.json(
        body,
        kind="observed",
        notice=notice,
        inputs=["upstream-site/species_counts.csv", "upstream-site/sightings.csv"],
    )
