"""Butterfly Planner: fetch public data, compute the butterfly season, present it.

Look here for the package version and the map of the package. Imports go one way, in the order a reader should
meet the modules (``tests/test_architecture.py`` checks it):

``settings`` → ``http`` → ``sources`` → ``analysis`` → ``pages`` → ``presentation`` → ``notebook`` → ``site``/``cli``

- ``settings`` (with ``errors``, ``place``, ``provenance``, ``units``): the one frozen ``Settings`` object built
  from defaults, ``site.yml``, the environment and the command line; the only module that reads the environment.
- ``http``: the one cached HTTP session (tiered expiry, retries, rate limits, offline mode, request log), the
  ``fetch`` every source calls, and seeding the cache from the bundled snapshot.
- ``sources``: one sub-package per external source (iNaturalist, Open-Meteo, NOAA): fetch + parse.
- ``analysis``: pure computations (degree days, normals, emergence, viewing index); no I/O.
- ``pages``: one module per page, ``build(ctx) -> result``; products several pages share, computed once a run.
- ``presentation``: figures, maps and HTML tables from page results; no fetching.
- ``notebook``: what the page notebooks call first (``open_page``).
- ``site`` and ``cli``: the runner (one kernel per run), modes, the nbconvert fallback, the ``butterfly`` command.

Public names: ``__version__``, ``Place``, ``Provenance``, ``Settings``, ``load_settings``.
"""

from butterfly_lib.place import Place
from butterfly_lib.provenance import Provenance
from butterfly_lib.settings import VERSION as __version__
from butterfly_lib.settings import Settings, load_settings

__all__ = ["Place", "Provenance", "Settings", "__version__", "load_settings"]
