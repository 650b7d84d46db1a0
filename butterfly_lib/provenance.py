"""``Provenance``: where a dataset came from. Every frame a source returns carries one.

Look here to read or attach provenance. A source puts it on ``frame.attrs["provenance"]`` (pandas) or
``dataset.attrs["provenance"]`` (xarray); ``provenance_of`` reads it back; pages render it with
``Provenance.to_dict``. ``kind`` says what the numbers are: ``observed`` (as the source published them),
``derived`` (computed from real data, method in ``notice``), ``simulated`` (invented with a fixed seed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

Kind = Literal["observed", "derived", "simulated"]


@dataclass(frozen=True)
class Provenance:
    source: str
    url: str
    fetched_at: datetime | None
    expires: datetime | None
    from_cache: bool
    location: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    stale: bool = False
    offline: bool = False
    kind: Kind = "observed"
    notice: str = ""

    def with_(self, **changes: Any) -> Provenance:
        return replace(self, **changes)

    @property
    def status(self) -> str:
        """One word for pages: live, cached, stale or offline."""
        if self.stale:
            return "stale"
        if self.offline:
            return "offline"
        return "cached" if self.from_cache else "live"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("fetched_at", "expires"):
            d[k] = d[k].isoformat() if d[k] else None
        d["status"] = self.status
        return d


def attach(obj: Any, prov: Provenance) -> Any:
    """Set ``obj.attrs['provenance']`` (pandas or xarray) and return ``obj``."""
    obj.attrs["provenance"] = prov
    return obj


def provenance_of(obj: Any) -> Provenance | None:
    """The ``Provenance`` attached to a frame or dataset, or None."""
    attrs = getattr(obj, "attrs", None) or {}
    prov = attrs.get("provenance")
    return prov if isinstance(prov, Provenance) else None


def combine(
    provs: Sequence[Provenance], *, notice: str = "", parameters: Mapping[str, Any] | None = None
) -> Provenance:
    """One provenance for a dataset built from several requests: the first request's, with every URL listed
    (and the number of requests) when there are several, cached only if all were, stale or offline if any was,
    the earliest fetch time and expiry, all notices joined, and the least direct kind (simulated, then derived,
    then observed)."""
    if not provs:
        raise ValueError("no provenance to combine")
    first = provs[0]
    if len(provs) == 1 and not notice and not parameters:
        return first
    fetched = [p.fetched_at for p in provs if p.fetched_at is not None]
    expires = [p.expires for p in provs if p.expires is not None]
    notices = list(dict.fromkeys(n for n in [*(p.notice for p in provs), notice] if n))
    kinds = {p.kind for p in provs}
    kind: Kind = "simulated" if "simulated" in kinds else "derived" if "derived" in kinds else "observed"
    params: dict[str, Any] = {**first.parameters, **(parameters or {})}
    if len(provs) > 1:
        params["requests"] = len(provs)
        params["urls"] = [p.url for p in provs]
    return first.with_(
        fetched_at=min(fetched) if fetched else None,
        expires=min(expires) if expires else None,
        from_cache=all(p.from_cache for p in provs),
        stale=any(p.stale for p in provs),
        offline=any(p.offline for p in provs),
        kind=kind,
        notice="; ".join(notices),
        parameters=params,
    )
