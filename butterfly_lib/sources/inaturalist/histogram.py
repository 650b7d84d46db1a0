"""Seasonality (``/observations/histogram``): observations of a taxon in a place per week of the year.

Look here for the seasonality sparklines and flight-period shapes. One request, all years, observed dates
(``date_field=observed``, ``interval=week_of_year``), cached for a week (``Tier.SEASONAL``): a week of new
sightings barely moves counts summed over every year, so a daily refresh does not ask again.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from butterfly_lib.errors import SourceError
from butterfly_lib.http import Tier
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.provenance import attach
from butterfly_lib.sources.inaturalist import client, parse, validate
from butterfly_lib.sources.inaturalist.places import place_label
from butterfly_lib.sources.inaturalist.query import search_params

PATH = "observations/histogram"


def seasonality(
    where: object,
    taxon_id: int | str = validate.BUTTERFLIES,
    *,
    quality_grades: str | Iterable[str] = validate.DEFAULT_QUALITY_GRADES,
    session: ButterflySession,
) -> pd.DataFrame:
    """Columns: week (1..53, iNaturalist's week of the year), count (observations, all years; Int64)."""
    params = {
        **search_params(where, taxon_id, quality_grades),
        "interval": "week_of_year",
        "date_field": "observed",
    }
    fetched = client.get(
        PATH,
        params,
        tier=Tier.SEASONAL,
        check=client.envelope_check(
            session,
            PATH, params, dict, parse=lambda results, url: _weeks({"results": results}, url)
        ),
        location=place_label(where),
        session=session,
    )
    return attach(_weeks(fetched.data, fetched.url), fetched.provenance)


def _weeks(data: dict, url: str) -> pd.DataFrame:
    frame = parse.histogram_frame(data, "week_of_year", "week", url)
    if not frame["week"].between(1, 53).all():
        raise SourceError(client.SOURCE, url, f"weeks outside 1..53: {frame['week'].tolist()[:5]}")
    return frame

