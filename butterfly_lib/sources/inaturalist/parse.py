"""Parsers from iNaturalist JSON results to tidy frames, and the URL guard for user-supplied links.

Look here to see which fields are required (a missing one raises ``SourceError`` naming the source and URL,
never a frame with a silently wrong column), how photos get their medium-size URL, and what each column holds.
Every frame passes ``plausible`` (coordinates in range, counts >= 0, unique positive ids) before it is returned.
Text (names, logins, place guesses) is user-supplied and kept raw: presentation escapes it. URLs are kept only
if they are absolute http(s) URLs (``safe_url``), so ``javascript:`` and friends never reach a page.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from butterfly_lib.errors import SourceError
from butterfly_lib.sources.inaturalist import plausible

SOURCE = "inaturalist"
OBSERVATION_URL = "https://www.inaturalist.org/observations/{id}"
_BAD_URL_CHARS = re.compile(r"[\s\"'<>`\\\x00-\x1f\x7f]")
_PHOTO_SIZE = re.compile(r"/(square|thumb|small|medium|large|original)\.(jpe?g|png|gif|webp)", re.I)

OBSERVATION_COLUMNS = [
    "id",
    "taxon_id",
    "scientific_name",
    "common_name",
    "rank",
    "observed_on",
    "observed_at",
    "latitude",
    "longitude",
    "positional_accuracy_m",
    "obscured",
    "quality_grade",
    "photo_url",
    "photo_attribution",
    "photo_license",
    "url",
    "user_login",
    "place_guess",
    "license",
]
SPECIES_COUNT_COLUMNS = [
    "taxon_id",
    "scientific_name",
    "common_name",
    "rank",
    "count",
    "photo_url",
    "photo_attribution",
    "iconic_taxon_name",
]
TAXON_COLUMNS = [
    "taxon_id",
    "name",
    "common_name",
    "rank",
    "rank_level",
    "photo_url",
    "photo_attribution",
    "iconic_taxon_name",
    "parent_id",
    "ancestor_ids",
]


def safe_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host and nothing that could break out of an HTML
    attribute; else None."""
    if not isinstance(value, str) or not value or len(value) > 2048 or _BAD_URL_CHARS.search(value):
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value


def medium_photo(url: Any) -> str | None:
    """The medium-size (500 px) variant of an iNaturalist photo URL, if the URL is safe."""
    url = safe_url(url)
    return _PHOTO_SIZE.sub(lambda m: f"/medium.{m.group(2)}", url, count=1) if url else None


def require(record: Any, fields: tuple[str, ...], what: str, url: str) -> dict:
    """``record`` if it is an object holding every one of ``fields`` (values may be null), else SourceError."""
    if not isinstance(record, dict):
        raise SourceError(SOURCE, url, f"{what} is {type(record).__name__}, expected an object")
    missing = [f for f in fields if f not in record]
    if missing:
        raise SourceError(SOURCE, url, f"{what} lacks field(s) {', '.join(repr(m) for m in missing)}")
    return record


def _int(value: Any, what: str, url: str, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SourceError(SOURCE, url, f"{what} is {value!r}, expected a whole number")
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _first_photo(photos: Any) -> dict:
    """The first usable photo object of a list that may hold nulls."""
    if isinstance(photos, list):
        for p in photos:
            if isinstance(p, dict) and safe_url(p.get("url") or p.get("medium_url")):
                return p
    return {}


def _taxon_fields(taxon: Any, what: str, url: str) -> dict[str, Any]:
    if taxon is None:
        return {"taxon_id": None, "scientific_name": None, "common_name": None, "rank": None}
    require(taxon, ("id", "name"), what, url)
    return {
        "taxon_id": _int(taxon["id"], f"{what}.id", url),
        "scientific_name": _text(taxon["name"]),
        "common_name": _text(taxon.get("preferred_common_name")),
        "rank": _text(taxon.get("rank")),
    }


def _coordinates(obs: dict, what: str, url: str) -> tuple[float | None, float | None]:
    loc = obs.get("location")
    if isinstance(loc, str) and loc:
        try:
            lat, lng = (float(x) for x in loc.split(","))
        except ValueError:
            raise SourceError(SOURCE, url, f"{what}.location is {loc!r}, expected 'lat,lng'") from None
        return lat, lng
    geo = obs.get("geojson")
    coords = geo.get("coordinates") if isinstance(geo, dict) else None
    if isinstance(coords, list) and len(coords) == 2 and all(isinstance(c, int | float) for c in coords):
        return float(coords[1]), float(coords[0])
    return None, None


def _date(value: Any, what: str, url: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise SourceError(SOURCE, url, f"{what} is {value!r}, expected an ISO date") from None


def observations_frame(results: list, url: str) -> pd.DataFrame:
    """One row per observation. ``observed_on`` holds ``datetime.date`` objects (the observer's local calendar
    date, as iNaturalist reports it); ``observed_at`` is the UTC instant when a time was given (else NaT).
    ``positional_accuracy_m`` is the public accuracy (larger for obscured observations), else the recorded one."""
    rows = []
    for i, obs in enumerate(results):
        what = f"observation results[{i}]"
        require(obs, ("id", "observed_on", "taxon", "quality_grade"), what, url)
        oid = _int(obs["id"], f"{what}.id", url)
        lat, lng = _coordinates(obs, what, url)
        photo = _first_photo(obs.get("photos"))
        acc = obs.get("public_positional_accuracy")
        if not isinstance(acc, int | float) or isinstance(acc, bool):
            acc = obs.get("positional_accuracy")
        user = obs.get("user") if isinstance(obs.get("user"), dict) else {}
        rows.append(
            {
                "id": oid,
                **_taxon_fields(obs["taxon"], f"{what}.taxon", url),
                "observed_on": _date(obs["observed_on"], f"{what}.observed_on", url),
                "observed_at": obs.get("time_observed_at"),
                "latitude": lat,
                "longitude": lng,
                "positional_accuracy_m": acc
                if isinstance(acc, int | float) and not isinstance(acc, bool)
                else None,
                "obscured": bool(obs.get("obscured")),
                "quality_grade": _text(obs["quality_grade"]),
                "photo_url": medium_photo(photo.get("url") or photo.get("medium_url")),
                "photo_attribution": _text(photo.get("attribution")),
                "photo_license": _text(photo.get("license_code")),
                "url": OBSERVATION_URL.format(id=oid),
                "user_login": _text(user.get("login")),
                "place_guess": _text(obs.get("place_guess")),
                "license": _text(obs.get("license_code")),
            }
        )
    frame = pd.DataFrame(rows, columns=OBSERVATION_COLUMNS)
    frame["id"] = frame["id"].astype("Int64")
    frame["taxon_id"] = frame["taxon_id"].astype("Int64")
    frame["observed_at"] = pd.to_datetime(frame["observed_at"], utc=True, errors="coerce", format="ISO8601")
    for col in ("latitude", "longitude", "positional_accuracy_m"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["obscured"] = frame["obscured"].astype(bool)
    plausible.check_observations(frame, url)
    return frame


def species_counts_frame(results: list, url: str) -> pd.DataFrame:
    """One row per taxon with its observation ``count`` in the query."""
    rows = []
    for i, item in enumerate(results):
        what = f"species count results[{i}]"
        require(item, ("count", "taxon"), what, url)
        count = _int(item["count"], f"{what}.count", url)
        if item["taxon"] is None:
            raise SourceError(SOURCE, url, f"{what}.taxon is null")
        taxon = _taxon_fields(item["taxon"], f"{what}.taxon", url)
        photo = (
            item["taxon"].get("default_photo") if isinstance(item["taxon"].get("default_photo"), dict) else {}
        )
        rows.append(
            {
                **taxon,
                "count": count,
                "photo_url": medium_photo(photo.get("medium_url") or photo.get("url")),
                "photo_attribution": _text(photo.get("attribution")),
                "iconic_taxon_name": _text(item["taxon"].get("iconic_taxon_name")),
            }
        )
    frame = pd.DataFrame(rows, columns=SPECIES_COUNT_COLUMNS)
    frame["taxon_id"] = frame["taxon_id"].astype("Int64")
    frame["count"] = frame["count"].astype("int64")
    plausible.check_species_counts(frame, url)
    return frame


def histogram_frame(data: dict, interval: str, column: str, url: str) -> pd.DataFrame:
    """``{column, count}`` from ``results[interval]`` (keys like "1".."53"; null counts stay missing)."""
    bins = data["results"].get(interval)
    if not isinstance(bins, dict):
        raise SourceError(SOURCE, url, f"field 'results.{interval}' missing or not an object")
    try:
        keys = [int(k) for k in bins]
    except ValueError:
        raise SourceError(SOURCE, url, f"results.{interval} has non-numeric keys {list(bins)[:5]}") from None
    values = list(bins.values())
    bad = [v for v in values if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0)]
    if bad:
        raise SourceError(SOURCE, url, f"results.{interval} has counts that are not whole numbers: {bad[:3]}")
    frame = pd.DataFrame({column: keys, "count": pd.array(values, dtype="Int64")})
    return frame.sort_values(column, ignore_index=True)


def taxa_frame(results: list, url: str) -> pd.DataFrame:
    """One row per taxon record of ``/taxa/{ids}``; ``ancestor_ids`` is a tuple of ids, root first."""
    rows = []
    for i, t in enumerate(results):
        what = f"taxon results[{i}]"
        require(t, ("id", "name", "rank"), what, url)
        photo = t.get("default_photo") if isinstance(t.get("default_photo"), dict) else {}
        anc = t.get("ancestor_ids")
        rows.append(
            {
                "taxon_id": _int(t["id"], f"{what}.id", url),
                "name": _text(t["name"]),
                "common_name": _text(t.get("preferred_common_name")),
                "rank": _text(t["rank"]),
                "rank_level": t.get("rank_level") if isinstance(t.get("rank_level"), int | float) else None,
                "photo_url": medium_photo(photo.get("medium_url") or photo.get("url")),
                "photo_attribution": _text(photo.get("attribution")),
                "iconic_taxon_name": _text(t.get("iconic_taxon_name")),
                "parent_id": t.get("parent_id") if isinstance(t.get("parent_id"), int) else None,
                "ancestor_ids": tuple(a for a in anc if isinstance(a, int)) if isinstance(anc, list) else (),
            }
        )
    frame = pd.DataFrame(rows, columns=TAXON_COLUMNS)
    for col in ("taxon_id", "parent_id"):
        frame[col] = frame[col].astype("Int64")
    frame["rank_level"] = pd.to_numeric(frame["rank_level"], errors="coerce").astype("float64")
    plausible.check_taxa(frame, url)
    return frame
