"""The bundled offline snapshot: real Portland recordings re-encoded as each API's own responses.

Look here to seed the request cache for offline runs (``seed_cache``), to see the snapshot's date
(``SNAPSHOT_AS_OF``: 2026-06-13, the mid-June day nearest 2026-06-15 on which the earlier site recorded both
a 16-day forecast and 15-minute sunshine; it recorded none on 06-14 .. 06-18), or to rebuild it
(``scripts/build_snapshot.py``, ``make snapshot``). Modules: ``recordings`` (the real input tables and what is
derived from them), ``fake_inaturalist`` / ``fake_open_meteo`` / ``fake_noaa`` (API semantics over those tables),
``responders`` (the ``requests`` adapter that serves them while recording), ``export`` (cache -> ``data/snapshot/``
with ``manifest.json`` and ``PROVENANCE.md``), ``seed`` (``data/snapshot/`` -> cache).

Public names: ``SNAPSHOT_AS_OF``, ``seed_cache``, ``snapshot_dir``.
"""

from __future__ import annotations

from datetime import date

SNAPSHOT_AS_OF = date(2026, 6, 13)

from butterfly_lib.snapshot.seed import seed_cache, snapshot_dir  # noqa: E402

__all__ = ["SNAPSHOT_AS_OF", "seed_cache", "snapshot_dir"]
