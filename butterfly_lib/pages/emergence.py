"""The emergence page: when each species should fly this year, from its usual degree-day window.

Look here for what the emergence page computes: the species' emergence profiles (shared ``profiles``), this
season's projection (shared ``season``), the windows as dates this year with a status each, and the hindcast
skill of degree days against the calendar. Summary: the species expected soon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from butterfly_lib.analysis.emergence import LIMITATIONS, sighting_degree_days
from butterfly_lib.analysis.emergence_forecast import emergence_windows
from butterfly_lib.analysis.hindcast import hindcast, hindcast_summary
from butterfly_lib.analysis.real_profiles import noaa_cum_dd, upstream_as_sightings
from butterfly_lib.pages.context import PageContext
from butterfly_lib.pages.result import PageResult


@dataclass(frozen=True)
class ExpectedSpecies:
    common_name: str
    scientific_name: str
    status: str
    window_start: str | None
    window_end: str | None


@dataclass(frozen=True)
class EmergenceSummary:
    expected_soon: list[ExpectedSpecies]


@dataclass(kw_only=True)
class EmergenceResult(PageResult):
    name: ClassVar[str] = "emergence"
    profiles: pd.DataFrame
    windows: pd.DataFrame
    skill: pd.DataFrame
    coverage: dict[str, Any]
    limitations: str = LIMITATIONS

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"windows": self.windows, "profiles": self.profiles, "hindcast": self.skill}

    @property
    def summary(self) -> EmergenceSummary:
        return expected_soon(self.windows)


def _iso(value: object) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()  # type: ignore[arg-type]


def expected_soon(windows: pd.DataFrame, top: int = 8) -> EmergenceSummary:
    """The expected-soon card: species whose window opens soon, soonest first, then the next ones due later
    (species already flying belong to the flying-now card, not here)."""
    upcoming = windows[windows["status"].isin(["expected soon", "later"])]
    soon = upcoming.assign(_later=upcoming["status"] == "later").sort_values(
        ["_later", "days_until"], kind="stable"
    ).head(top)
    return EmergenceSummary(
        [
            ExpectedSpecies(str(c) if isinstance(c, str) else "", str(s), str(st), _iso(a), _iso(b))
            for c, s, st, a, b in zip(
                soon["common_name"], soon["scientific_name"], soon["status"], soon["window_start"],
                soon["window_end"], strict=True,
            )  # fmt: skip
        ]
    )


def build(ctx: PageContext) -> EmergenceResult:
    products = ctx.products
    profiles = products.profiles
    season = products.season
    windows = emergence_windows(profiles.in_units, season.projection).merge(
        profiles.in_units[["scientific_name", "taxon_id"]], on="scientific_name", how="left"
    )
    dd_f = ctx.place.dd.in_units("F")
    cum = noaa_cum_dd(products.station_record, dd_f)
    skill = hindcast_summary(hindcast(sighting_degree_days(upstream_as_sightings(products.upstream_sightings), cum), cum))
    datasets: dict[str, Any] = {
        "emergence profiles": profiles.fahrenheit,
        "station record": products.station_record,
        "temperatures": products.temperatures,
        "16-day forecast": products.forecast,
    }
    return EmergenceResult(
        context=ctx,
        datasets=datasets,
        profiles=profiles.in_units,
        windows=windows,
        skill=skill,
        coverage=profiles.coverage,
    )
