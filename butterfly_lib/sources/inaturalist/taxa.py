"""Taxa by id (``/taxa/{id,id,...}``): scientific and common name, rank, default photo, and family.

Look here to name or group taxa. Ids go 30 to a request (the endpoint's page size), cached for 90 days
(``Tier.REFERENCE``). The family is found in the ancestry: the record's ``ancestors`` list when the API includes
it, otherwise its ``ancestor_ids`` are looked up in a second batched ``/taxa`` call (also cached 90 days), and the
ancestor whose rank is ``family`` names it. Ids the API does not know raise ``TaxonNotFound`` (or are dropped and
listed in the provenance notice with ``missing="drop"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from butterfly_lib.errors import InvalidInput, SourceError
from butterfly_lib.http import Fetched, Tier
from butterfly_lib.http.session import ButterflySession
from butterfly_lib.provenance import attach, combine
from butterfly_lib.sources.inaturalist import client, parse, validate

BATCH = 30
FAMILY_RANK_LEVEL = 30  # iNaturalist rank_level of a family


class TaxonNotFound(SourceError):
    """iNaturalist answered, but without the taxon ids asked for."""


def fetch_taxa_records(
    ids: list[int], session: ButterflySession
) -> tuple[list[dict[str, Any]], list[Fetched]]:
    """Raw taxon records for ``ids`` (batched); the answers' provenance in the second element."""
    records: list[dict[str, Any]] = []
    fetches: list[Fetched] = []
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        path = "taxa/" + ",".join(str(i) for i in chunk)
        check = client.envelope_check(session, path, None, parse=parse.taxa_frame)
        fetched = client.get(path, None, tier=Tier.REFERENCE, check=check, session=session)
        fetches.append(fetched)
        records.extend(fetched.data["results"])
    return records, fetches


def families(
    records: Iterable[dict[str, Any]], session: ButterflySession
) -> tuple[dict[int, tuple[int | None, str | None, str | None]], list[Fetched]]:
    """taxon id -> (family id, family name, family common name) for taxon records carrying ``ancestor_ids``
    (and maybe ``ancestors``); unknown ranks are looked up in one batched call."""
    records = list(records)
    known: dict[int, dict[str, Any]] = {}
    for rec in records:
        if isinstance(rec.get("id"), int):
            known[rec["id"]] = rec
        for anc in rec.get("ancestors") or []:
            if isinstance(anc, dict) and isinstance(anc.get("id"), int) and "rank" in anc:
                known[anc["id"]] = anc

    def chain(rec: dict[str, Any]) -> list[int | None]:
        return [a for a in (rec.get("ancestor_ids") or []) if isinstance(a, int)] + [rec.get("id")]

    def family_of(rec: dict[str, Any]) -> dict[str, Any] | None:
        return next((known[a] for a in chain(rec) if a in known and known[a].get("rank") == "family"), None)

    # only taxa below family rank (rank_level < 30) whose family is not yet known need their ancestors looked up
    unresolved = [
        r
        for r in records
        if family_of(r) is None
        and not (isinstance(r.get("rank_level"), int | float) and r["rank_level"] >= FAMILY_RANK_LEVEL)
    ]
    missing = sorted({a for r in unresolved for a in chain(r) if isinstance(a, int)} - set(known))
    fetches: list[Fetched] = []
    if missing:
        more, fetches = fetch_taxa_records(missing, session=session)
        known.update({r["id"]: r for r in more})
    out: dict[int, tuple[int | None, str | None, str | None]] = {}
    for rec in records:
        fam = family_of(rec)
        out[rec["id"]] = (
            (fam["id"], fam.get("name"), fam.get("preferred_common_name")) if fam else (None, None, None)
        )
    return out, fetches


def taxa(
    ids: int | str | Iterable[int | str],
    *,
    with_family: bool = True,
    missing: str = "error",
    session: ButterflySession,
) -> pd.DataFrame:
    """Taxa by id. Columns: taxon_id, name, common_name, rank, rank_level, photo_url (medium), photo_attribution,
    iconic_taxon_name, parent_id, ancestor_ids, and with ``with_family`` family_id, family, family_common_name.
    Row order follows ``ids``."""
    wanted = validate.taxon_ids(ids)
    if missing not in ("error", "drop"):
        raise InvalidInput("missing", missing, "'error' or 'drop'")
    records, fetches = fetch_taxa_records(wanted, session=session)
    frame = parse.taxa_frame(records, fetches[0].url).drop_duplicates("taxon_id")
    absent = [i for i in wanted if i not in set(frame["taxon_id"].dropna().astype(int))]
    notice = ""
    if absent:
        if missing == "error":
            raise TaxonNotFound(
                client.SOURCE, fetches[0].url, f"no taxon with id(s) {absent}",
                "Check the id(s) at https://www.inaturalist.org/taxa, or pass missing='drop'",
            )  # fmt: skip
        notice = f"taxon id(s) not found: {absent}"
    order = {t: n for n, t in enumerate(wanted)}
    frame = frame.sort_values("taxon_id", key=lambda s: s.map(order)).reset_index(drop=True)
    if with_family:
        fam, more = families(records, session=session)
        fetches += more
        frame["family_id"] = pd.array(
            [fam.get(int(t), (None,) * 3)[0] for t in frame["taxon_id"]], dtype="Int64"
        )
        frame["family"] = [fam.get(int(t), (None,) * 3)[1] for t in frame["taxon_id"]]
        frame["family_common_name"] = [fam.get(int(t), (None,) * 3)[2] for t in frame["taxon_id"]]
    prov = combine([f.provenance for f in fetches], notice=notice, parameters={"ids": wanted})
    return attach(frame, prov)


def taxon(taxon_id: int | str, *, session: ButterflySession) -> pd.Series:
    """One taxon's row (see ``taxa``); raises ``TaxonNotFound`` if iNaturalist does not know the id."""
    frame = taxa([taxon_id], session=session)
    row = frame.iloc[0].copy()
    row.attrs = dict(frame.attrs)
    return row
