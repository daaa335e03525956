"""Copying a log into another store (`newsmon copy-log`), and what can still be read of
a damaged one (I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

import duckdb

from pipeline.store.base import Store
from pipeline.store.duck import scalar
from pipeline.store.errors import damage


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
        last = scalar(con, "SELECT coalesce(max(seq), 0) FROM events")
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


