"""The species page: which butterflies are usually seen around this date, and which have been seen this year.

Look here for what the species page computes: iNaturalist species counts for the month-days around the as-of
date in every year, this year's counts, and the week-of-year seasonality of the most-seen species, joined into
one row per species (``species_rows``). Summary: the species flying now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from butterfly_lib.pages.context import PageContext
from butterfly_lib.pages.result import PageResult
from butterfly_lib.sources.inaturalist import seasonality, species_this_week, species_this_year

#: species whose week-of-year seasonality is fetched (one request each)
SEASONALITY_TOP = 12


INAT_TAXON = "https://www.inaturalist.org/taxa/"


def taxon_url(taxon_id: object) -> str | None:
    """The iNaturalist page of a taxon id, or None when there is no valid id."""
    try:
        tid = int(taxon_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return f"{INAT_TAXON}{tid}" if tid > 0 else None


@dataclass(frozen=True)
class SpeciesCard:
    common_name: str
    scientific_name: str
    count: int
    url: str | None


@dataclass(frozen=True)
class SpeciesSummary:
    flying_now: list[SpeciesCard]


def species_rows(
    this_week: pd.DataFrame,
    this_year: pd.DataFrame,
    seasonality_by_taxon: dict[int, pd.DataFrame],
    as_of: date,
) -> pd.DataFrame:
    """One row per species seen around this week (all years): ``taxon_id, common_name, scientific_name, count,
    photo_url, count_this_year, seen_this_year, url, seasonality`` (53 weekly counts, all years, as a list;
    empty when not fetched). ``attrs["week"]``: the as-of date's week (0-based, for marking it)."""
    out = this_week[["taxon_id", "common_name", "scientific_name", "count", "photo_url"]].copy()
    year_counts = this_year.set_index("taxon_id")["count"] if len(this_year) else pd.Series(dtype=float)
    out["count_this_year"] = out["taxon_id"].map(year_counts).fillna(0).astype(int)
    out["seen_this_year"] = out["count_this_year"] > 0
    out["url"] = [taxon_url(t) for t in out["taxon_id"]]
    curves: list[list[float]] = []
    for tid in out["taxon_id"]:
        h = seasonality_by_taxon.get(int(tid)) if pd.notna(tid) else None
        if h is None or h.empty:
            curves.append([])
            continue
        weekly = np.zeros(53)
        weekly[h["week"].to_numpy(int) - 1] = h["count"].to_numpy(float)
        curves.append(weekly.tolist())
    out["seasonality"] = curves
    out = out.reset_index(drop=True)
    out.attrs["week"] = int(pd.Timestamp(as_of).isocalendar().week) - 1
    return out


@dataclass(kw_only=True)
class SpeciesResult(PageResult):
    name: ClassVar[str] = "species"
    week: pd.DataFrame
    year: pd.DataFrame
    seasonality: dict[int, pd.DataFrame]
    rows: pd.DataFrame

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"species": self.rows.drop(columns=["seasonality"])}

    @property
    def summary(self) -> SpeciesSummary:
        return flying_now(self.rows)


def flying_now(rows: pd.DataFrame, top: int = 8) -> SpeciesSummary:
    """The flying-now card: the most-seen species around this week."""
    head = rows.sort_values("count", ascending=False, kind="stable").head(top)
    return SpeciesSummary(
        [
            SpeciesCard(str(c) if isinstance(c, str) else "", str(s), int(n), taxon_url(t))
            for c, s, n, t in zip(
                head["common_name"], head["scientific_name"], head["count"], head["taxon_id"], strict=True
            )
        ]
    )


def build(ctx: PageContext) -> SpeciesResult:
    p, session = ctx.place, ctx.session
    week = species_this_week(p.place, ctx.as_of, p.days_back, p.days_ahead, taxon_id=p.taxon_id, session=session)
    year = species_this_year(p.place, ctx.as_of, taxon_id=p.taxon_id, session=session)
    curves = {
        int(t): seasonality(p.place, taxon_id=int(t), session=session)
        for t in week["taxon_id"].dropna().head(SEASONALITY_TOP)
    }
    names = dict(zip(week["taxon_id"], week["common_name"].fillna(week["scientific_name"]), strict=False))
    datasets: dict[str, Any] = {
        "species around this week": week,
        "species this year": year,
        **{f"seasonality of {names.get(t) or t}": h for t, h in curves.items()},
    }
    rows = species_rows(week, year, curves, ctx.as_of)
    return SpeciesResult(context=ctx, datasets=datasets, week=week, year=year, seasonality=curves, rows=rows)
