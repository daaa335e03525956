"""The event store on DuckLake: a catalog and Parquet data files (I/O). Chosen by a
`NEWSMON_DB` of the form `ducklake:postgres:<libpq connection string>`, a PostgreSQL
catalog that many processes on many machines may write at once, with the data files at
`NEWSMON_LAKE_DATA`; or `ducklake:<path>`, a catalog in a local DuckDB file, which like
any DuckDB file takes one writing process (its data files default to `<path>.files`).

DuckLake has no primary keys or unique constraints, and concurrent anti-join inserts
let the same event through twice. So every writing transaction first takes one
PostgreSQL advisory lock, held by a session of its own until the commit is done: the
anti-join of `append_events.sql` then sees every event committed before it, and ids
stay unique, as they do in a DuckDB file whose one writer is the process holding it.
Writers wait for each other only for the length of a commit; readers never wait.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Iterator, Sequence

import duckdb

from pipeline.core.events import Event
from pipeline.store.base import Store
from pipeline.store.duck import literal
from pipeline.store.errors import StoreBusy, StoreError

PREFIX = "ducklake:"
POSTGRES = "postgres:"
# One number for "the newsmon event log": pg_advisory_lock takes a bigint key.
LOCK_KEY = 0x6E6577736D6F6E  # "newsmon"
RETRIES = 5


def is_lake(db) -> bool:
    return str(db).startswith(PREFIX)


# Extension files whose signature this process has checked. DuckDB checks it at every
# LOAD, hashing the whole file (78 MB for the two: a third of a second per connection,
# and a store opens a connection per operation); once checked, the same file loads
# without, in a connection that loads nothing else (ad-hoc SQL loads nothing: only
# queries get through `sandbox.check`).
_CHECKED: set[str] = set()


@cache  # looked up once per process, not at every connection
def _extension(package: str) -> str:
    """The extension file a `duckdb-extension-*` wheel ships: DuckDB cannot download
    extensions here, and must not try (autoinstall is off)."""
    try:
        root = Path(import_module(package).__file__ or "").parent
    except ImportError:
        raise StoreError(f"NEWSMON_DB names a DuckLake catalog but {package} is not installed "
                         "(install the `lake` dependency group)") from None
    found = sorted(root.glob("extensions/*/*.duckdb_extension"))
    if not found:
        raise StoreError(f"{package} holds no extension file")
    return str(found[-1])


class LakeStore(Store):
    def __init__(self, url: str, data_path: str | None, lock_wait: float = 120.0):
        catalog = url[len(PREFIX):]
        self.dsn = catalog[len(POSTGRES):] if catalog.startswith(POSTGRES) else None
        self.local = None if self.dsn is not None else Path(catalog)
        if self.local is not None:
            data_path = data_path or f"{self.local}.files"
        elif not data_path:
            raise StoreError("a DuckLake event store needs NEWSMON_LAKE_DATA: the directory "
                             "or object-store prefix of its Parquet files")
        self.url, self.data_path, self.lock_wait = url, data_path, lock_wait
        self.path = url  # what messages name
        # Only a PostgreSQL catalog takes many writing processes: a local one is a DuckDB
        # file, which its writer holds (and Airflow's mapped tasks stage their events).
        self.concurrent_writers = self.dsn is not None
        self._exists = False

    def exists(self) -> bool:
        """Whether the catalog holds a DuckLake yet (the first writer creates it)."""
        if self.local is not None:
            return self.local.exists()
        if not self._exists:
            import psycopg

            try:
                with psycopg.connect(self.dsn or "", connect_timeout=10) as session:
                    found = session.execute("SELECT to_regclass('ducklake_metadata')").fetchone()
            except psycopg.Error as error:
                raise StoreError(f"cannot reach the DuckLake catalog {self.dsn!r}: {error}") from None
            self._exists = bool(found and found[0] is not None)
        return self._exists

    def _connect(self, read_only: bool, settings: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
        if self.local is not None and not read_only:
            self.local.parent.mkdir(parents=True, exist_ok=True)
        packages = ["duckdb_extension_ducklake"]
        if self.dsn is not None:
            packages.append("duckdb_extension_postgres_scanner")
        files = [_extension(package) for package in packages]
        checked = _CHECKED.issuperset(files)
        con = duckdb.connect(config={"allow_unsigned_extensions": "true"} if checked else {})
        try:
            con.execute("SET autoinstall_known_extensions = false")
            con.execute("SET autoload_known_extensions = false")
            for file in files:
                con.execute(f"LOAD {literal(file)}")
            _CHECKED.update(files)
            # ATTACH takes no parameters: the strings are quoted as SQL literals
            options = [f"DATA_PATH {literal(self.data_path)}"] + (["READ_ONLY"] if read_only else [])
            con.execute(f"ATTACH {literal(self.url)} AS lake ({', '.join(options)})")
            con.execute("USE lake")
            # DuckLake retries a commit that conflicts with another's; ours wait for the
            # advisory lock, so only maintenance can conflict with them.
            con.execute("SET ducklake_max_retry_count = 20")
            # UTC, so dates cut from timestamps do not depend on the machine's zone; no
            # progress bar of DuckDB's own in output that may be CSV
            for statement in ("SET TimeZone = 'UTC'", "SET enable_progress_bar = false", *settings):
                con.execute(statement)
            return con
        except BaseException:
            con.close()  # `Store._open` retries a locked local catalog, and names the rest
            raise

    def _adhoc_settings(self) -> tuple[str, ...]:
        # the log's own data files, and no other file
        return (f"SET allowed_directories = [{literal(self.data_path)}]",)

    @contextmanager
    def _writers_lock(self) -> Iterator[None]:
        if self.dsn is None:  # a local catalog: DuckDB's lock on its file, as for any file
            yield
            return
        import psycopg  # only a PostgreSQL catalog needs it

        try:
            session = psycopg.connect(self.dsn, autocommit=True,
                                      connect_timeout=max(1, int(self.lock_wait)))
        except psycopg.Error as error:
            raise StoreError(f"cannot reach the DuckLake catalog {self.dsn!r}: {error}") from None
        try:
            session.execute(f"SET lock_timeout = '{int(self.lock_wait * 1000)}ms'")
            try:
                session.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
            except psycopg.errors.LockNotAvailable:
                raise StoreBusy(f"another writer held the DuckLake log for {self.lock_wait:g} s") from None
            yield
        finally:
            session.close()  # ends the session, and with it the lock

    def append(self, events: Sequence[Event], run_id: str) -> set[str]:
        """As `Store.append`, retried with backoff when the commit conflicts with one
        the lock does not cover (snapshot maintenance) or the catalog hiccups."""
        from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

        # StoreBusy is not retried: it has waited its lock_wait already
        for attempt in Retrying(stop=stop_after_attempt(RETRIES), reraise=True,
                                wait=wait_exponential_jitter(multiplier=0.1, jitter=0.1),
                                retry=retry_if_exception(lambda e: isinstance(e, StoreError)
                                                         and not isinstance(e, StoreBusy))):
            with attempt:
                return super().append(events, run_id)
        raise AssertionError("unreachable")

    def prepare(self) -> None:
        """Create the tables and views once, before workers fan out: concurrent
        CREATE TABLE IF NOT EXISTS statements conflict on DuckLake."""
        with self.sole_writer():
            pass

    def maintain(self, older_than_days: int = 7) -> None:
        """Merge small data files and expire old snapshots, under the writers' lock."""
        with self.sole_writer() as con:
            con.execute("CALL ducklake_merge_adjacent_files('lake')")
            con.execute(f"CALL ducklake_expire_snapshots('lake', older_than => "
                        f"now() - INTERVAL {int(older_than_days)} DAY)")
            con.execute("CALL ducklake_cleanup_old_files('lake', cleanup_all => true)")
