"""External data sources: one subpackage per source, each fetching through ``butterfly_lib.http.fetch`` and
parsing into tidy pandas/xarray objects that carry provenance.

Look here to find where a dataset comes from. Each subpackage has a README.md with the endpoints, parameters,
limits, gotchas and a truncated real example response:

- ``inaturalist``: species counts, observations (sightings), week-of-year histograms and taxa from iNaturalist API v1.
- ``open_meteo``: forecast (16 days, 15-minute sunshine), archive (decades of daily weather), ensemble members.
- ``noaa``: NOAA NCEI GHCN-Daily station summaries (TMAX, TMIN, PRCP).

Nothing is imported here on purpose: import the subpackage you need (``from butterfly_lib.sources import
inaturalist``), so using one source never loads the others. Sources never import analysis or presentation.
"""
