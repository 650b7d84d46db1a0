"""iNaturalist API v1: species counts, observations, week-of-year histograms and taxa, as tidy frames.

Look here for butterfly sightings. Every request goes through ``butterfly_lib.http.fetch`` (source
``"inaturalist"``, base URL ``session.url("inaturalist", path)`` from the settings); every frame carries provenance. See README.md
for endpoints, limits and gotchas.

Public names:

- ``species_counts(where, window, *, taxon_id, quality_grades, with_family)``, ``species_this_week(where, as_of,
  days_back, days_ahead)``, ``species_this_year(where, as_of)``
- ``observations(where, window, *, taxon_id, quality_grades, max_results)``, ``sightings_this_week(...)``
- ``seasonality(where, taxon_id)``: observations per week of the year, all years
- ``taxa(ids, *, with_family, missing)``, ``taxon(id)``, ``TaxonNotFound``
- the observation record of a place (submodules, imported on demand: they bring DuckDB): ``record.update_record``,
  ``record.sightings``, ``effort.observer_effort``, ``effort.week_of``; the store is ``store.RecordStore``
- windows: ``DateRange``, ``AcrossYears``, ``this_year``, ``this_week``; places: ``BBox``, ``InatPlace``
  (or a ``butterfly_lib.place.Place``)
"""

from butterfly_lib.sources.inaturalist.histogram import seasonality
from butterfly_lib.sources.inaturalist.observations import observations, sightings_this_week
from butterfly_lib.sources.inaturalist.places import BBox, InatPlace
from butterfly_lib.sources.inaturalist.species_counts import (
    species_counts,
    species_this_week,
    species_this_year,
)
from butterfly_lib.sources.inaturalist.taxa import TaxonNotFound, taxa, taxon
from butterfly_lib.sources.inaturalist.windows import AcrossYears, DateRange, this_week, this_year

__all__ = [
    "AcrossYears",
    "BBox",
    "DateRange",
    "InatPlace",
    "TaxonNotFound",
    "observations",
    "seasonality",
    "sightings_this_week",
    "species_counts",
    "species_this_week",
    "species_this_year",
    "taxa",
    "taxon",
    "this_week",
    "this_year",
]
