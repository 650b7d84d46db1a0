"""The species table: biology the sightings cannot show (broods, overwintering stage, migration, flight months).

Look here to read ``species_traits.csv`` (``load_traits``), to find a species' row from any name the data
uses (``match_traits``: subspecies fall back to their species, synonyms in ``also_known_as`` are matched), and
for the rules built on it (``window_method``, ``flight_months``, ``in_flight_months``). The table's columns
and sources are described in ``README.md`` beside it.

Rules:
- adult overwinterers (``overwinter_stage == "adult"``: Mourning Cloak, commas, tortoiseshells) and migrants
  (``migrant_status`` mentions "migrant", "colonist" or "stray") get a **calendar** window: their flights are
  set by hibernation, arrival and weather, not by degree days accumulated since 1 January;
- every other species gets a **degree-day** window; a species missing from the table does too, marked so;
- ``voltinism`` other than univoltine means several broods: ``broods`` splits them where the record shows
  them, and otherwise the window says that it spans several broods;
- a species is never "season over" while its usual flight months (``flight_months``) last (``windows``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from butterfly_lib.errors import InvalidInput

TRAITS_CSV = Path(__file__).with_name("species_traits.csv")
TRAIT_COLUMNS = (
    "scientific_name", "common_name", "also_known_as", "inat_taxon_id", "voltinism", "overwinter_stage",
    "migrant_status", "flight_months", "note", "sources", "checked", "uncertain",
)  # fmt: skip
VOLTINISM = ("univoltine", "bivoltine", "multivoltine", "variable")
OVERWINTER = ("egg", "larva", "pupa", "adult", "none")
SOURCES = {
    "P02": "Pyle, R.M. (2002) The Butterflies of Cascadia. Seattle Audubon Society.",
    "W05": "Warren, A.D. (2005) Butterflies of Oregon: their taxonomy, distribution and biology. C.P. Gillette "
    "Museum, Colorado State University (and the Butterflies of Oregon species accounts).",
    "S86": "Scott, J.A. (1986) The Butterflies of North America. Stanford University Press.",
    "JN11": "James, D.G. & Nunnallee, D. (2011) Life Histories of Cascadia Butterflies. Oregon State "
    "University Press.",
}
SHORT = {"P02": "Pyle 2002", "W05": "Warren 2005", "S86": "Scott 1986", "JN11": "James & Nunnallee 2011"}
METHODS = ("degree days", "calendar")
_MIGRANT_WORDS = ("migrant", "colonist", "stray")


@lru_cache(maxsize=4)
def _read(path: str) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in TRAIT_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput("species traits", list(frame.columns), f"columns {list(TRAIT_COLUMNS)}")
    frame["inat_taxon_id"] = pd.to_numeric(frame["inat_taxon_id"].replace("", np.nan)).astype("Int64")
    for col, allowed in (("voltinism", VOLTINISM), ("overwinter_stage", OVERWINTER)):
        bad = frame[(frame[col] != "") & ~frame[col].isin(allowed)]
        if len(bad):
            raise InvalidInput(f"species traits {col}", bad[col].iloc[0], " / ".join(allowed) + " or empty")
    for months in frame["flight_months"]:
        if months:
            _parse_months(months)
    return frame


def load_traits(path: str | Path | None = None) -> pd.DataFrame:
    """The species table (``TRAIT_COLUMNS``; empty string where a value is not known), one row per species."""
    return _read(str(path or TRAITS_CSV)).copy()


def _parse_months(text: str) -> tuple[int, int]:
    try:
        a, b = (int(p) for p in str(text).split("-"))
    except ValueError:
        raise InvalidInput("flight_months", text, "'M-M', e.g. '4-7' (months 1..12)") from None
    if not (1 <= a <= 12 and 1 <= b <= 12 and a <= b):
        raise InvalidInput("flight_months", text, "'M-M' with 1 <= first <= last <= 12")
    return a, b


def flight_months(text: str) -> tuple[int, int] | None:
    """``(first, last)`` month of a ``flight_months`` value, or None where it is not known."""
    return _parse_months(text) if text else None


def in_flight_months(text: str, day) -> bool | None:  # noqa: ANN001 (date-like)
    """Whether ``day`` falls in the months of ``flight_months`` (None where they are not known)."""
    fm = flight_months(text)
    if fm is None:
        return None
    m = pd.Timestamp(day).month
    return fm[0] <= m <= fm[1]


def _binomial(name: str) -> str:
    return " ".join(str(name).split()[:2])


def match_traits(names, traits: pd.DataFrame | None = None) -> pd.DataFrame:  # noqa: ANN001 (iterable)
    """One row per name (in order) with the table's columns plus ``name`` (as given) and ``matched`` (``exact``,
    ``synonym``, ``species`` (a subspecies matched to its species) or ``""`` (not in the table: empty values))."""
    t = load_traits() if traits is None else traits
    by_name = {n: i for i, n in enumerate(t["scientific_name"])}
    by_syn = {}
    for i, syns in enumerate(t["also_known_as"]):
        for s in filter(None, (x.strip() for x in str(syns).split(";"))):
            by_syn.setdefault(s, i)
    rows, how = [], []
    for name in names:
        name = str(name)
        for key, kind in ((name, "exact"), (_binomial(name), "species")):
            if key in by_name:
                rows.append(by_name[key])
                how.append(kind)
                break
            if key in by_syn:
                rows.append(by_syn[key])
                how.append("synonym")
                break
        else:
            rows.append(-1)
            how.append("")
    empty = pd.DataFrame([{c: "" for c in TRAIT_COLUMNS}])
    empty["inat_taxon_id"] = pd.array([pd.NA], dtype="Int64")
    padded = pd.concat([t, empty], ignore_index=True)
    out = padded.iloc[[r if r >= 0 else len(t) for r in rows]].reset_index(drop=True)
    out.insert(0, "name", [str(n) for n in names])
    out["matched"] = how
    return out


def window_method(row) -> str:  # noqa: ANN001 (a mapping or Series with the table's columns)
    """``"calendar"`` for adult overwinterers and migrants, ``"degree days"`` otherwise (module docstring)."""
    stage = str(row.get("overwinter_stage", "") or "")
    migrant = str(row.get("migrant_status", "") or "").lower()
    if stage == "adult" or any(w in migrant for w in _MIGRANT_WORDS):
        return "calendar"
    return "degree days"


def several_broods(row) -> bool:  # noqa: ANN001
    """Whether the table says the species has (or can have) more than one brood a year here."""
    return str(row.get("voltinism", "") or "") in ("bivoltine", "multivoltine", "variable")


def source_text(codes: str, *, full: bool = False) -> str:
    """The references of a ``sources`` value (``"P02;JN11"``): short ("Pyle 2002; James & Nunnallee 2011")
    or ``full``."""
    table = SOURCES if full else SHORT
    sep = " " if full else "; "
    return sep.join(table.get(c.strip(), c.strip()) for c in str(codes).split(";") if c.strip())
