"""Recording the bundled offline snapshot: fakes of the APIs over the real recordings, the adapter that serves
them while recording, and the export to ``data/snapshot/``.

Look here to rebuild or extend the snapshot (``tools/build_snapshot.py``, ``make snapshot``). Modules:
``recordings`` (the real input tables and what is derived from them), ``fake_inaturalist`` /
``fake_open_meteo`` / ``fake_noaa`` (API semantics over those tables), ``responders`` (the ``requests`` adapter
that answers the real hosts in-process), ``export`` (cache -> ``data/snapshot/`` with ``manifest.json`` and
``PROVENANCE.md``). The product only *reads* the snapshot (``butterfly_lib.http.snapshot``).

``SNAPSHOT_AS_OF`` (2026-06-13) is the mid-June day nearest 2026-06-15 on which the earlier site recorded both a
16-day forecast and 15-minute sunshine; it recorded none on 06-14 .. 06-18.
"""

from __future__ import annotations

from datetime import date

SNAPSHOT_AS_OF = date(2026, 6, 13)
