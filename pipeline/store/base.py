"""The event store: the only module that talks to DuckDB (I/O).

DuckDB takes one writing process per file, and while it holds the file no other
process can open it, not even to read. So a connection is opened per operation and
closed straight after: workers never hold it, a run holds it only to plan and to
commit, and a second process waits (`lock_wait`) instead of failing at once.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import duckdb

from pipeline.core.events import Event
from pipeline.core.resources import sql_text
from pipeline.store.sandbox import Refused, check
from pipeline.store.arrow import to_arrow

VIEWS = ("feed_polls", "feeds", "articles", "mentions", "mentions_as_tagged", "stories",
         "topic_daily", "topic_weekly", "topic_spikes", "topic_outlets", "topic_cooccurrence",
         "matches", "alerted")


# One writing transaction per process at a time. DuckDB's file lock keeps other
# processes out; within a process, two threads' transactions could both find an id
# absent and both append it, since nothing but the append's anti-join keeps ids unique.
_WRITING = threading.RLock()


class StoreError(Exception):
    """A problem with the database file a user can act on."""


class StoreBusy(StoreError):
    pass


class StoreDamaged(StoreError):
    """The database file is damaged: what can still be read can be copied out."""


# DuckDB's words for a file that lost blocks or was cut short.
_DAMAGE = re.compile(r"corrupt|checksum|could not read enough bytes|not a valid duckdb|"
                     r"database has been invalidated|failed to read database header", re.I)


def damage(path, error: Exception) -> StoreDamaged | None:
    """The error a damaged file gives, said plainly with how to recover; None when
    `error` is not about damage."""
    if not isinstance(error, duckdb.Error) or not _DAMAGE.search(str(error)):
        return None
    return StoreDamaged(
        f"{path} is damaged ({str(error).strip()}): copy the events that can still be read "
        f"into a new store with `newsmon copy-log --db {path} --to <new file>`, then use "
        "that one")


class Transaction:
    """Queries and appends on one connection inside `Store.transaction`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: str):
        self._con, self._run_id = con, run_id

    def rows(self, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cursor = self._con.execute(sql_text(f"queries/{query}"), params or {})
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def append(self, events: Sequence[Event]) -> set[str]:
        """Append the events whose ids the log does not hold yet (a batch may carry one
        twice: the first counts), but not those that follow an event recorded before.
        Returns the ids appended."""
        seen: set[str] = set()
        unique = [e for e in events if not (e.event_id in seen or seen.add(e.event_id))]
        if not unique:
            return set()
        self._con.register("batch", to_arrow(unique))
        try:
            recorded = {row[0] for row in
                        self._con.execute(sql_text("queries/recorded_ids")).fetchall()}
            self._con.execute(sql_text("queries/append_events"), {"run_id": self._run_id})
        finally:
            self._con.unregister("batch")
        return {e.event_id for e in unique
                if e.event_id not in recorded and e.follows not in recorded}

    def copy(self, rows) -> int:
        """Append another log's rows (an Arrow batch of `events`) that this log lacks;
        returns how many were added."""
        self._con.register("batch", rows)
        try:
            before = self._con.execute("SELECT count(*) FROM events").fetchone()[0]
            self._con.execute(sql_text("queries/copy_events"))
            return self._con.execute("SELECT count(*) FROM events").fetchone()[0] - before
        finally:
            self._con.unregister("batch")


@dataclass
class Copied:
    read: int = 0
    added: int = 0
    lost: list[tuple[int, int]] = field(default_factory=list)  # seq ranges that could not be read


def copy_log(source: "Store", target: "Store", run_id: str, batch_rows: int = 50_000,
             progress: Callable[[int], None] = lambda n: None) -> Copied:
    """Copy every event of `source` that `target` lacks into it, in the source's order,
    a transaction per batch: run it again after a failure and it goes on where it
    stopped. From a damaged file, every event that can still be read is copied, and the
    ranges of `seq` that cannot are listed in `lost`."""
    copied = Copied()
    with source.reader() as con:
        last = con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        for first in range(1, last + 1, batch_rows):
            for batch in _readable(con, source.path, first, min(first + batch_rows, last + 1),
                                   copied.lost):
                with target.transaction(run_id) as tx:
                    copied.added += tx.copy(batch)
                copied.read += batch.num_rows
                progress(batch.num_rows)
    return copied


SALVAGE_ROWS = 64  # the smallest range given up on in a damaged file


def _readable(con: duckdb.DuckDBPyConnection, path, first: int, stop: int,
              lost: list[tuple[int, int]]) -> Iterator:
    """The events with `first` <= seq < `stop` as Arrow tables; where the file is damaged,
    the range is halved until what can be read is read, and the rest noted in `lost`.
    (Ranges, because DuckDB reads the blocks of a scan ahead and in parallel: one
    damaged block anywhere failed the whole scan.)"""
    try:
        yield con.execute("SELECT * FROM events WHERE seq >= $first AND seq < $stop ORDER BY seq",
                          {"first": first, "stop": stop}).to_arrow_table()
    except duckdb.Error as error:
        if damage(path, error) is None:
            raise
        if stop - first <= SALVAGE_ROWS:
            if lost and lost[-1][1] == first - 1:  # one range with the one before
                lost[-1] = (lost[-1][0], stop - 1)
            else:
                lost.append((first, stop - 1))
            return
        middle = (first + stop) // 2
        yield from _readable(con, path, first, middle, lost)
        yield from _readable(con, path, middle, stop, lost)


def _schema_version() -> str:
    texts = [sql_text("schema"), *(sql_text(f"views/{view}") for view in VIEWS)]
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


_SCHEMA_VERSION = _schema_version()


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the table and (re)create the views unless the file already has this
    version of them: binding a dozen views costs more than a commit's insert."""
    try:
        found = con.execute("SELECT version FROM newsmon_schema").fetchone()
    except duckdb.CatalogException:
        found = None
    if found and found[0] == _SCHEMA_VERSION:
        views = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name IN $names",
                            {"names": list(VIEWS)}).fetchone()[0]
        if views == len(VIEWS):  # and nobody dropped one
            return
    con.execute("BEGIN")
    try:
        _drop_unique_key(con)
        con.execute(sql_text("schema"))
        for view in VIEWS:
            con.execute(sql_text(f"views/{view}"))
        con.execute("CREATE OR REPLACE TABLE newsmon_schema AS SELECT $v AS version",
                    {"v": _SCHEMA_VERSION})
        con.execute("COMMIT")
    except BaseException:
        _roll_back(con)
        raise


def _drop_unique_key(con: duckdb.DuckDBPyConnection) -> None:
    """Files written before 0.2 kept `event_id` UNIQUE. DuckDB rewrites the whole index
    at every checkpoint, so each commit cost time in proportion to the log; the append's
    anti-join, under the one-writer lock, keeps ids unique instead. Copy the log once
    into a table without the index, in the same order."""
    keyed = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'events' "
                        "AND constraint_type = 'UNIQUE'").fetchone()[0]
    if not keyed:
        return
    for view in VIEWS:
        con.execute(f"DROP VIEW IF EXISTS {view}")
    con.execute("ALTER TABLE events RENAME TO events_keyed")
    con.execute(sql_text("schema"))
    con.execute("INSERT INTO events SELECT * FROM events_keyed ORDER BY seq")
    con.execute("DROP TABLE events_keyed")


def _roll_back(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:  # a failed COMMIT has already ended the transaction
        pass


def _is_lock_error(error: Exception) -> bool:
    # a word of its own: "checksum ... in block" is damage, not a lock
    return isinstance(error, (duckdb.IOException, duckdb.ConnectionException)) \
        and re.search(r"\block(ed)?\b", str(error), re.I) is not None


class Store:
    # A DuckDB file takes one writing process: Airflow's mapped tasks stage their events
    # for one commit. DuckLake takes many.
    concurrent_writers = False

    def __init__(self, path: Path | str, lock_wait: float = 120.0):
        self.path = Path(path)
        self.lock_wait = lock_wait

    @classmethod
    def of(cls, settings) -> "Store":
        """The store a `Settings` names: a DuckDB file, or a DuckLake catalog."""
        from pipeline.store import lake  # imported here: lake imports this module

        if lake.is_lake(settings.db):
            return lake.LakeStore(str(settings.db), settings.lake_data, settings.lock_wait)
        return cls(settings.db, settings.lock_wait)

    def exists(self) -> bool:
        return self.path.exists()

    def _writers_lock(self):
        """What keeps other processes' writers out: for a file, DuckDB's own lock."""
        return nullcontext()

    # -- connections -------------------------------------------------------------

    def _open(self, read_only: bool, settings: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
        """A connection, once another process's lock on the database lets go of it."""
        if read_only and not self.exists():
            raise StoreError(f"no event store at {self.path}: run `newsmon run` "
                             "or `newsmon demo` first, or pass --db")
        deadline = time.monotonic() + self.lock_wait
        delay = 0.05
        while True:
            try:
                return self._connect(read_only, settings)
            except (duckdb.IOException, duckdb.ConnectionException) as error:
                if not _is_lock_error(error):
                    raise damage(self.path, error) or StoreError(
                        f"cannot open {self.path}: {error}") from None
                if time.monotonic() >= deadline:
                    raise StoreBusy(f"{self.path} is in use by another process and stayed "
                                    f"locked for {self.lock_wait:g} s ({error})") from None
            except duckdb.Error as error:
                raise damage(self.path, error) or StoreError(
                    f"cannot open {self.path}: {error}") from None
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 1.0)

    def _connect(self, read_only: bool, settings: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            # UTC, so dates cut from timestamps do not depend on the machine's zone.
            for statement in ("SET TimeZone = 'UTC'", *settings):
                con.execute(statement)
            return con
        except BaseException:
            con.close()
            raise

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection with the schema and views in place."""
        con = self._open(read_only=False)
        try:
            _ensure_schema(con)
            yield con
        except duckdb.Error as error:
            raise damage(self.path, error) or error
        finally:
            con.close()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._open(read_only=True)
        try:
            yield con
        except duckdb.Error as error:
            raise damage(self.path, error) or error
        finally:
            con.close()

    # -- writing -----------------------------------------------------------------

    def append(self, events: Sequence[Event], run_id: str) -> set[str]:
        """Append the events not yet recorded, in one transaction. Returns the ids of
        the events that were new."""
        if not events:
            return set()
        with self.transaction(run_id) as tx:
            return tx.append(events)

    @contextmanager
    def sole_writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection no other writer shares: not another thread of this process
        (`_WRITING`), not another process (DuckDB's file lock; DuckLake's advisory lock)."""
        with _WRITING, self._writers_lock(), self.writer() as con:
            yield con

    @contextmanager
    def transaction(self, run_id: str) -> Iterator["Transaction"]:
        """Read and append in one transaction, holding the file throughout: what was read
        cannot change before the append (another process waits for the file's lock,
        another thread of this one for `_WRITING`; on DuckLake, other writers for its
        advisory lock)."""
        with self.sole_writer() as con:
            try:
                con.execute("BEGIN")
                yield Transaction(con, run_id)
                con.execute("COMMIT")
            except duckdb.Error as error:
                _roll_back(con)
                if damaged := damage(self.path, error):
                    raise damaged from None
                full = "no space left" in str(error).lower()
                raise StoreError(f"{'the disk is full: ' if full else ''}could not record "
                                 f"events in {self.path}; none of this transaction's was "
                                 f"recorded, earlier events are intact ({error})") from None
            except BaseException:
                _roll_back(con)
                raise

    def maintain(self) -> None:
        """Housekeeping: a DuckDB file has only its write-ahead log to fold in."""
        with self.sole_writer() as con:
            con.execute("CHECKPOINT")

    # -- reading -----------------------------------------------------------------

    def rows(self, query: str, params: dict[str, Any] | None = None, *,
             missing_ok: bool = True) -> list[dict[str, Any]]:
        """The rows of the named query in `sql/queries`, as dicts. An absent store has no
        rows, unless `missing_ok` is false: then it is a StoreError."""
        if missing_ok and not self.exists():
            return []
        with self.reader() as con:
            cursor = con.execute(sql_text(f"queries/{query}"), params or {})
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def sql(self, statement: str, *, timeout: float = 30.0) -> tuple[list[str], list[tuple]]:
        """An ad-hoc query's columns and rows (see `_adhoc`)."""
        return self.sql_each(statement, lambda columns, batches: (
            columns, [row for batch in batches for row in batch]), timeout=timeout)

    def sql_each(self, statement: str, consume: Callable[[list[str], Iterator[list[tuple]]], Any],
                 *, timeout: float = 30.0, batch_rows: int = 10_000) -> Any:
        """What `consume(columns, batches)` makes of an ad-hoc query's rows, which it reads
        a batch at a time while the query runs: a million rows are never all in memory,
        and reading them stops at the time limit like the query itself."""
        def take(cursor, deadline: float):
            def batches() -> Iterator[list[tuple]]:
                while rows := cursor.fetchmany(batch_rows):
                    yield rows
                    if time.monotonic() > deadline:
                        raise duckdb.InterruptException("time limit")
            return consume([d[0] for d in cursor.description], batches())
        return self._adhoc(statement, timeout, take)

    def sql_arrow(self, statement: str, *, timeout: float = 30.0):
        """An ad-hoc query's result as an Arrow table (for Parquet files)."""
        return self._adhoc(statement, timeout, lambda c, _: c.fetch_arrow_table())

    def _adhoc_settings(self) -> tuple[str, ...]:
        """What an ad-hoc query may read besides the open database: nothing."""
        return ()

    def _adhoc(self, statement: str, timeout: float, take):
        """Run one ad-hoc SELECT read-only, with no file or network access, a memory limit
        and a time limit. While it runs, a commit waits for the file (DuckDB lets no one
        write while anyone reads), so the time limit is kept below writers' lock wait."""
        try:
            check(statement)
        except Refused as refused:
            raise StoreError(str(refused)) from None
        # no file or network access, and no writable directory (DuckDB spills large
        # sorts to its temp directory; here they stop at the memory limit instead)
        con = self._open(read_only=True, settings=(
            *self._adhoc_settings(), "SET temp_directory = ''", "SET enable_external_access = false",
            "SET memory_limit = '2GB'", "SET lock_configuration = true"))
        deadline = time.monotonic() + timeout
        timer = threading.Timer(timeout, con.interrupt)
        timer.start()
        try:
            return take(con.execute(statement), deadline)
        except duckdb.Error as error:
            # interrupted while running, or while its rows were being read
            if isinstance(error, duckdb.InterruptException) or time.monotonic() >= deadline:
                raise StoreError(f"query stopped after {timeout:g} s") from None
            raise damage(self.path, error) or StoreError(str(error).strip()) from None
        finally:
            timer.cancel()
            con.close()
