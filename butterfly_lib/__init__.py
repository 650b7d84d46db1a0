"""Butterfly Planner: fetch public data, compute the butterfly season, present it.

Look here for the package version and the map of the package. One direction of dependency:

- ``butterfly_lib.config``, ``place``, ``provenance``, ``errors``: settings, the validated ``Place``,
  the provenance record every dataset carries, the error types.
- ``butterfly_lib.http``: the one cached HTTP session (tiered expiry, retries, rate limits, offline mode,
  request log). Every external call goes through ``butterfly_lib.http.fetch``.
- ``butterfly_lib.sources``: one sub-package per external source (iNaturalist, Open-Meteo, NOAA): fetch + parse.
- ``butterfly_lib.analysis``: pure computations (degree days, normals, emergence, viewing index).
- ``butterfly_lib.presentation``: figures, maps and HTML tables built from analysis results.
- ``butterfly_lib.cli``: the ``butterfly`` command.

Public names: ``__version__``, ``Place``, ``PORTLAND``, ``Provenance``.
"""

from butterfly_lib.place import PORTLAND, Place
from butterfly_lib.provenance import Provenance

__version__ = "0.1.0"

__all__ = ["PORTLAND", "Place", "Provenance", "__version__"]
