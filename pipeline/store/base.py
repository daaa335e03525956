"""The event store's interface, and what every kind of store shares (I/O): connections
that wait for another process's lock, one writing transaction at a time, the read
models applied in the transaction of each append, and read-only ad-hoc SQL.

The only package that talks to DuckDB is this one (`file.py` for a DuckDB file,
`lake.py` for DuckLake). A connection is opened per operation and closed straight
after: workers never hold it, a run holds it only to plan and to commit, and a second
process waits (`lock_wait`) instead of failing at once.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator, Sequence

import duckdb

from pipeline.core.events import Event
from pipeline.core.resources import sql_text
from pipeline.store import projections, schema
from pipeline.store.batch import as_json
from pipeline.store.duck import roll_back, scalar
from pipeline.store.errors import StoreBusy, StoreError, damage, is_lock_error
from pipeline.store.sandbox import Refused, check

# One writing transaction per process at a time. DuckDB's file lock keeps other
# processes out; within a process, two threads' transactions could both find an id
# absent and both append it, since nothing but the append's anti-join keeps ids unique.
_WRITING = threading.RLock()

Progress = Callable[[int, int], None]  # (events applied, events to apply)

# A batch this small is handed to DuckDB as JSON, a larger one as an Arrow table: pyarrow
# costs a process a tenth of a second to import, which a run's first commits (its polls,
# a page or two) and small commands need not pay; JSON costs 4 ms a hundred events
# where Arrow costs 1.5, and four times Arrow's time at 80,000.
SMALL_BATCH = 100

# The read models' keys (sql/projections/tables.sql): an id's MD5 as two integers.
_KEY_MACRO = ("CREATE OR REPLACE TEMP MACRO newsmon_key(id) AS "
              "{'hi': md5_number_upper(id), 'lo': md5_number_lower(id)}")


def _locked(error: BaseException) -> bool:
    return isinstance(error, (duckdb.IOException, duckdb.ConnectionException)) and is_lock_error(error)


class Reading:
    """Queries of newsmon's own on one read connection (`Store.reading`): what they show
    is one state of the store, and the connection is opened once for them all."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con

    def rows(self, query: str, params: dict[str, Any] | None = None, *,
             fill: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The rows of the named query in `sql/queries`, as dicts, its `{name}` parts
        filled from `fill` (SQL of our own making, never user input)."""
        text = sql_text(f"queries/{query}")
        cursor = self._con.execute(text.format(**fill) if fill else text, params or {})
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def count(self, query: str, params: dict[str, Any] | None = None) -> int:
        """How many rows the named query in `sql/queries` gives, counted by the store."""
        text = sql_text(f"queries/{query}").strip().rstrip(";")
        return scalar(self._con, f"SELECT count(*) FROM ({text})", params or {})

    def sql(self, statement: str) -> tuple[list[str], list[tuple]]:
        """Columns and rows of a statement of newsmon's own (not a user's: see `Store.sql`)."""
        cursor = self._con.execute(statement)
        return [d[0] for d in cursor.description], cursor.fetchall()


class Transaction(Reading):
    """Queries and appends on one connection inside `Store.transaction`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: str):
        super().__init__(con)
        self._run_id = run_id

    def append(self, events: Sequence[Event]) -> set[str]:
        """Append the events whose ids the log does not hold yet (a batch may carry one
        twice: the first counts), but not those that follow an event recorded before.
        Returns the ids appended."""
        seen: set[str] = set()
        unique = []
        for e in events:
            if e.event_id not in seen:
                seen.add(e.event_id)
                unique.append(e)
        if not unique:
            return set()
        small = len(unique) <= SMALL_BATCH
        if small:
            self._con.execute("CREATE OR REPLACE TEMP TABLE batch AS " + sql_text("queries/batch_from_json"),
                              {"rows": as_json(unique)})
        else:
            from pipeline.store.arrow import to_arrow  # pyarrow: a tenth of a second, for writers only
            self._con.register("batch", to_arrow(unique))
        try:
            self._con.execute("CREATE OR REPLACE TEMP TABLE candidates AS "
                              + sql_text("queries/recorded_candidates"))
            self._con.execute("CREATE OR REPLACE TEMP TABLE recorded AS "
                              + sql_text("queries/recorded_ids"))
            recorded = {row[0] for row in self._con.execute("SELECT event_id FROM recorded").fetchall()}
            self._con.execute(sql_text("queries/append_events"), {"run_id": self._run_id})
        finally:
            if small:
                self._con.execute("DROP TABLE batch")
            else:
                self._con.unregister("batch")
        return {e.event_id for e in unique
                if e.event_id not in recorded and e.follows not in recorded}

    def copy(self, rows) -> int:
        """Append another log's rows (an Arrow batch of `events`) that this log lacks;
        returns how many were added."""
        self._con.register("batch", rows)
        try:
            before = scalar(self._con, "SELECT count(*) FROM events")
            self._con.execute(sql_text("queries/copy_events"))
            return scalar(self._con, "SELECT count(*) FROM events") - before
        finally:
            self._con.unregister("batch")


class Store:
    """An event store. Subclasses say how to connect (`_connect`), whether it exists yet,
    and what keeps other processes' writers out (`_writers_lock`)."""

    # A DuckDB file takes one writing process: Airflow's mapped tasks stage their events
    # for one commit. DuckLake takes many.
    concurrent_writers = False
    path: Path | str
    lock_wait: float
    # called while read models are rebuilt or caught up by more than a commit's worth
    progress: Progress | None = None

    def exists(self) -> bool:
        raise NotImplementedError

    def stamp(self) -> str | None:
        """A mark that changes whenever what the store holds may have (None: no such
        mark), so that derived files can tell they are current without opening it."""
        return None

    def _connect(self, read_only: bool, settings: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
        raise NotImplementedError

    def _writers_lock(self):
        """What keeps other processes' writers out: for a file, DuckDB's own lock."""
        return nullcontext()

    # -- connections -------------------------------------------------------------

    def _open(self, read_only: bool, settings: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
        """A connection, once another process's lock on the database lets go of it."""
        if read_only and not self.exists():
            raise StoreError(f"no event store at {self.path}: run `newsmon run` "
                             "or `newsmon demo` first, or pass --db")
        try:
            try:
                return self._connect_ready(read_only, settings)
            except duckdb.Error as error:
                if not _locked(error):
                    raise
            return self._wait_to_connect(read_only, settings)
        except (duckdb.IOException, duckdb.ConnectionException) as error:
            if is_lock_error(error):
                raise StoreBusy(f"{self.path} is in use by another process and stayed "
                                f"locked for {self.lock_wait:g} s ({error})") from None
            raise damage(self.path, error) or StoreError(f"cannot open {self.path}: {error}") from None
        except duckdb.Error as error:
            raise damage(self.path, error) or StoreError(f"cannot open {self.path}: {error}") from None

    def _wait_to_connect(self, read_only: bool, settings: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
        """Another process's lock: wait for it, a little longer each time. (tenacity is
        imported only then: it costs every command's start-up 55 ms, tornado's import
        included.)"""
        from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential_jitter
        for attempt in Retrying(stop=stop_after_delay(self.lock_wait), reraise=True,
                                wait=wait_exponential_jitter(multiplier=0.05, max=1.0, jitter=0.05),
                                retry=retry_if_exception(_locked)):
            with attempt:
                return self._connect_ready(read_only, settings)
        raise AssertionError("unreachable")

    def _connect_ready(self, read_only: bool, settings: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
        con = self._connect(read_only, settings)
        try:
            con.execute(_KEY_MACRO)
        except BaseException:
            con.close()
            raise
        return con

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection with the log, the read models and the views in place and
        current (made again and rebuilt from the log when their definitions changed)."""
        with self._closing(self._open(read_only=False)) as con:
            if schema.ensure(con):
                self._catch_up(con)
            yield con

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection whose read models are current."""
        with self._closing(self._open_current(read_only=True)) as con:
            yield con

    @contextmanager
    def _closing(self, con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
        """`con`, closed after use; an error that shows the file damaged says so."""
        try:
            yield con
        except duckdb.Error as error:
            damaged = damage(self.path, error)
            if damaged is None:
                raise
            raise damaged from None
        finally:
            con.close()

    def _open_current(self, read_only: bool, settings: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
        """A connection that reads current read models: when they are behind the log (it
        grew outside newsmon, or their definitions changed), a writer brings them up to
        date first."""
        con = self._open(read_only, settings)
        try:
            current = _current(con)
        except BaseException:
            con.close()
            raise
        if current:
            return con
        con.close()
        self.refresh()
        return self._open(read_only, settings)

    def refresh(self) -> int:
        """Bring the read models up to date with the log; returns the events applied."""
        with self.sole_writer() as con:
            return self._catch_up(con)

    def rebuild(self) -> int:
        """Drop every read model and build it again from the log; returns the events
        applied."""
        with self.sole_writer() as con:
            con.execute("BEGIN")
            try:
                projections.reset(con)
                con.execute("COMMIT")
            except BaseException:
                roll_back(con)
                raise
            return self._catch_up(con)

    def _catch_up(self, con: duckdb.DuckDBPyConnection) -> int:
        """Apply what the read models lack, a transaction per step of a million events,
        so that a rebuild of a long log keeps its memory and shows its progress."""
        total = 0
        while True:
            con.execute("BEGIN")
            try:
                done = projections.catch_up(con, max_batches=1)
                con.execute("COMMIT")
            except BaseException:
                roll_back(con)
                raise
            if not done:
                return total
            total += done
            if self.progress:
                applied, last = projections.applied(con)
                self.progress(applied, last)

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
        """Read and append in one transaction, holding the store throughout: what was read
        cannot change before the append (another process waits for the file's lock,
        another thread of this one for `_WRITING`; on DuckLake, other writers for its
        advisory lock). The read models take in what it appended before it commits."""
        with self.transactions() as transaction, transaction(run_id) as tx:
            yield tx

    @contextmanager
    def transactions(self) -> Iterator[Callable[[str], ContextManager["Transaction"]]]:
        """`transaction(run_id)` as often as needed, one after another, on one write
        connection held throughout: opening the store, and the checkpoint at its closing,
        are paid once (a third of a small commit), and no other process reads between
        the commits."""
        with self.sole_writer() as con:
            yield lambda run_id: self._transaction_on(con, run_id)

    @contextmanager
    def _transaction_on(self, con: duckdb.DuckDBPyConnection, run_id: str) -> Iterator["Transaction"]:
        try:
            con.execute("BEGIN")
            yield Transaction(con, run_id)
            projections.catch_up(con)
            con.execute("COMMIT")
        except duckdb.Error as error:
            roll_back(con)
            if damaged := damage(self.path, error):
                raise damaged from None
            full = "no space left" in str(error).lower()
            raise StoreError(f"{'the disk is full: ' if full else ''}could not record "
                             f"events in {self.path}; none of this transaction's was "
                             f"recorded, earlier events are intact ({error})") from None
        except BaseException:
            roll_back(con)
            raise

    def maintain(self) -> None:
        """Housekeeping: a DuckDB file has only its write-ahead log to fold in."""
        with self.sole_writer() as con:
            con.execute("CHECKPOINT")

    # -- reading -----------------------------------------------------------------

    def rows(self, query: str, params: dict[str, Any] | None = None, *,
             missing_ok: bool = True, fill: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The rows of the named query in `sql/queries`, as dicts, its `{name}` parts
        filled from `fill` (SQL of our own making, never user input). An absent store has
        no rows, unless `missing_ok` is false: then it is a StoreError."""
        if missing_ok and not self.exists():
            return []
        with self.reading() as reading:
            return reading.rows(query, params, fill=fill)

    @contextmanager
    def reading(self) -> Iterator[Reading]:
        """Several queries of newsmon's own on one read connection: one state of the
        store. A StoreError when there is no store."""
        with self.reader() as con:
            yield Reading(con)

    def count(self, query: str, params: dict[str, Any] | None = None) -> int:
        """How many rows the named query in `sql/queries` gives, counted by the store."""
        if not self.exists():
            return 0
        with self.reading() as reading:
            return reading.count(query, params)

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
        con = self._open_current(read_only=True, settings=(
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


def _current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this store's read models are this version's and have applied the whole log."""
    try:
        found = con.execute("SELECT version, applied_seq FROM newsmon_projections").fetchone()
    except duckdb.CatalogException:
        return False
    if not found or found[0] != schema.VERSION:
        return False
    return found[1] == scalar(con, "SELECT coalesce(max(seq), 0) FROM events")
