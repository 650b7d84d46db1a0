"""The emergence page: when each species flies here this year, from onset to end with its peak, on what it rests,
and whether degree days time it better than the calendar.

Look here for what the emergence page computes from the shared ``phenology`` of the place (its record, effort,
cell temperatures and this season's projection; see ``pages.products``): the windows as dates this year with
their ranges, censoring, sample sizes and method (``window_rows``), one status per species (the same the species
page shows), the hindcast table with its intervals and verdicts, and the sample and its gaps in words
(``sample_text``). Summary: the species expected soon.

How a date is shown (``date_text``): a censored percentile as "not known" (the reason goes with it), a day not
reached this season as such, a day-precise date only where the hindcast shows degree days beat the calendar for
that species, otherwise a range: the date ± the hindcast's mean absolute error where one was measured, widened to
the earliest/latest dates of the estimate's 95 % interval (along the warm and cool paths of the season).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from butterfly_lib.analysis.phenology.place import LIMITATIONS, PlacePhenology
from butterfly_lib.analysis.phenology.skill import ALL
from butterfly_lib.analysis.phenology.traits import match_traits, source_text
from butterfly_lib.pages.context import PageContext
from butterfly_lib.pages.products import Record
from butterfly_lib.pages.result import PageResult
from butterfly_lib.provenance import provenance_of

#: the shared products this page reads (``Products``), directly or through another product: what the runner's
#: prefetch warms for it
PRODUCTS = ("temperatures", "forecast", "season", "record", "effort", "cells", "sightings", "phenology")


def _day(x: Any) -> str:
    t = pd.Timestamp(x)
    return f"{t:%b} {t.day}"


def date_text(
    when: Any, *, censored: bool, precision: str = "range", plus_minus: float = np.nan, earliest: Any = None,
    latest: Any = None,
) -> str:  # fmt: skip
    """How the page shows one predicted date (module docstring)."""
    if censored:
        return "not known"
    if when is None or pd.isna(when):
        return "not reached this season"
    t = pd.Timestamp(when)
    if precision == "day":
        return _day(t)
    lo, hi = t, t
    if np.isfinite(plus_minus):
        lo, hi = t - pd.Timedelta(days=float(plus_minus)), t + pd.Timedelta(days=float(plus_minus))
    if earliest is not None and not pd.isna(earliest):
        lo = min(lo, pd.Timestamp(earliest))
    if latest is not None and not pd.isna(latest):
        hi = max(hi, pd.Timestamp(latest))
    if lo == hi:
        return f"about {_day(t)}"
    return f"{_day(lo)} – {_day(hi)}"


def window_rows(phenology: PlacePhenology) -> pd.DataFrame:
    """One row per species and brood, in the order of their opening: names, method, brood, the onset / peak / end
    text, this year's dates (``start``, ``peak``, ``end``), what is censored and why, sample sizes, the species'
    one status, the species table's flight months, note and sources."""
    w = phenology.windows
    if not len(w):
        return pd.DataFrame(columns=["scientific_name", "common_name", "taxon_id", "brood", "n_broods", "method",
                                     "onset", "peak_text", "end_text", "start", "peak", "end", "start_earliest",
                                     "start_latest", "end_earliest", "end_latest", "censored",
                                     "censor_reason", "n", "n_eff", "n_years", "precision", "plus_minus_days",
                                     "status", "status_text", "flight_months", "brood_note", "species_note",
                                     "sources", "widened", "traits_checked"])  # fmt: skip
    prec = phenology.precision
    overall = phenology.skill
    fallback = np.nan
    if len(overall):
        o = overall[(overall["scientific_name"] == ALL) & (overall["target"] == 10)]
        fallback = float(np.ceil(o["dd_mae_days"].iloc[0])) if len(o) and np.isfinite(o["dd_mae_days"].iloc[0]) else np.nan
    pm = dict(zip(zip(prec["scientific_name"], prec["brood"], strict=True), prec["plus_minus_days"], strict=True)) if len(prec) else {}
    day = dict(zip(zip(prec["scientific_name"], prec["brood"], strict=True), prec["precision"], strict=True)) if len(prec) else {}
    st = phenology.statuses.set_index("scientific_name")
    tr = match_traits(w["scientific_name"], None)
    rows = []
    for (_, r), (_, t) in zip(w.iterrows(), tr.iterrows(), strict=True):
        key = (r["scientific_name"], r["brood"])
        precision = day.get(key, "range") if r["method"] == "degree days" else "range"
        plus = pm.get(key, fallback) if r["method"] == "degree days" else np.nan

        censored = [label for label, c in (("onset", r["censored_start"]), ("peak", r["censored_peak"]),
                                           ("end", r["censored_end"])) if c]  # fmt: skip
        rows.append({
            "scientific_name": r["scientific_name"], "common_name": r["common_name"], "taxon_id": r["taxon_id"],
            "brood": int(r["brood"]), "n_broods": int(r["n_broods"]), "method": r["method"],
            "onset": date_text(r["start"], censored=bool(r["censored_start"]), earliest=r["start_earliest"],
                               latest=r["start_latest"], precision=precision, plus_minus=plus),
            "peak_text": date_text(r["peak"], censored=bool(r["censored_peak"]), earliest=r["peak_earliest"],
                                   latest=r["peak_latest"], precision=precision, plus_minus=plus),
            "end_text": date_text(r["end"], censored=bool(r["censored_end"]), earliest=r["end_earliest"],
                                  latest=r["end_latest"], precision=precision, plus_minus=plus),
            "start": r["start"], "peak": r["peak"], "end": r["end"], "start_earliest": r["start_earliest"],
            "start_latest": r["start_latest"], "end_earliest": r["end_earliest"], "end_latest": r["end_latest"],
            "censored": ", ".join(censored), "censor_reason": reason_text(r["censor_reason"]),
            "n": int(r["n"]), "n_eff": float(r["n_eff"]), "n_years": int(r["n_years"]),
            "precision": precision, "plus_minus_days": plus,
            "status": st["status"].get(r["scientific_name"], ""),
            "status_text": st["status_text"].get(r["scientific_name"], ""),
            "flight_months": r["flight_months"], "brood_note": r["note"], "species_note": t["note"],
            "sources": source_text(t["sources"]) if t["sources"] else "", "widened": bool(r["widened"]),
            "traits_checked": bool(str(t.get("checked", "") or "").strip()),
        })  # fmt: skip
    return pd.DataFrame(rows)


_PART = re.compile(
    r"^(?P<what>onset|peak|end): in years holding (?P<share>\d+)% of the weight \((?P<years>[^)]*)\) it falls "
    r"(?P<why>.*?)(?: \((?P<a>\d{4}-\d\d-\d\d) – (?P<b>\d{4}-\d\d-\d\d)\))?$"
)


def reason_text(reason: str) -> str:
    """A window's censoring reason (``season_windows``' ``censor_reason``) in words for a table: per percentile,
    why, with the example's dates as month and day, and how much of the species' weight it concerns."""
    out = []
    for part in filter(None, (x.strip() for x in str(reason).split("; "))):
        m = _PART.match(part)
        if not m:
            out.append(part)
            continue
        why = m["why"]
        if m["a"]:
            a, b = pd.Timestamp(m["a"]), pd.Timestamp(m["b"])
            why += f" (as in {a.year}: {_day(a)} – {_day(b)})"
        out.append(f"{m['what']} {why}, in seasons holding {m['share']} % of its sightings' weight")
    return "; ".join(out)


def _latest_season(gaps: pd.DataFrame) -> pd.DataFrame:
    """The gaps of the last complete season that has any (the example a page gives of gaps every year)."""
    years = gaps["start"].dt.year
    pick = years.max() - 1 if (years == years.max() - 1).any() else years.max()
    return gaps[years == pick]


def _span_words(rows: pd.DataFrame) -> list[str]:
    return [f"{_day(s)} – {_day(e)}" for s, e in zip(rows["start"], rows["end"], strict=True)]


def sample_text(phenology: PlacePhenology, record: Record, *, place_name: str, radius_km: float,
                effort: pd.DataFrame | None = None, cells: pd.DataFrame | None = None,
                offline_demo: bool = False) -> str:
    """What the sample behind the windows is and where its gaps are, in words a naturalist reads (Markdown).
    ``offline_demo``: the record is the bundled snapshot's sample (said first)."""
    s = phenology.sample
    per = s["per_season"]
    parts = []
    if offline_demo:
        parts.append(
            "**Offline demo:** these are not the place's record but the sample an earlier planner published "
            "(research-grade sightings around its build dates, all years), replayed through the same code. "
            "It has gaps no real record has; they are marked below and censor what lies near them."
        )
    if not s["past_sightings"]:
        parts.append(f"The record of {place_name} holds no sighting from a past season yet: no window can be drawn.")
        return "\n\n".join(parts)
    busiest = sorted(per.items(), key=lambda kv: -kv[1])[:3]
    parts.append(
        f"The windows rest on **{s['past_sightings']:,} research-grade iNaturalist sightings of {s['past_species']} "
        f"species** within {radius_km:g} km of {place_name}, from {s['seasons']} past seasons "
        f"({min(per)}–{max(per)}); the busiest were " + ", ".join(f"{y} ({n})" for y, n in busiest) + ". "
        f"This season's {s['this_season_sightings']} sightings so far only say what has been seen lately."
    )
    gaps = phenology.gaps
    never = gaps[gaps["kind"] == "never sampled"]
    if len(never):
        last = _latest_season(never)
        parts.append(
            "**Never sampled:** in every season of the record, nobody recorded a single observation of the "
            f"reference group in these weeks (as in {int(last['start'].dt.year.iloc[0])}: "
            + "; ".join(_span_words(last)) + "). What flies then is unknown to the record; an onset, peak or end "
            "within 14 days of them is shown as *not known*."
        )
    rec = gaps[gaps["kind"] == "recurring gap"]
    if len(rec):
        example = _latest_season(rec)
        parts.append(
            "**Thin every year:** weeks far below their neighbours in most seasons, so also treated as gaps (as in "
            f"{int(example['start'].dt.year.iloc[0])}: " + "; ".join(_span_words(example)) + ")."
        )
    one = gaps[gaps["kind"] == "gap"]
    if len(one):
        parts.append("**Gaps in single seasons:** " + "; ".join(_span_words(one)) + ".")
    eprov = provenance_of(effort) if effort is not None else None
    if eprov is not None and "STAND-IN" in eprov.notice:
        parts.append(
            "**Observer effort (derived stand-in):** no insect counts were recorded for the demo, so the sample's own "
            "butterfly sightings per week stand in for them; their empty weeks are the sample's gaps."
        )
    elif eprov is not None:
        parts.append(
            "**Observer effort:** research-grade insect observations in the same circle, week by week; each "
            "sighting is weighted by the inverse of its week's effort, and every past season counts about alike."
        )
    dd = s["dd_source"]
    cell = dd.get("cell", 0)
    parts.append(
        f"Degree days: {cell:,} of the {s['past_sightings']:,} sightings take them from their own ERA5-Land cell"
        + (f", {dd.get('place', 0):,} from the place's own series" if dd.get("place") else "")
        + (f", {dd.get('none', 0):,} have none" if dd.get("none") else "")
        + "."
    )
    cprov = provenance_of(cells) if cells is not None else None
    if cprov is not None and "STAND-IN" in cprov.notice:
        parts[-1] += (" **Offline, those cells are a derived stand-in:** no gridded temperatures were recorded, so "
                      "the Portland series (airport station, normals, same-day forecasts) stands in for every cell.")
    if s["without_effort"]:
        parts.append(f"{s['without_effort']} sightings fall in weeks without an effort count and are left out.")
    return "\n\n".join(parts)


def hindcast_text(phenology: PlacePhenology) -> str:
    """The hindcast's verdict in words, or why there is none."""
    skill = phenology.skill
    if not len(skill):
        y = phenology.yearly
        targets = y[y["percentile"].isin([10, 50]) & (y["scale"] == "doy")] if len(y) else y
        cens = int(targets["censored"].sum()) if len(targets) else 0
        return (
            "**No hindcast:** no species has at least 5 past seasons with at least 5 sightings whose onset and "
            f"median are known (of {len(targets)} species-season estimates, {cens} are censored by a gap or an edge "
            "of the record). Until it has, every date on this page is shown as a range."
        )
    overall = skill[skill["scientific_name"] == ALL]
    lines = []
    for _, r in overall.iterrows():
        what = "onset (10th percentile)" if r["target"] == 10 else "median"
        lines.append(
            f"- **{what}**, {int(r['n_years'])} species-seasons: degree days {r['dd_mae_days']:.1f} days off on "
            f"average, the calendar {r['calendar_mae_days']:.1f}: {r['verdict']}."
        )
    return "\n".join(lines)


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
    phenology: PlacePhenology
    record: Record
    #: one row per species and brood, ready to show (``window_rows``)
    windows: pd.DataFrame
    sample: str
    hindcast: str
    limitations: str = LIMITATIONS

    @property
    def statuses(self) -> pd.DataFrame:
        return self.phenology.statuses

    @property
    def skill(self) -> pd.DataFrame:
        return self.phenology.skill

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        ph = self.phenology
        return {
            "windows": self.windows,
            "statuses": ph.statuses,
            "percentiles": ph.pooled,
            "hindcast": ph.skill,
            "hindcast-seasons": ph.predictions,
            "gaps": ph.gaps,
            "species": ph.species,
        }

    @property
    def summary(self) -> EmergenceSummary:
        return expected_soon(self.windows)


def _iso(value: object) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def expected_soon(windows: pd.DataFrame, top: int = 8) -> EmergenceSummary:
    """The expected-soon card: species whose status is "expected soon", soonest first, then those due "later"
    (species flying now belong to the flying-now card, not here). Window dates are the next window's opening and
    end this year; a censored one is left out (None)."""
    if not len(windows):
        return EmergenceSummary([])
    up = windows[windows["status"].isin(["expected soon", "later"]) & (windows["start"].notna())]
    up = up[pd.DatetimeIndex(up["start"]) > pd.Timestamp(windows.attrs.get("as_of", pd.Timestamp.min))]
    up = up.sort_values("start", kind="stable").drop_duplicates("scientific_name")
    up = up.assign(_later=up["status"] == "later").sort_values(["_later", "start"], kind="stable").head(top)
    return EmergenceSummary([
        ExpectedSpecies(str(c) if isinstance(c, str) else "", str(s), str(st),
                        None if "onset" in str(cz) else _iso(a), None if "end" in str(cz) else _iso(b))
        for c, s, st, a, b, cz in zip(up["common_name"], up["scientific_name"], up["status"], up["start"],
                                      up["end"], up["censored"], strict=True)
    ])  # fmt: skip


def build(ctx: PageContext) -> EmergenceResult:
    products = ctx.products
    ph = products.phenology
    rows = window_rows(ph)
    rows.attrs["as_of"] = pd.Timestamp(ctx.as_of)
    place = ctx.place.place
    datasets: dict[str, Any] = {
        "observation record": products.record.sightings,
        "observer effort": products.effort,
        "temperatures at the sightings' cells": products.cells,
        "temperatures": products.temperatures,
        "16-day forecast": products.forecast,
    }
    return EmergenceResult(
        context=ctx, datasets=datasets, phenology=ph, record=products.record, windows=rows,
        sample=sample_text(ph, products.record, place_name=place.name, radius_km=place.radius_km,
                           effort=products.effort, cells=products.cells,
                           offline_demo=ctx.settings.snapshot is not None),
        hindcast=hindcast_text(ph),
    )  # fmt: skip
