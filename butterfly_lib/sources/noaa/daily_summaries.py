"""NOAA NCEI daily summaries (GHCN-Daily) from the Access Data Service, and the bundled Portland record.

Look here for ``noaa_daily(station, start, end)`` (one CSV request, °F and inches) and ``load_station_csv()``
(the real 1940–2024 Portland airport record in ``data/noaa/``, read by the same parser). Both return one row per
calendar day of the range: days the station did not report are added as all-NaN rows, and every gap is counted
in ``frame.attrs["missing"]`` (``{"tmax_f": n, "tmin_f": n, "prcp_in": n, "absent_days": k}``, where the
per-column counts include the absent days). Nothing is ever filled in. A day whose TMIN is above its TMAX is
set missing and named in ``attrs["inconsistent_days"]`` and the provenance notice (``consistency``).

``date`` is tz-naive on purpose: a GHCN-Daily day at a first-order station is a local *standard* time day
(midnight to midnight, no daylight saving), which no IANA zone's midnight matches in summer. Join it to
Open-Meteo's tz-aware ``date`` by calendar day (``.dt.date``).
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.http import encode_params, fetch, tier_for_range
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.place import STATION_PATTERN, Place
from butterfly_lib.provenance import Provenance, attach
from butterfly_lib.settings import DEFAULT_ENDPOINTS, as_date
from butterfly_lib.sources.noaa.consistency import inconsistent_notice, mask_inconsistent_days
from butterfly_lib.sources.noaa.plausible import check_daily

SOURCE = "noaa"
BUNDLED_FILE = "USW00024229_portland_airport_1940-2024.csv"
#: CSV column -> frame column, for the values this parser reads
VALUE_COLUMNS: dict[str, str] = {"TMAX": "tmax_f", "TMIN": "tmin_f", "PRCP": "prcp_in"}
EXPECTED_HEADER = ("STATION", "NAME", "DATE", *VALUE_COLUMNS)
FIRST_GHCN_DAY = date(1763, 1, 1)


def noaa_url(session: ButterflySession) -> str:
    return session.url(SOURCE)


def request_params(
    station: str, start: date, end: date, data_types: tuple[str, ...] = tuple(VALUE_COLUMNS)
) -> dict:
    return {
        "dataset": "daily-summaries",
        "stations": station,
        "dataTypes": list(data_types),
        "startDate": start,
        "endDate": end,
        "units": "standard",
        "includeStationName": True,
        "format": "csv",
    }


def parse_daily_summaries(
    text: str, *, url: str, station: str | None = None, start: date | None = None, end: date | None = None
) -> pd.DataFrame:
    """The CSV body as a complete daily frame: ``date, station, station_name, tmax_f, tmin_f, prcp_in``.

    ``start``/``end`` give the calendar to complete (default: first and last day in the body). An empty body is
    a valid "no data" answer: every day of the range is absent. A header without the expected columns, another
    station's rows, a non-numeric value or structural nonsense (``plausible``: days out of order or outside the
    range, impossible values) raise ``SourceError`` naming the URL.
    """
    if not text.strip():
        table = pd.DataFrame({c: pd.Series(dtype=str) for c in EXPECTED_HEADER})
    else:
        try:
            table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise SourceError(SOURCE, url, f"unreadable CSV ({exc})") from None
    missing = [c for c in EXPECTED_HEADER if c not in table.columns]
    if missing:
        raise SourceError(
            SOURCE, url, f"CSV header changed: columns found {list(table.columns)}, expected {list(EXPECTED_HEADER)}",
            f"missing {missing}; not guessing which column holds what",
        )  # fmt: skip
    stations = set(table["STATION"])
    if station is not None and stations - {station}:
        raise SourceError(SOURCE, url, f"asked for station {station}, CSV holds {sorted(stations)}")
    if len(stations) > 1:
        raise SourceError(SOURCE, url, f"CSV mixes stations {sorted(stations)}; ask for one at a time")
    days = pd.to_datetime(table["DATE"], format="%Y-%m-%d", errors="coerce")
    if days.isna().any():
        raise SourceError(
            SOURCE, url, f"unreadable DATE values, e.g. {table['DATE'][days.isna()].head(3).tolist()}"
        )
    if days.duplicated().any():
        raise SourceError(
            SOURCE, url, f"duplicate days, e.g. {days[days.duplicated()].dt.date.head(3).tolist()}"
        )

    frame = pd.DataFrame({"date": days})
    for raw, column in VALUE_COLUMNS.items():
        text_values = table[raw].str.strip()
        values = pd.to_numeric(text_values.where(text_values != ""), errors="coerce")
        bad = values.isna() & (text_values != "")
        if bad.any():
            raise SourceError(
                SOURCE, url, f"non-numeric {raw} values, e.g. {text_values[bad].head(3).tolist()}"
            )
        frame[column] = values.astype(float)
    check_daily(frame, source=SOURCE, url=url, start=start, end=end)

    first = pd.Timestamp(start) if start is not None else frame["date"].min()
    last = pd.Timestamp(end) if end is not None else frame["date"].max()
    if pd.isna(first) or pd.isna(last):
        calendar = pd.DatetimeIndex([], name="date")
    else:
        calendar = pd.date_range(first, last, freq="D", name="date")
    reported = frame["date"].isin(calendar)
    out = frame[reported].set_index("date").reindex(calendar).reset_index()
    station_id = station or (next(iter(stations)) if stations else "")
    names = table["NAME"].unique()
    out.insert(1, "station", station_id)
    out.insert(2, "station_name", names[0] if len(names) else "")
    mask_inconsistent_days(out)
    out.attrs["missing"] = {
        **{column: int(out[column].isna().sum()) for column in VALUE_COLUMNS.values()},
        "absent_days": int(len(calendar) - reported.sum()),
    }
    return out


def _check_station(station: str | Place) -> str:
    if isinstance(station, Place):
        if station.noaa_station is None:
            raise InvalidInput("station", station.name, "a Place with noaa_station set, or a GHCN-Daily id")
        return station.noaa_station
    if not isinstance(station, str) or not STATION_PATTERN.match(station):
        raise InvalidInput(
            "station", station, "a GHCN-Daily station id such as 'USW00024229' (11 characters)"
        )
    return station


def noaa_daily(
    station: str | Place,
    start: date | str,
    end: date | str,
    *,
    session: ButterflySession,
    today: date | None = None,
) -> pd.DataFrame:
    """Daily TMAX/TMIN/PRCP of ``station`` (id or a Place with ``noaa_station``) for ``start..end``, one request.

    Columns: ``date`` (tz-naive local standard day), ``station``, ``station_name``, ``tmax_f``, ``tmin_f``,
    ``prcp_in``; gaps counted in ``attrs["missing"]``; provenance in ``attrs["provenance"]``. Tier: historical
    when ``end`` is more than 10 days ago, else current.
    """
    station = _check_station(station)
    start, end = as_date("start", start), as_date("end", end)
    today = today or datetime.now(UTC).date()
    if end < start:
        raise InvalidInput("end", end.isoformat(), f"a date on or after start ({start.isoformat()})")
    if start < FIRST_GHCN_DAY:
        raise InvalidInput("start", start.isoformat(), f"a date on or after {FIRST_GHCN_DAY.isoformat()}")
    if end > today:
        raise InvalidInput("end", end.isoformat(), f"a date on or before today ({today.isoformat()})")
    url = noaa_url(session)

    def parse(text: str, full_url: str = url) -> pd.DataFrame:
        return parse_daily_summaries(text, url=full_url, station=station, start=start, end=end)

    def check(text: str) -> None:
        parse(text)

    got = fetch(
        SOURCE, url, request_params(station, start, end), tier=tier_for_range(end, today=today), expected="text",
        location=station, session=session, check=check,
    )  # fmt: skip
    frame = parse(got.data, got.url)
    return attach(frame, _with_gap_notice(got.provenance, frame))


def _with_gap_notice(prov: Provenance, frame: pd.DataFrame) -> Provenance:
    gaps = {k: v for k, v in frame.attrs["missing"].items() if v}
    inconsistent = inconsistent_notice(frame.attrs.get("inconsistent_days", []))
    if not gaps and not inconsistent:
        return prov
    note = "missing (left NaN): " + ", ".join(f"{k} {v}" for k, v in gaps.items()) if gaps else ""
    return prov.with_(notice="; ".join(n for n in (prov.notice, note, inconsistent) if n))


def bundled_path(noaa_dir: Path) -> Path:
    """The bundled Portland airport record (1940-10-14 … 2024-12-09) in ``noaa_dir`` (``settings.paths.noaa_dir``)."""
    return Path(noaa_dir) / BUNDLED_FILE


def load_station_csv(path: str | Path) -> pd.DataFrame:
    """A bundled Access Data Service CSV (such as ``bundled_path(...)``), parsed like a response.

    Provenance: source ``noaa``, kind observed, URL = the Access Data Service request that returns this file,
    notice "bundled copy".
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(SOURCE, str(path), f"cannot read the bundled CSV ({exc})") from None
    frame = parse_daily_summaries(text, url=str(path))
    if frame.empty:
        raise SourceError(SOURCE, str(path), "the bundled CSV holds no rows")
    header = pd.read_csv(io.StringIO(text), nrows=0).columns
    data_types = tuple(c for c in header if c not in ("STATION", "NAME", "DATE"))
    first, last = frame["date"].iloc[0].date(), frame["date"].iloc[-1].date()
    station = str(frame["station"].iloc[0])
    query = urlencode(encode_params(request_params(station, first, last, data_types)))
    url = f"{DEFAULT_ENDPOINTS[SOURCE]}?{query}"
    mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    prov = Provenance(
        source=SOURCE, url=url, fetched_at=mtime, expires=None, from_cache=True, location=station,
        parameters={**encode_params(request_params(station, first, last, data_types)), "file": path.name},
        kind="observed", notice="bundled copy",
    )  # fmt: skip
    return attach(frame, _with_gap_notice(prov, frame))
