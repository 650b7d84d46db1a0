"""Open-Meteo historical weather API (``/archive``) and a season series stitched up to today.

Look here for ``archive_daily(place, start, end)``: daily values for any span since 1940 in ONE request (decades
included), optionally from one consistent reanalysis (``model="era5_seamless"``), and for
``daily_through_today(place, start)``: the archive joined with the forecast API's ``past_days`` so a season's
series has no gap up to today (the archive trails real time by ~5 days and answers those days with nulls).

Overlap rule of the stitch: the archive wins on every day where it has all requested values (reanalysis is
anchored to observations; the forecast's past days are model analyses). The forecast fills only days the archive
lacks or has incomplete. Each row says where it came from in the ``source`` column (``"archive"`` or
``"forecast"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd

from butterfly_lib.errors import InvalidInput
from butterfly_lib.http import fetch, tier_for_range
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.place import Place
from butterfly_lib.provenance import attach, combine
from butterfly_lib.sources.open_meteo.common import (
    ARCHIVE_FIRST_DAY,
    DAILY_VARIABLES,
    check_span,
    check_variables,
    checker,
    days_between,
    local_today,
    parse_block,
    place_location,
)
from butterfly_lib.sources.open_meteo.forecast import MAX_FORECAST_DAYS, MAX_PAST_DAYS, forecast_daily

SOURCE = "open_meteo_archive"
ARCHIVE_DEFAULT: tuple[str, ...] = (
    "temperature_2m_max",
    "temperature_2m_min",
    "sunshine_duration",
    "precipitation_sum",
    "weather_code",
)
#: model ids accepted for ``models=`` (None: Open-Meteo's best_match blend)
ARCHIVE_MODELS = (None, "best_match", "era5", "era5_land", "era5_seamless", "ecmwf_ifs")


def archive_url(session: ButterflySession) -> str:
    return session.url(SOURCE, "archive")


def check_model(model: str | None) -> str | None:
    if model not in ARCHIVE_MODELS:
        raise InvalidInput("model", model, f"one of {ARCHIVE_MODELS}")
    return model


def archive_daily(
    place: Place,
    start: date | str,
    end: date | str,
    *,
    variables: Sequence[str] = ARCHIVE_DEFAULT,
    model: str | None = None,
    session: ButterflySession,
    today: date | None = None,
) -> pd.DataFrame:
    """Daily archive values for ``place`` from ``start`` to ``end`` (inclusive, local days), one request.

    Columns (default variables): ``date`` (tz-aware local midnight), ``tmax_c``, ``tmin_c``, ``sunshine_h``,
    ``precipitation_mm``, ``weather_code``, ``weather``. Days not yet in the archive are NaN. ``end`` may not
    lie after today (use the forecast). Tier: historical when ``end`` is more than 10 days ago, else current.
    """
    variables = check_variables(variables, DAILY_VARIABLES, "daily")
    model = check_model(model)
    today = today or local_today(place.timezone)
    start, end = check_span(start, end, first=ARCHIVE_FIRST_DAY, last=today)
    url = archive_url(session)
    params = {
        "latitude": place.latitude,
        "longitude": place.longitude,
        "start_date": start,
        "end_date": end,
        "daily": variables,
        "timezone": place.timezone,
        "models": model,
    }

    def parse(payload: object, full_url: str = url) -> pd.DataFrame:
        return parse_block(
            payload,
            "daily",
            variables,
            timezone=place.timezone,
            source=SOURCE,
            url=full_url,
            span=(start, end),
        )

    got = fetch(
        SOURCE,
        url,
        params,
        tier=tier_for_range(end, today=today),
        location=place_location(place.name, place.latitude, place.longitude),
        session=session,
        check=(check := checker(parse)),
    )
    frame = check.result(got.data, got.url)
    prov = got.provenance
    absent = frame.attrs.get("absent_days", 0)
    if absent:
        note = f"{absent} of {len(frame)} days were absent from the answer and are left missing"
        prov = prov.with_(notice="; ".join(n for n in (prov.notice, note) if n))
    return attach(frame, prov)


def daily_through_today(
    place: Place,
    start: date | str | None = None,
    as_of: date | str | None = None,
    *,
    variables: Sequence[str] = ("temperature_2m_max", "temperature_2m_min"),
    model: str | None = None,
    session: ButterflySession,
    today: date | None = None,
) -> pd.DataFrame:
    """A gap-free daily series from ``start`` (default 1 January of this year) to ``as_of`` (default today).

    Two requests at most: the archive for ``start..min(as_of, today)``, then the forecast with just enough
    ``past_days`` to cover the days the archive lacks (and forecast days up to ``as_of`` when it lies ahead;
    at most 15 days ahead). Columns: ``date``, the variables' columns, ``source`` (archive/forecast). Days
    that neither source has (gap longer than 92 days) stay NaN with ``source`` "archive" and a notice.
    """
    variables = check_variables(variables, DAILY_VARIABLES, "daily")
    today = today or local_today(place.timezone)
    horizon = today + timedelta(days=MAX_FORECAST_DAYS - 1)
    start = start if start is not None else date(today.year, 1, 1)
    as_of = as_of if as_of is not None else today
    start, as_of = check_span(start, as_of, first=ARCHIVE_FIRST_DAY, last=horizon)
    model = check_model(model)

    columns = [DAILY_VARIABLES[v][0] for v in variables]
    arch_end = min(as_of, today)
    archive = archive_daily(
        place, start, arch_end, variables=variables, model=model, session=session, today=today
    )
    arch_prov = archive.attrs["provenance"]
    complete = archive[columns].notna().all(axis=1).to_numpy()
    # only the trailing run of incomplete days is the archive's lag; an interior gap stays NaN
    last_complete = archive["date"].dt.date[complete].max() if complete.any() else None
    gap_from = start if last_complete is None else last_complete + timedelta(days=1)
    if gap_from > arch_end and as_of <= today:
        return attach(archive.assign(source="archive"), arch_prov)

    lag = days_between(min(gap_from, today), today)
    notice = ""
    if lag > MAX_PAST_DAYS:
        notice = f"days before {today - timedelta(days=MAX_PAST_DAYS)} missing from the archive stay NaN"
    forecast_days = days_between(today, as_of) + 1 if as_of > today else 1
    fc = forecast_daily(
        place,
        forecast_days=forecast_days,
        past_days=min(lag, MAX_PAST_DAYS),
        variables=variables,
        session=session,
    )
    fc_prov = fc.attrs["provenance"]
    fc_days = fc["date"].dt.date
    fc = fc[(fc_days >= gap_from) & (fc_days >= start) & (fc_days <= as_of)]
    keep = archive[~archive["date"].isin(fc["date"])]
    out = pd.concat([keep.assign(source="archive"), fc.assign(source="forecast")], ignore_index=True)
    out = out.sort_values("date", ignore_index=True)
    out.attrs = {}
    stitched = "archive + forecast past_days stitched: archive up to its last complete day, forecast after (column 'source')"
    return attach(
        out, combine([arch_prov, fc_prov], notice="; ".join(n for n in (stitched, notice) if n))
    )
