"""Where to search: a ``Place`` (point + radius), a ``BBox`` or an iNaturalist place id, as query parameters.

Look here to see how a place becomes ``lat``/``lng``/``radius`` (km), ``swlat``/``swlng``/``nelat``/``nelng`` or
``place_id``. A ``Place`` with ``inat_place_id`` set is searched by that id (iNaturalist's own boundary);
otherwise by its point and radius.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from butterfly_lib.errors import InvalidInput
from butterfly_lib.place import Place


@dataclass(frozen=True)
class BBox:
    """A latitude/longitude box, south-west to north-east corner, in degrees (not across the antimeridian)."""

    swlat: float
    swlng: float
    nelat: float
    nelng: float

    def __post_init__(self) -> None:
        for name, low, high in (
            ("swlat", -90, 90),
            ("nelat", -90, 90),
            ("swlng", -180, 180),
            ("nelng", -180, 180),
        ):
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not math.isfinite(v)
                or not low <= v <= high
            ):
                raise InvalidInput(f"bbox {name}", v, f"a number in [{low}, {high}]")
        if self.swlat >= self.nelat:
            raise InvalidInput("bbox", self, "swlat below nelat")
        if self.swlng >= self.nelng:
            raise InvalidInput(
                "bbox", self, "swlng west of nelng (boxes across the antimeridian are not supported)"
            )


@dataclass(frozen=True)
class InatPlace:
    """An iNaturalist place id (see https://www.inaturalist.org/places)."""

    place_id: int

    def __post_init__(self) -> None:
        if isinstance(self.place_id, bool) or not isinstance(self.place_id, int) or self.place_id <= 0:
            raise InvalidInput("place_id", self.place_id, "a positive whole number")


def place_params(where: object) -> dict[str, float | int]:
    """Query parameters selecting ``where``; raises ``InvalidInput`` for anything else."""
    if isinstance(where, Place):
        if where.inat_place_id:
            return {"place_id": where.inat_place_id}
        return {"lat": round(where.latitude, 6), "lng": round(where.longitude, 6), "radius": where.radius_km}
    if isinstance(where, BBox):
        return {"swlat": where.swlat, "swlng": where.swlng, "nelat": where.nelat, "nelng": where.nelng}
    if isinstance(where, InatPlace):
        return {"place_id": where.place_id}
    if isinstance(where, int) and not isinstance(where, bool):
        return {"place_id": InatPlace(where).place_id}
    raise InvalidInput(
        "place", where, "a Place (point + radius), a BBox, an InatPlace or an iNaturalist place id"
    )


def place_label(where: object) -> str:
    """A short human label for provenance."""
    if isinstance(where, Place):
        return where.name
    if isinstance(where, BBox):
        return f"box {where.swlat},{where.swlng} to {where.nelat},{where.nelng}"
    if isinstance(where, InatPlace):
        return f"iNaturalist place {where.place_id}"
    return f"iNaturalist place {where}"
