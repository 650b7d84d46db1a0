"""The species table shipped with ``phenology``: complete for the bundled data, valid, sourced, and its rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from butterfly_lib.analysis.phenology import load_traits, match_traits, window_method
from butterfly_lib.analysis.phenology.traits import OVERWINTER, SHORT, TRAITS_CSV, VOLTINISM, flight_months

ROOT = Path(__file__).resolve().parent.parent


def test_every_species_of_the_bundled_data_has_a_row():
    names = set(pd.read_csv(ROOT / "data/upstream-site/sightings.csv")["scientific_name"])
    names |= set(pd.read_csv(ROOT / "data/upstream-site/species_counts.csv")["scientific_name"])
    m = match_traits(sorted(names))
    assert (m["matched"] != "").all(), m.loc[m["matched"] == "", "name"].tolist()


def test_values_are_allowed_sourced_and_unsure_ones_are_empty_and_listed():
    t = load_traits()
    assert t["scientific_name"].is_unique
    assert set(t["voltinism"]) <= set(VOLTINISM) | {""}
    assert set(t["overwinter_stage"]) <= set(OVERWINTER) | {""}
    for codes in t["sources"]:
        assert codes and all(c in SHORT for c in codes.split(";"))
    for _, r in t.iterrows():
        for col in filter(None, r["uncertain"].split(";")):
            assert col in t.columns
        if r["overwinter_stage"] == "":
            assert "overwinter_stage" in r["uncertain"] or r["migrant_status"], r["scientific_name"]
    assert (TRAITS_CSV.parent / "README.md").exists()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("Nymphalis antiopa", "calendar"),  # Mourning Cloak: adult overwinterer
        ("Polygonia satyrus", "calendar"),
        ("Nymphalis californica", "calendar"),
        ("Vanessa cardui", "calendar"),  # Painted Lady: migrant
        ("Vanessa atalanta", "calendar"),
        ("Papilio rutulus", "degree days"),
        ("Celastrina echo echo", "degree days"),  # a subspecies finds its species
        ("Everes comyntas", "degree days"),  # a synonym
        ("Nonexistent species", "degree days"),
    ],
)
def test_window_method_rules(name, method):
    row = match_traits([name]).iloc[0]
    assert window_method(row) == method


def test_migrants_say_they_do_not_overwinter_here_and_flight_months_parse():
    t = load_traits().set_index("scientific_name")
    assert "does not overwinter here" in t.loc["Vanessa cardui", "migrant_status"]
    assert t.loc["Papilio rutulus", "flight_months"] == "4-8"
    assert "butterfliesoforegon.com/papilio-rutulus" in t.loc["Papilio rutulus", "checked"]
    assert flight_months(t.loc["Nymphalis antiopa", "flight_months"]) == (2, 10)
    assert flight_months("") is None
