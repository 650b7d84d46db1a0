"""The emergence science of one place, end to end: from the place's record to windows, statuses and skill.

Look here for ``place_phenology`` (what the pages' shared products call once per run and place) and
``PlacePhenology`` (what it returns: every table the emergence, species and forecast pages and the landing
page's cards show), and for ``species_flying`` (how many species are expected flying around each day).

Inputs, all of one place: the record's sightings with ``cum_dd`` at each sighting's own cell
(``sources.inaturalist.record.sightings`` then ``analysis.sighting_degree_days.attach_cum_dd``), the observer
effort (``sources.inaturalist.effort.observer_effort``), and this season's degree-day state (``Season.cum``: the
place's accumulation of past years; ``Season.projection``). The steps are the package's (see its docstring):
effort weights and sampling gaps, broods (never cut where the record has a gap every year), the pooled
percentiles of past seasons, this season's windows, one status per species, and the leave-one-year-out hindcast.

Choices made here, and why:

- **Species, not subspecies.** iNaturalist identifies some observations to subspecies (``Icaricia icarioides
  fenderi``); they are counted with their species (the first two words of the name), which is what the species
  table, the species page and a naturalist mean by a species.
- **Past seasons only.** The profiles and the hindcast use seasons before the as-of year: this season's sightings
  stop at the as-of day, so they would pull every percentile of a species still flying towards today.
- **Gaps the species table sees.** A flight cut by a gap that comes back every year looks complete to the
  estimator; where the species table has the species flying in such a gap before its first onset or after its
  last end, that onset or end is not known either (``censor_by_flight_months``).
- **Seen beats expected.** A species seen in the place within ``evidence_days`` of the as-of day is "flying now"
  whatever its window says (the window is a forecast; a research-grade sighting is an observation), and the status
  says so. This is what keeps the species page and the emergence page from contradicting each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from butterfly_lib.analysis.phenology.broods import assign_broods, detect_broods
from butterfly_lib.analysis.phenology.effort import effort_weights, sampling_gaps
from butterfly_lib.analysis.phenology.estimates import pooled_percentiles, yearly_percentiles
from butterfly_lib.analysis.phenology.skill import date_precision, hindcast, skill_summary
from butterfly_lib.analysis.phenology.traits import flight_months, load_traits, match_traits
from butterfly_lib.analysis.phenology.windows import WINDOW_COLUMNS, season_windows, species_status
from butterfly_lib.errors import InvalidInput

STATUS_COLUMNS = ("scientific_name", "common_name", "taxon_id", "status", "brood", "method", "status_text",
                  "last_seen", "seen_recently")  # fmt: skip
#: what the method cannot see, in words for the pages (the emergence and methods pages quote it)
LIMITATIONS = (
    "Sightings are where and when people looked, not where butterflies were. Each sighting is weighted by the "
    "observer effort of its week (research-grade insect observations in the same circle), which removes the growth "
    "of iNaturalist and its busy summer weekends, but not effort that differs between species (showy species are "
    "over-reported) nor weeks nobody sampled: those are censored, never estimated. Onset, peak and end are the "
    "10th, 50th and 90th percentiles of a species' sightings by the Weibull-parameterized estimator (Belitz et al. "
    "2020), with bootstrap intervals that are too narrow below about 20 sightings. Adult overwinterers and migrants "
    "get calendar windows: degree days since the season's start do not time their flights. A year or a place "
    "without sightings says nothing about absence."
)
SPECIES_COLUMNS = ("scientific_name", "common_name", "taxon_id", "n", "n_years", "first_seen", "last_seen",
                   "has_window", "status", "status_text")  # fmt: skip


@dataclass(eq=False)
class PlacePhenology:
    """Everything the pages show about when species fly at one place (see the module docstring)."""

    #: past seasons' sightings the profiles rest on (``scientific_name`` is the species), with ``w_week``,
    #: ``w_pooled`` and ``brood``
    sightings: pd.DataFrame
    #: the effort table on ISO weeks (``year, week, n_reference, week_start``), ``attrs["record_span"]``
    effort: pd.DataFrame
    record_span: tuple[pd.Timestamp, pd.Timestamp]
    gaps: pd.DataFrame
    broods: pd.DataFrame
    pooled: pd.DataFrame
    yearly: pd.DataFrame
    windows: pd.DataFrame
    #: one row per species with a window or seen within ``evidence_days`` (``STATUS_COLUMNS``)
    statuses: pd.DataFrame
    #: one row per species of the record (``SPECIES_COLUMNS``)
    species: pd.DataFrame
    predictions: pd.DataFrame
    skill: pd.DataFrame
    precision: pd.DataFrame
    #: what the sample is, in numbers (``describe_sample``)
    sample: dict[str, Any] = field(default_factory=dict)

    def status_of(self, scientific_name: str) -> str | None:
        """The one status of a species (any name the data uses; subspecies find their species), or None."""
        hit = self.statuses.loc[self.statuses["scientific_name"] == species_name(scientific_name), "status"]
        return str(hit.iloc[0]) if len(hit) else None


def species_name(name: object) -> str:
    """The species (binomial) of a scientific name: ``"Icaricia icarioides fenderi"`` -> ``"Icaricia icarioides"``."""
    return " ".join(str(name).split()[:2])


def as_species(sightings: pd.DataFrame) -> pd.DataFrame:
    """``sightings`` with subspecies counted as their species: ``scientific_name`` the binomial, ``taxon_id`` the
    species' own id where any sighting was identified to species (else missing), ``common_name`` the species'
    name (else the subspecies')."""
    out = sightings.copy()
    full = out["scientific_name"].astype(str)
    binomial = full.map(species_name)
    at_species = full == binomial
    common = out["common_name"] if "common_name" in out else pd.Series("", index=out.index)
    common = common.fillna("").astype(str)
    taxon = pd.to_numeric(out["taxon_id"], errors="coerce") if "taxon_id" in out else pd.Series(np.nan, index=out.index)

    def first(values: pd.Series, mask: pd.Series) -> pd.Series:
        pick = values[mask & values.notna() & (values.astype(str) != "")]
        return pick.groupby(binomial[pick.index]).agg(lambda s: s.mode().iloc[0])

    sp_common = first(common, at_species)
    any_common = first(common, pd.Series(True, index=out.index))
    sp_taxon = first(taxon, at_species)
    out["scientific_name"] = binomial
    out["common_name"] = binomial.map(sp_common).fillna(binomial.map(any_common)).fillna("")
    out["taxon_id"] = pd.array(binomial.map(sp_taxon).to_numpy(dtype=float), dtype="Float64").astype("Int64")
    return out


def iso_effort(effort: pd.DataFrame, record_span: tuple) -> pd.DataFrame:
    """The source's effort frame (weeks keyed by their Monday, split at New Year) as the ISO-week table the
    package uses: one row per Monday with the week's ``n_reference`` summed, ``attrs["record_span"]``."""
    if "week_start" not in effort.columns or "n_reference" not in effort.columns:
        raise InvalidInput("effort", list(effort.columns), "observer_effort output (week_start, n_reference)")
    weeks = effort.groupby(pd.to_datetime(effort["week_start"]), as_index=True)["n_reference"].sum()
    out = pd.DataFrame({"week_start": weeks.index, "n_reference": weeks.to_numpy(dtype=float)})
    out.attrs["record_span"] = tuple(pd.Timestamp(x).normalize() for x in record_span)
    return out


def _last_seen(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby("scientific_name")["day"].max()


def place_phenology(
    sightings: pd.DataFrame,
    effort: pd.DataFrame,
    *,
    place_cum_dd: pd.Series,
    projection: pd.DataFrame,
    as_of,  # noqa: ANN001 (date-like)
    record_span: tuple | None = None,
    traits: pd.DataFrame | None = None,
    evidence_days: int = 14,
    soon_days: int = 14,
    min_sightings: int = 10,
    min_years: int = 3,
    n_boot: int = 500,
    seed: int = 0,
) -> PlacePhenology:
    """The phenology of one place as of ``as_of`` (module docstring). ``record_span``: the first and last day the
    record covers (default: the first sighting and ``as_of``). Same inputs and ``seed``, same numbers."""
    if int(evidence_days) < 0:
        raise InvalidInput("evidence_days", evidence_days, "a whole number of days >= 0")
    when = pd.Timestamp(as_of).normalize()
    traits = load_traits() if traits is None else traits
    all_sp = as_species(sightings)
    all_sp["day"] = pd.DatetimeIndex(pd.to_datetime(all_sp["observed_on"])).normalize()
    all_sp = all_sp[all_sp["day"] <= when].reset_index(drop=True)
    first = all_sp["day"].min() if len(all_sp) else when
    span = tuple(pd.Timestamp(x).normalize() for x in (record_span or (first, when)))
    eff = iso_effort(effort, span)
    past = all_sp[all_sp["day"].dt.year < when.year].reset_index(drop=True)
    gaps = sampling_gaps(eff, span)
    w = effort_weights(past, eff, record_span=span)
    broods = detect_broods(past, w["w_pooled"], traits=traits, gaps=gaps)
    common = {"record_span": span, "gaps": gaps, "broods": broods, "place_cum_dd": place_cum_dd, "seed": seed}
    pooled = pooled_percentiles(past, eff, min_sightings=min_sightings, min_years=min_years, n_boot=n_boot, **common)
    windows = season_windows(pooled, projection, traits=traits, broods=broods) if len(pooled) else \
        pd.DataFrame(columns=list(WINDOW_COLUMNS))  # fmt: skip
    windows = censor_by_flight_months(windows, gaps, traits)
    yearly = yearly_percentiles(past, eff, n_boot=n_boot, **common)
    predictions = hindcast(yearly, place_cum_dd)
    skill = skill_summary(predictions) if len(predictions) else pd.DataFrame()
    precision = date_precision(skill) if len(skill) else \
        pd.DataFrame(columns=["scientific_name", "brood", "precision", "plus_minus_days", "reason"])  # fmt: skip
    this_year = all_sp[all_sp["day"].dt.year == when.year]
    statuses = _statuses(windows, projection, traits, when, this_year, int(evidence_days), int(soon_days))
    species = _species_table(all_sp, windows, statuses, min_sightings, min_years)
    weighted = past.assign(w_week=w["w_week"].to_numpy(), w_pooled=w["w_pooled"].to_numpy(),
                           brood=assign_broods(past, broods))  # fmt: skip
    sample = describe_sample(all_sp, past, gaps, span, when, w.attrs.get("without_effort", 0))
    return PlacePhenology(
        sightings=weighted, effort=eff, record_span=span, gaps=gaps, broods=broods, pooled=pooled, yearly=yearly,
        windows=windows, statuses=statuses, species=species, predictions=predictions, skill=skill,
        precision=precision, sample=sample,
    )  # fmt: skip


def gaps_this_year(gaps: pd.DataFrame, year: int) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The gaps that come back every year (never sampled, recurring) as spans of ``year``'s calendar, each taken
    from the latest season that has it."""
    if gaps is None or not len(gaps) or "kind" not in gaps:
        return []
    every = gaps[gaps["kind"].isin(["never sampled", "recurring gap"])]
    spans: dict[tuple[str, str], tuple[pd.Timestamp, pd.Timestamp]] = {}
    for a, b in zip(pd.DatetimeIndex(every["start"]), pd.DatetimeIndex(every["end"]), strict=True):
        shift = pd.DateOffset(years=int(year) - a.year)
        spans[(a.strftime("%m-%d"), b.strftime("%m-%d"))] = (a + shift, b + shift)
    return sorted(set(spans.values()))


def censor_by_flight_months(windows: pd.DataFrame, gaps: pd.DataFrame, traits: pd.DataFrame) -> pd.DataFrame:
    """A species' first onset and last end are also not known when the species table has it flying in weeks the
    record never samples beyond them: before the onset (an earlier brood or flight may go unseen, e.g. a spring
    brood in a sample without April) or after the end (a later one, e.g. a summer generation of adult
    overwinterers in a sample that stops in August). The estimate itself cannot show this: a flight cut by a gap
    every year looks complete. Real records (effort from all insects) have no such gaps; the offline sample has."""
    if not len(windows) or "year" not in windows.attrs:
        return windows
    year = int(windows.attrs["year"])
    spans = gaps_this_year(gaps, year)
    if not spans:
        return windows
    out = windows.copy()
    tr = match_traits(list(dict.fromkeys(out["scientific_name"])), traits).set_index("name")
    for name, g in out.groupby("scientific_name", sort=False):
        fm = flight_months(str(tr.loc[name, "flight_months"])) if name in tr.index else None
        if fm is None:
            continue
        first, last = g["start"].idxmin(), g["end"].idxmax()
        fly_from = pd.Timestamp(year, fm[0], 1)
        fly_to = pd.Timestamp(year, fm[1], 1) + pd.offsets.MonthEnd(0)
        checks = (
            (first, "start", "onset", fly_from, out.at[first, "start"] - pd.Timedelta(days=1), "before"),
            (last, "end", "end", out.at[last, "end"] + pd.Timedelta(days=1), fly_to, "after"),
        )
        for row, col, word, lo, hi, where in checks:
            if out.at[row, f"censored_{col}"] or pd.isna(lo) or pd.isna(hi) or lo > hi:
                continue
            hit = [(a, b) for a, b in spans if a <= hi and b >= lo]
            if not hit:
                continue
            a, b = hit[0]
            why = (f"{word}: the species table has it flying {_MONTH_NAMES[fm[0] - 1]}–{_MONTH_NAMES[fm[1] - 1]}, "
                   f"and the record never samples {a:%b} {a.day} – {b:%b} {b.day} {where} this {word}: a flight "
                   "there would go unseen")  # fmt: skip
            out.at[row, f"censored_{col}"] = True
            out.at[row, "censor_reason"] = "; ".join(x for x in (out.at[row, "censor_reason"], why) if x)
    return out


_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _statuses(windows: pd.DataFrame, projection: pd.DataFrame, traits: pd.DataFrame, when: pd.Timestamp,
              this_year: pd.DataFrame, evidence_days: int, soon_days: int) -> pd.DataFrame:  # fmt: skip
    """Model statuses (``species_status``), then the sightings of the last ``evidence_days``: seen beats
    expected."""
    model = (species_status(windows, when, projection=projection, traits=traits, soon_days=soon_days)
             if len(windows) else pd.DataFrame(columns=["scientific_name", "common_name", "status", "brood", "method",
                                                        "status_text"]))  # fmt: skip
    taxa = windows.drop_duplicates("scientific_name").set_index("scientific_name")["taxon_id"] if len(windows) else {}
    model["taxon_id"] = model["scientific_name"].map(taxa) if len(model) else pd.Series(dtype="Int64")
    last = _last_seen(this_year)
    recent = last[last >= when - pd.Timedelta(days=evidence_days)]
    seen_on = dict(zip(last.index, last, strict=True))
    model["last_seen"] = pd.to_datetime(pd.Series([seen_on.get(n, pd.NaT) for n in model["scientific_name"]],
                                                  index=model.index, dtype="object"))  # fmt: skip
    model["seen_recently"] = model["scientific_name"].isin(recent.index)
    flip = model["seen_recently"] & (model["status"] != "flying now")
    for i in np.flatnonzero(flip.to_numpy()):
        row = model.iloc[i]
        seen = pd.Timestamp(row["last_seen"])
        model.iloc[i, model.columns.get_loc("status_text")] = (
            f"flying now: seen here on {seen:%b} {seen.day} this year, although its usual window says otherwise "
            f"({row['status_text']})"
        )
        model.iloc[i, model.columns.get_loc("status")] = "flying now"
    extra = this_year[this_year["scientific_name"].isin(recent.index.difference(model["scientific_name"]))]
    rows = []
    for name, g in extra.groupby("scientific_name"):
        seen = g["day"].max()
        rows.append({
            "scientific_name": name, "common_name": g["common_name"].iloc[0], "taxon_id": g["taxon_id"].iloc[0],
            "status": "flying now", "brood": pd.NA, "method": "",
            "status_text": (f"flying now: seen here on {seen:%b} {seen.day} this year; too few past sightings here "
                            "for a window"),
            "last_seen": seen, "seen_recently": True,
        })  # fmt: skip
    out = pd.concat([model, pd.DataFrame(rows)], ignore_index=True) if rows else model
    out = out.reindex(columns=list(STATUS_COLUMNS))
    out["taxon_id"] = pd.to_numeric(out["taxon_id"], errors="coerce").astype("Int64")
    out["brood"] = pd.to_numeric(out["brood"], errors="coerce").astype("Int64")
    out["seen_recently"] = out["seen_recently"].fillna(False).astype(bool)
    out.attrs["as_of"] = when
    out.attrs["evidence_days"] = evidence_days
    return out.reset_index(drop=True)


def _species_table(all_sp: pd.DataFrame, windows: pd.DataFrame, statuses: pd.DataFrame, min_sightings: int,
                   min_years: int) -> pd.DataFrame:  # fmt: skip
    if all_sp.empty:
        return pd.DataFrame(columns=list(SPECIES_COLUMNS))
    past = all_sp[all_sp["day"].dt.year < all_sp["day"].max().year] if len(all_sp) else all_sp
    g = all_sp.groupby("scientific_name")
    out = pd.DataFrame({
        "common_name": g["common_name"].first(), "taxon_id": g["taxon_id"].first(), "n": g.size(),
        "n_years": past.groupby("scientific_name")["day"].apply(lambda d: d.dt.year.nunique()),
        "first_seen": g["day"].min(), "last_seen": g["day"].max(),
    }).reset_index()  # fmt: skip
    out["n_years"] = out["n_years"].fillna(0).astype(int)
    out["has_window"] = out["scientific_name"].isin(set(windows["scientific_name"]) if len(windows) else set())
    st = statuses.set_index("scientific_name")
    out["status"] = out["scientific_name"].map(st["status"]).fillna("")
    out["status_text"] = out["scientific_name"].map(st["status_text"]).fillna("")
    none = out["status"] == ""
    out.loc[none, "status_text"] = [
        f"no window: {n} sighting{'s' if n != 1 else ''} in {y} past season{'s' if y != 1 else ''} here (a window needs "
        f"at least {min_sightings} in at least {min_years} seasons, enough in each brood)"
        for n, y in zip(out.loc[none, "n"], out.loc[none, "n_years"], strict=True)
    ]
    return out[list(SPECIES_COLUMNS)].sort_values(["n", "scientific_name"], ascending=[False, True]).reset_index(drop=True)


def describe_sample(all_sp: pd.DataFrame, past: pd.DataFrame, gaps: pd.DataFrame, span: tuple, when: pd.Timestamp,
                    without_effort: int = 0) -> dict[str, Any]:  # fmt: skip
    """The sample behind the profiles in numbers: sightings and species (all, and past seasons), years, first and
    last day, sightings per season, the gaps by kind (and the stretches of the year never sampled), where the
    degree days came from (``dd_source`` counts) and the sightings without effort."""
    per_year = past["day"].dt.year.value_counts().sort_index() if len(past) else pd.Series(dtype=int)
    never = gaps[gaps["kind"] == "never sampled"] if len(gaps) else gaps
    stretches = sorted({(pd.Timestamp(s).strftime("%m-%d"), pd.Timestamp(e).strftime("%m-%d"))
                        for s, e in zip(never.get("start", []), never.get("end", []), strict=True)})  # fmt: skip
    dd = past["dd_source"].astype(str).str.split(":").str[0].value_counts().to_dict() if "dd_source" in past else {}
    return {
        "sightings": int(len(all_sp)),
        "species": int(all_sp["scientific_name"].nunique()) if len(all_sp) else 0,
        "past_sightings": int(len(past)),
        "past_species": int(past["scientific_name"].nunique()) if len(past) else 0,
        "this_season_sightings": int((all_sp["day"].dt.year == when.year).sum()) if len(all_sp) else 0,
        "first": span[0].date().isoformat(),
        "last": span[1].date().isoformat(),
        "seasons": int(per_year.size),
        "per_season": {int(k): int(v) for k, v in per_year.items()},
        "gaps": {str(k): int(v) for k, v in gaps["kind"].value_counts().items()} if len(gaps) else {},
        "never_sampled": stretches,
        "dd_source": {str(k): int(v) for k, v in dd.items()},
        "without_effort": int(without_effort),
        "cum_dd_missing": int(past["cum_dd"].isna().sum()) if "cum_dd" in past else 0,
    }


def species_flying(phenology: PlacePhenology, dates, *, half_width_days: int = 3,  # noqa: ANN001 (date-likes)
                   ahead_days: int = 7) -> pd.Series:  # fmt: skip
    """How many species are expected flying around each of ``dates``: those with a window (any brood) overlapping
    ``day ± half_width_days``, and those seen in the last days (``seen_recently``) from the as-of day to
    ``ahead_days`` after it. Index: the dates (naive days). Feeds the viewing index."""
    days = pd.DatetimeIndex(pd.to_datetime(pd.Index(dates))).normalize()
    if days.tz is not None:
        days = days.tz_localize(None)
    lo = (days - pd.Timedelta(days=half_width_days)).to_numpy()[:, None]
    hi = (days + pd.Timedelta(days=half_width_days)).to_numpy()[:, None]
    w = phenology.windows
    names: list[str] = []
    starts: list[Any] = []
    ends: list[Any] = []
    if len(w):
        ok = w["start"].notna() & w["end"].notna()
        names += w.loc[ok, "scientific_name"].tolist()
        starts += list(pd.DatetimeIndex(w.loc[ok, "start"]))
        ends += list(pd.DatetimeIndex(w.loc[ok, "end"]))
    st = phenology.statuses
    if len(st):
        when = pd.Timestamp(st.attrs.get("as_of", days.min())).normalize()
        seen = st[st["seen_recently"]]
        names += seen["scientific_name"].tolist()
        starts += [when] * len(seen)
        ends += [when + pd.Timedelta(days=ahead_days)] * len(seen)
    if not names:
        return pd.Series(np.zeros(len(days), dtype=int), index=days, name="species_flying")
    s = pd.DatetimeIndex(starts).to_numpy()[None, :]
    e = pd.DatetimeIndex(ends).to_numpy()[None, :]
    overlap = (hi >= s) & (lo <= e)
    codes = pd.factorize(pd.Index(names))[0]
    per_species = np.zeros((len(days), codes.max() + 1), bool)
    for j in range(codes.max() + 1):
        per_species[:, j] = overlap[:, codes == j].any(axis=1)
    return pd.Series(per_species.sum(axis=1), index=days, name="species_flying")


__all__ = ["LIMITATIONS", "PlacePhenology", "as_species", "describe_sample", "iso_effort", "place_phenology", "species_flying",
           "species_name"]  # fmt: skip
