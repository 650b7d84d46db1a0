"""The snapshot's NOAA NCEI Access Data Service (``/access/services/data/v1``), daily summaries only.

Look here for what a NOAA request is answered with: the rows of the bundled Portland airport record
(``data/noaa/``, station USW00024229) between ``startDate`` and ``endDate``, with the requested ``dataTypes``
columns, in the service's CSV layout (every field quoted). Days after the record's end (2024-12-09) are absent,
never filled. Other stations, datasets or formats: 404 naming them.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from tools.snapshot import recordings as rec
from tools.snapshot.answer import Answer, NotCovered, query

PARAMS = frozenset({"dataset", "stations", "dataTypes", "startDate", "endDate", "units", "includeStationName",
                    "format", "includeAttributes"})  # fmt: skip
DATA_TYPES = ("PRCP", "SNOW", "TMAX", "TMIN")


def daily_summaries(q: str) -> Answer:
    p = query(q, PARAMS, "noaa access/services/data/v1")
    wanted = {
        "dataset": "daily-summaries",
        "stations": rec.NOAA_STATION,
        "units": "standard",
        "format": "csv",
    }
    for key, value in wanted.items():
        if p.get(key) != value:
            raise NotCovered(f"NOAA {key}={p.get(key)!r}; the snapshot holds {key}={value} only")
    if p.get("includeAttributes", "false") != "false":
        raise NotCovered("includeAttributes=true (attributes were not recorded)")
    types = [t for t in p.get("dataTypes", ",".join(DATA_TYPES)).split(",") if t]
    bad = [t for t in types if t not in DATA_TYPES]
    if bad:
        raise NotCovered(f"NOAA dataTypes {bad}; the record holds {list(DATA_TYPES)}")
    try:
        start, end = date.fromisoformat(p["startDate"][:10]), date.fromisoformat(p["endDate"][:10])
    except (KeyError, ValueError):
        raise NotCovered("NOAA request without valid startDate/endDate", 400) from None
    t = rec.noaa_station()
    t = t[(t["day"] >= start) & (t["day"] <= end)]
    head = ["STATION", "NAME"] if p.get("includeStationName", "false") == "true" else ["STATION"]
    cols = [*head, "DATE", *types]
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(
        [cols, *t[cols].itertuples(index=False)]
    )
    last = rec.noaa_station()["day"].max()
    notice = f"bundled NOAA record of {rec.NOAA_STATION}"
    if end > last:
        notice += f"; it ends {last}: later days are absent (not filled)"
    return Answer(buf.getvalue().encode(), content_type="text/csv", notice=notice, inputs=[rec.NOAA_FILE])
