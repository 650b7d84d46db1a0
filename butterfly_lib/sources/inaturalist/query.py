"""The search parameters every observation query shares: place, taxon, quality grades, verifiable only.

Look here to see exactly which filters go out with a species-count, observation or histogram request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from butterfly_lib.sources.inaturalist import validate
from butterfly_lib.sources.inaturalist.places import place_params


def search_params(
    where: object,
    taxon_id: object = validate.BUTTERFLIES,
    quality_grades: str | Iterable[str] = validate.DEFAULT_QUALITY_GRADES,
) -> dict[str, Any]:
    """Validated filters; raises ``InvalidInput`` before any request."""
    return {
        **place_params(where),
        "taxon_id": validate.taxon_id(taxon_id),
        "quality_grade": list(validate.quality_grades(quality_grades)),
        "verifiable": True,
    }
