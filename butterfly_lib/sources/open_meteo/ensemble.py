"""Open-Meteo ensemble API (``/ensemble``): every member of one pinned model, and their spread.

Look here for ``ensemble(place)`` (an ``xarray.Dataset`` with dimensions ``member × time``, one variable per
requested quantity, units in the names) and ``ensemble_quantiles(ds)`` (p10/p50/p90 per time step as a tidy
frame). Models are pinned by id so a page never silently changes model; the response names the control run
``<variable>`` (member 0) and the perturbed runs ``<variable>_memberNN``. Tier LIVE.

Pinned models (Open-Meteo ensemble docs): ``gfs_seamless`` (NOAA GEFS, 31 members, 0.25°/0.5°, up to 35 days),
``ecmwf_ifs025`` (ECMWF IFS ENS, 51 members, 0.25°, 15 days), ``icon_seamless`` (DWD ICON-EPS, 40 members global,
~7.5 days).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.http import Tier, fetch
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.place import Place
from butterfly_lib.provenance import attach
from butterfly_lib.sources.open_meteo.common import (
    DAILY_VARIABLES,
    SUBDAILY_VARIABLES,
    check_int,
    check_variables,
    checker,
    place_location,
    read_block,
    read_values,
)
from butterfly_lib.sources.open_meteo.plausible import check_values

SOURCE = "open_meteo_ensemble"
#: pinned model id -> longest forecast it offers (days)
ENSEMBLE_MODELS: dict[str, int] = {"gfs_seamless": 35, "ecmwf_ifs025": 15, "icon_seamless": 7}
DEFAULT_MODEL = "gfs_seamless"
DAILY_DEFAULT: tuple[str, ...] = ("temperature_2m_max", "temperature_2m_min", "sunshine_duration")
HOURLY_DEFAULT: tuple[str, ...] = ("temperature_2m", "sunshine_duration")
QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)


def ensemble_url(session: ButterflySession) -> str:
    return session.url(SOURCE, "ensemble")


def _member_keys(block: dict, variable: str) -> list[tuple[int, str]]:
    pattern = re.compile(rf"^{re.escape(variable)}_member(\d+)$")
    keys = [(0, variable)] if variable in block else []
    keys += [(int(m.group(1)), k) for k in block if (m := pattern.match(k))]
    return sorted(keys)


def parse_ensemble(
    payload: Any, resolution: str, variables: Sequence[str], *, timezone: str, source: str, url: str
) -> xr.Dataset:
    """Members of each variable stacked into ``member × time`` arrays (units converted, nulls NaN)."""
    table = DAILY_VARIABLES if resolution == "daily" else SUBDAILY_VARIABLES
    data, units, stamps = read_block(payload, resolution, timezone=timezone, source=source, url=url)
    members = {var: _member_keys(data, var) for var in variables}
    empty = [var for var, keys in members.items() if not keys]
    if empty:
        found = sorted(k for k in data if k != "time")[:10]
        raise SourceError(
            source, url, f"'{resolution}' block has no members of {empty}; fields found: {found} ..."
        )
    ids = sorted({i for keys in members.values() for i, _ in keys})
    row = {m: r for r, m in enumerate(ids)}
    data_vars = {}
    for var, keys in members.items():
        column, quantity = table[var]
        arr = np.full((len(ids), len(stamps)), np.nan)
        for member, key in keys:
            # a member's unit is listed under its own key; it must be one this parser converts
            values = read_values(
                data, units, key, quantity, unit_key=key if key in units else var, n=len(stamps), label=column,
                source=source, url=url,
            )  # fmt: skip
            arr[row[member]] = (
                np.asarray(values, dtype=float)
                if isinstance(values, np.ndarray)
                else values.to_numpy(dtype=float, na_value=np.nan)
            )
        data_vars[column] = (("member", "time"), arr, {"units": quantity.unit, "open_meteo_variable": var})
    labels = [t.date().isoformat() if resolution == "daily" else t.isoformat() for t in stamps]
    check_values({k: v[1] for k, v in data_vars.items()}, labels, resolution, source=source, url=url)
    ds = xr.Dataset(data_vars, coords={"member": ids, "time": stamps.tz_localize(None).to_numpy()})
    ds.attrs["timezone"] = timezone
    ds.attrs["resolution"] = resolution
    return ds


def ensemble(
    place: Place,
    *,
    model: str = DEFAULT_MODEL,
    variables: Sequence[str] | None = None,
    resolution: str = "daily",
    forecast_days: int = 16,
    session: ButterflySession,
) -> xr.Dataset:
    """All members of ``model`` for ``place``: a Dataset with dims ``member`` (0 = control) × ``time``.

    ``time`` holds local wall-clock times of ``place.timezone`` (``ds.attrs["timezone"]``; xarray keeps no
    time zone); data variables are named like the forecast columns (``tmax_c``, ``sunshine_h``,
    ``temperature_c``, ``sunshine_min`` ...). Provenance on ``ds.attrs["provenance"]``.
    """
    if model not in ENSEMBLE_MODELS:
        raise InvalidInput("model", model, f"one of {sorted(ENSEMBLE_MODELS)}")
    if resolution not in ("daily", "hourly"):
        raise InvalidInput("resolution", resolution, "'daily' or 'hourly'")
    table = DAILY_VARIABLES if resolution == "daily" else SUBDAILY_VARIABLES
    variables = check_variables(
        variables or (DAILY_DEFAULT if resolution == "daily" else HOURLY_DEFAULT), table, resolution
    )
    forecast_days = check_int("forecast_days", forecast_days, 1, ENSEMBLE_MODELS[model])
    url = ensemble_url(session)
    params = {
        "latitude": place.latitude,
        "longitude": place.longitude,
        resolution: variables,
        "models": model,
        "timezone": place.timezone,
        "forecast_days": forecast_days,
    }

    def parse(payload: object, full_url: str = url) -> xr.Dataset:
        return parse_ensemble(
            payload, resolution, variables, timezone=place.timezone, source=SOURCE, url=full_url
        )

    got = fetch(
        SOURCE, url, params, tier=Tier.LIVE, location=place_location(place.name, place.latitude, place.longitude),
        session=session, check=(check := checker(parse)),
    )  # fmt: skip
    ds = check.result(got.data, got.url)
    ds.attrs["model"] = model
    return attach(ds, got.provenance)


def ensemble_quantiles(ds: xr.Dataset, quantiles: Sequence[float] = QUANTILES) -> pd.DataFrame:
    """Per time step and variable: ``p10``, ``p50``, ``p90`` (or the asked quantiles) over members, and ``members``.

    Members with NaN are skipped; ``members`` counts the ones that had a value. The time column is ``date``
    (daily) or ``time`` (hourly), tz-aware again. Provenance is carried over.
    """
    qs = [float(q) for q in quantiles]
    if not qs or any(not 0.0 <= q <= 1.0 for q in qs):
        raise InvalidInput("quantiles", quantiles, "numbers in [0, 1]")
    q = ds.quantile(qs, dim="member", skipna=True)
    counts = ds.notnull().sum("member")
    rows = []
    for name in ds.data_vars:
        part = q[name].to_pandas().T  # time × quantile
        part.columns = [f"p{round(c * 100):d}" for c in part.columns]
        part["members"] = counts[name].to_pandas().astype(int)
        part.insert(0, "variable", name)
        rows.append(part)
    out = pd.concat(rows).rename_axis("time").reset_index()
    out["time"] = out["time"].dt.tz_localize(
        ds.attrs.get("timezone", "UTC"), ambiguous="NaT", nonexistent="NaT"
    )
    if ds.attrs.get("resolution") == "daily":
        out = out.rename(columns={"time": "date"})
    out.attrs = {}
    if "provenance" in ds.attrs:
        attach(out, ds.attrs["provenance"])
    return out
