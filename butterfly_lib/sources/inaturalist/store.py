"""The local observation record: one DuckDB file in a folder the caller chooses, one table per place and taxon.

Look here for what is kept on disk and how it changes: ``RecordStore(folder)`` opens (or creates)
``<folder>/observations.duckdb``; ``table_for(place, taxon_id)`` names the place's table; ``upsert`` writes a
page of observations and the download cursor in one transaction (so a download stopped at any moment keeps every
page it committed and resumes after the last one); ``delete_ids`` drops observations iNaturalist no longer
returns; ``year_counts`` gives the per-year research-grade counts the deletion check compares with the server.

Why DuckDB (and not partitioned Parquet): the record changes row by row (a daily refresh upserts a handful of
re-identified observations and drops a deleted one). DuckDB does that with ``INSERT OR REPLACE`` and ``DELETE``
inside ACID transactions, one file, no compaction; Parquet files are immutable, so each upsert or deletion would
rewrite a partition, and a resumable download would need one file per page plus a compaction step. Per-year and
per-week aggregates are one SQL query either way. The file is opened for each operation and closed after it, so
a second process can read it between operations (DuckDB allows one writing process at a time). Where no request
goes out between operations (an offline run building or reading the snapshot's record), ``held(folder)`` keeps
one connection open for every operation of this thread inside it: opening and closing the file costs some 25 ms
each time, and an offline build of the record made 26 of them.

The store never reads the environment: its folder is an argument.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from butterfly_lib.errors import ButterflyError, InvalidInput
from butterfly_lib.place import Place

FILE_NAME = "observations.duckdb"
#: seconds to wait for a lock another process holds on the file (each operation holds it briefly)
LOCK_WAIT_S = 60.0

#: column -> DuckDB type of a record table; the order is the order of ``RecordStore.read``
COLUMNS: dict[str, str] = {
    "id": "BIGINT PRIMARY KEY",
    "taxon_id": "BIGINT",
    "scientific_name": "VARCHAR",
    "common_name": "VARCHAR",
    "rank": "VARCHAR",
    "observed_on": "DATE",  # local date in the place's time zone
    "observed_on_inat": "DATE",  # iNaturalist's observed_on (the observer's calendar date), as its counts use
    "observed_at": "TIMESTAMPTZ",  # the instant, NULL when no time was given
    "latitude": "DOUBLE",
    "longitude": "DOUBLE",
    "positional_accuracy_m": "DOUBLE",
    "obscured": "BOOLEAN",
    "user_id": "BIGINT",
    "user_login": "VARCHAR",
    "quality_grade": "VARCHAR",
    "updated_at": "TIMESTAMPTZ",
    "fetched_at": "TIMESTAMPTZ",
}
META_COLUMNS: dict[str, str] = {
    "table_name": "VARCHAR PRIMARY KEY",
    "place": "VARCHAR",  # Place.to_dict() as JSON
    "taxon_id": "BIGINT",
    "build_started_at": "TIMESTAMPTZ",
    "build_complete": "BOOLEAN",
    "cursor_id": "BIGINT",  # highest id committed by the first download (resume point)
    "last_refresh_at": "TIMESTAMPTZ",
    "updated_since": "TIMESTAMPTZ",  # the next refresh asks for observations updated after this instant
    "last_census_at": "TIMESTAMPTZ",
    "kind": "VARCHAR",  # provenance kind of the pages the record came from (observed / derived)
    "notice": "VARCHAR",  # notices those pages carried (the offline snapshot's say what the sample is)
    "source_url": "VARCHAR",
}


#: connections ``RecordStore.held`` keeps open: (file, thread) -> connection
_HELD: dict[tuple[Path, int], duckdb.DuckDBPyConnection] = {}


@dataclass(frozen=True)
class RecordState:
    """What the store knows about one place's record (one row of the meta table)."""

    table_name: str
    place: dict[str, Any]
    taxon_id: int
    build_started_at: datetime | None = None
    build_complete: bool = False
    cursor_id: int | None = None
    last_refresh_at: datetime | None = None
    updated_since: datetime | None = None
    last_census_at: datetime | None = None
    kind: str = "observed"
    notice: str = ""
    source_url: str = ""


def table_for(place: Place, taxon_id: int) -> str:
    """The table of ``place``'s record of ``taxon_id``: slug, taxon and a hash of what defines the search area
    (so moving the point or the radius starts a new record instead of mixing two areas)."""
    if not isinstance(place, Place):
        raise InvalidInput("place", place, "a butterfly_lib.place.Place")
    area = json.dumps(
        [round(place.latitude, 6), round(place.longitude, 6), place.radius_km, place.inat_place_id, taxon_id]
    )
    digest = hashlib.sha1(area.encode()).hexdigest()[:8]
    slug = re.sub(r"[^a-z0-9]+", "_", place.slug.lower()).strip("_")[:40] or "place"
    return f"obs_{slug}_{taxon_id}_{digest}"


class RecordStore:
    """The DuckDB file of observation records in ``folder`` (created on first use)."""

    def __init__(self, folder: str | Path):
        if not isinstance(folder, str | Path) or not str(folder).strip():
            raise InvalidInput("store folder", folder, "a folder path (str or pathlib.Path)")
        self.folder = Path(folder)
        self.path = self.folder / FILE_NAME

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the file (closed afterwards, unless ``held`` keeps one open for this thread); a lock
        held by another process is a clear error."""
        kept = _HELD.get((self.path.resolve(), threading.get_ident()))
        if kept is not None:
            yield kept
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        waited = 0.0
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:
                # another process holds the file for one short operation (a live run's prefetch writes a page of
                # the record while a kernel reads another place's): wait for it, up to LOCK_WAIT_S
                if "lock" in str(exc).lower() and waited < LOCK_WAIT_S:
                    time.sleep(0.05)
                    waited += 0.05
                    continue
                raise ButterflyError(
                    f"observation store {self.path} cannot be opened ({exc}); another process may be writing "
                    "it: let it finish and try again"
                ) from exc
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(
                "CREATE TABLE IF NOT EXISTS record_meta ("
                + ", ".join(f"{k} {v}" for k, v in META_COLUMNS.items())
                + ")"
            )
            yield con
        finally:
            con.close()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Every operation of this thread on the file inside the block uses one connection (see the module
        docstring); for stretches with no request in between, as the file stays locked for other processes."""
        key = (self.path.resolve(), threading.get_ident())
        if key in _HELD:
            yield
            return
        with self.connect() as con:
            _HELD[key] = con
            try:
                yield
            finally:
                del _HELD[key]

    # ------------------------------------------------------------------ meta

    def state(self, table: str) -> RecordState | None:
        with self.connect() as con:
            row = con.execute("SELECT * FROM record_meta WHERE table_name = ?", [table]).fetchone()
        if row is None:
            return None
        values = dict(zip(META_COLUMNS, row, strict=True))
        values["place"] = json.loads(values["place"] or "{}")
        values["build_complete"] = bool(values["build_complete"])
        values["kind"] = values["kind"] or "observed"
        values["notice"] = values["notice"] or ""
        values["source_url"] = values["source_url"] or ""
        return RecordState(**values)

    def ensure(self, table: str, place: Place, taxon_id: int) -> RecordState:
        """Create the place's table and its meta row if missing; return its state."""
        with self.connect() as con:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {table} ("
                + ", ".join(f"{k} {v}" for k, v in COLUMNS.items())
                + ")"
            )
            con.execute(
                "INSERT INTO record_meta (table_name, place, taxon_id, build_complete) VALUES (?, ?, ?, false) "
                "ON CONFLICT DO NOTHING",
                [table, json.dumps(place.to_dict()), taxon_id],
            )
        state = self.state(table)
        assert state is not None
        return state

    def set_state(self, table: str, **changes: Any) -> None:
        if not changes:
            return
        unknown = set(changes) - set(META_COLUMNS)
        if unknown:
            raise ValueError(f"unknown meta columns {sorted(unknown)}")
        with self.connect() as con:
            assign = ", ".join(f"{k} = ?" for k in changes)
            con.execute(f"UPDATE record_meta SET {assign} WHERE table_name = ?", [*changes.values(), table])

    # ------------------------------------------------------------------ rows

    def upsert(self, table: str, rows: pd.DataFrame, **state: Any) -> int:
        """Insert or replace ``rows`` (columns ``COLUMNS``) and update the meta ``state`` in one transaction."""
        missing = [c for c in COLUMNS if c not in rows.columns]
        if missing:
            raise ValueError(f"rows lack columns {missing}")
        frame = rows[list(COLUMNS)].drop_duplicates("id", keep="last")
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                if len(frame):
                    con.register("incoming", frame)
                    con.execute(f"INSERT OR REPLACE INTO {table} SELECT * FROM incoming")
                    con.unregister("incoming")
                if state:
                    assign = ", ".join(f"{k} = ?" for k in state)
                    con.execute(
                        f"UPDATE record_meta SET {assign} WHERE table_name = ?", [*state.values(), table]
                    )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return len(frame)

    def held_ids(self, table: str, ids: list[int] | None = None) -> set[int]:
        """Ids held (all grades); with ``ids``, only those among them."""
        with self.connect() as con:
            if ids is None:
                got = con.execute(f"SELECT id FROM {table}").fetchall()
            else:
                if not ids:
                    return set()
                con.register("wanted", pd.DataFrame({"id": pd.array(ids, dtype="int64")}))
                got = con.execute(f"SELECT t.id FROM {table} t JOIN wanted w USING (id)").fetchall()
        return {int(r[0]) for r in got}

    def delete_ids(self, table: str, ids: set[int] | list[int], **state: Any) -> int:
        """Drop ``ids`` (and update the meta ``state``) in one transaction; returns how many rows went."""
        ids = sorted({int(i) for i in ids})
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                n = 0
                if ids:
                    con.register("gone", pd.DataFrame({"id": pd.array(ids, dtype="int64")}))
                    n = int(_aggregate(con, f"SELECT count(*) FROM {table} WHERE id IN (SELECT id FROM gone)"))
                    con.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM gone)")
                if state:
                    assign = ", ".join(f"{k} = ?" for k in state)
                    con.execute(
                        f"UPDATE record_meta SET {assign} WHERE table_name = ?", [*state.values(), table]
                    )
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        return n

    def max_id(self, table: str) -> int | None:
        with self.connect() as con:
            value = _aggregate(con, f"SELECT max(id) FROM {table}")
        return None if value is None else int(value)

    def count(self, table: str, quality_grade: str | None = "research") -> int:
        with self.connect() as con:
            if quality_grade is None:
                return int(_aggregate(con, f"SELECT count(*) FROM {table}"))
            return int(_aggregate(con, f"SELECT count(*) FROM {table} WHERE quality_grade = ?", [quality_grade]))

    def year_counts(self, table: str) -> pd.Series:
        """Research-grade observations per year of iNaturalist's own observed date (as its histogram counts)."""
        with self.connect() as con:
            frame = con.execute(
                f"SELECT year(observed_on_inat) AS year, count(*) AS n FROM {table} "
                "WHERE quality_grade = 'research' AND observed_on_inat IS NOT NULL GROUP BY 1 ORDER BY 1"
            ).df()
        return pd.Series(frame["n"].to_numpy(dtype="int64"), index=frame["year"].astype(int), name="n")

    def ids_of_year(self, table: str, year: int) -> set[int]:
        with self.connect() as con:
            got = con.execute(
                f"SELECT id FROM {table} WHERE quality_grade = 'research' AND year(observed_on_inat) = ?", [year]
            ).fetchall()
        return {int(r[0]) for r in got}

    def read(self, table: str, quality_grade: str | None = "research") -> pd.DataFrame:
        """The table's rows ordered by id (only ``quality_grade`` rows unless None); UTC instants."""
        where = "" if quality_grade is None else "WHERE quality_grade = ?"
        with self.connect() as con:
            frame = con.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {table} {where} ORDER BY id",
                [] if quality_grade is None else [quality_grade],
            ).df()
        for col in ("observed_at", "updated_at", "fetched_at"):
            frame[col] = pd.to_datetime(frame[col], utc=True)
        return frame


def _aggregate(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The value of a one-row aggregate query (count, max): such a query always returns exactly one row."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise ButterflyError(f"no row from the aggregate query {sql!r}")
    return row[0]


def utc_now() -> datetime:
    return datetime.now(UTC)
