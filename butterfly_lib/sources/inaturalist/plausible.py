"""Plausibility of iNaturalist answers, checked inside the parsers, so before anything is cached.

Look here to see why an iNaturalist answer was refused as implausible. The record parsers in ``parse`` call
these on the frames they build; they run as ``fetch``'s ``check``, so a refused answer is never stored (a good
cached copy is served stale with a notice, or a clear ``SourceError`` is raised). Refused:

- a coordinate outside latitude -90..90 or longitude -180..180, or a negative positional accuracy;
- a count below zero (species counts; the histogram's own check refuses negative weekly counts);
- an id (observation or taxon) that is not positive, or that appears twice in one answer: a page that repeats a
  record would be counted twice, and one that merged two would lose one, so neither is silently collapsed.
"""

from __future__ import annotations

import pandas as pd

from butterfly_lib.errors import SourceError

SOURCE = "inaturalist"


def _fail(url: str, what: str) -> SourceError:
    return SourceError(
        SOURCE, url, f"implausible data: {what}", "Refusing the whole answer; it was not cached"
    )


def check_ids(frame: pd.DataFrame, column: str, what: str, url: str) -> None:
    ids = frame[column].dropna()
    if (ids <= 0).any():
        raise _fail(url, f"{what} {column} {ids[ids <= 0].iloc[0]} is not a positive id")
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise _fail(url, f"{what} {column} {repeated.iloc[0]} appears more than once in one answer")


def check_observations(frame: pd.DataFrame, url: str) -> None:
    check_ids(frame, "id", "observation", url)
    for column, limit in (("latitude", 90.0), ("longitude", 180.0)):
        bad = frame[column].abs() > limit
        if bad.any():
            row = frame[bad].iloc[0]
            raise _fail(
                url, f"observation {row['id']} has {column} {row[column]:g}, outside -{limit:g}..{limit:g}"
            )
    bad = frame["positional_accuracy_m"] < 0
    if bad.any():
        row = frame[bad].iloc[0]
        raise _fail(
            url,
            f"observation {row['id']} has a negative positional accuracy ({row['positional_accuracy_m']:g} m)",
        )


def check_species_counts(frame: pd.DataFrame, url: str) -> None:
    check_ids(frame, "taxon_id", "species count", url)
    bad = frame["count"] < 0
    if bad.any():
        row = frame[bad].iloc[0]
        raise _fail(url, f"taxon {row['taxon_id']} has a count of {row['count']}, below zero")


def check_taxa(frame: pd.DataFrame, url: str) -> None:
    check_ids(frame, "taxon_id", "taxon", url)
