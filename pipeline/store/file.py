"""The event store in one DuckDB file (I/O): the embedded default.

DuckDB takes one writing process per file, and while it holds the file no other
process can open it, not even to read; `Store` opens a connection per operation and
waits for the lock.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import duckdb

from pipeline.store.base import Store


class FileStore(Store):
    path: Path

    def __init__(self, path: Path | str, lock_wait: float = 120.0):
        self.path = Path(path)
        self.lock_wait = lock_wait

    def exists(self) -> bool:
        return self.path.exists()

    def stamp(self) -> str | None:
        """The file's and its write-ahead log's identity, size and time of change: a
        commit changes one or the other. None while either changed in the last two
        seconds: a write in the same tick of the clock as the last may leave both alike."""
        marks = []
        for path in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                found = path.stat()
            except FileNotFoundError:
                marks.append("-")
                continue
            if time.time() - found.st_mtime < 2:
                return None
            marks.append(f"{found.st_dev}:{found.st_ino}:{found.st_size}:{found.st_mtime_ns}")
        return " ".join(marks)

    def _connect(self, read_only: bool, settings: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
        if not read_only and not self.path.exists():
            self._create()
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            # UTC, so dates cut from timestamps do not depend on the machine's zone; no
            # progress bar of DuckDB's own in output that may be CSV
            for statement in ("SET TimeZone = 'UTC'", "SET enable_progress_bar = false", *settings):
                con.execute(statement)
            return con
        except BaseException:
            con.close()
            raise

    def _create(self) -> None:
        """An empty database at `path`, put in place whole. Two processes that both find
        no file would otherwise both let DuckDB create it: the second truncates the file
        the first is writing before it finds the lock taken, and the first's header is
        lost ("exists, but it is not a valid DuckDB database file")."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.path.parent, prefix=f".{self.path.name}.") as tmp:
            made = Path(tmp) / self.path.name
            duckdb.connect(str(made)).close()
            try:
                os.link(made, self.path)  # fails when another process put its own in place
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links: a smaller window remains
                if not self.path.exists():
                    os.replace(made, self.path)
