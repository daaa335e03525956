"""Events as Arrow tables and Parquet files (the only pyarrow code): the store appends
large batches as Arrow tables (`batch.py`), and Airflow's mapped tasks stage their
events as Parquet files for the one task that commits them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.core.events import Event
from pipeline.store.batch import COLUMNS, columns

SCHEMA = pa.schema([
    ("ord", pa.int64()), ("event_id", pa.string()), ("type", pa.string()),
    ("stream", pa.string()), ("occurred_at", pa.timestamp("us", tz="UTC")),
    ("schema_version", pa.int32()), ("payload", pa.string()), ("feed_id", pa.string()),
    ("article_id", pa.string()), ("topic", pa.string()), ("follows", pa.string()),
])
assert tuple(SCHEMA.names) == COLUMNS, "the Arrow batch has the columns of every batch"


def to_arrow(events: Sequence[Event]) -> pa.Table:
    return pa.Table.from_pydict(columns(events), schema=SCHEMA)


def from_arrow(table: pa.Table) -> list[Event]:
    return [Event(r["event_id"], r["type"], r["stream"], r["occurred_at"],
                  json.loads(r["payload"]), r["feed_id"], r["article_id"], r["topic"],
                  r.get("follows"))
            for r in table.sort_by("ord").to_pylist()]


def write(path: Path, events: Sequence[Event]) -> Path:
    """Write a staged batch whole or not at all: a retried task overwrites its own file,
    and a task killed while writing leaves no half file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    pq.write_table(to_arrow(events), partial)
    os.replace(partial, path)
    return path


def read(path: Path) -> list[Event]:
    return from_arrow(pq.read_table(path))  # files staged before `follows` lack it


def write_table(path: Path, table: pa.Table) -> None:
    """Any Arrow table as a Parquet file (`newsmon sql --format parquet`)."""
    pq.write_table(table, path)
