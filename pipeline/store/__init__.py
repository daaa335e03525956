"""The event store: the append-only log, the read models kept current from it, and the
views analysts query (the only package that talks to DuckDB).

- `base.py`: what every store does (waiting for locks, transactions, reads, ad-hoc SQL);
  `file.py`: a DuckDB file; `lake.py`: DuckLake, for many writers.
- `schema.py`: the tables and views, and their versions; `projections.py`: the read
  models, applied with each append and rebuilt from the log.
- `arrow.py`: events as Arrow batches and Parquet files; `sandbox.py`: what ad-hoc SQL may
  do; `copy.py`: copying a log, and saving what a damaged file still holds.
"""

from __future__ import annotations

from pipeline.store.base import Reading, Store
from pipeline.store.errors import StoreBusy, StoreDamaged, StoreError
from pipeline.store.file import FileStore
from pipeline.store.lake import LakeStore, is_lake

__all__ = ["FileStore", "LakeStore", "Reading", "Store", "StoreBusy", "StoreDamaged", "StoreError",
           "open_store"]


def open_store(settings) -> Store:
    """The store a `Settings` names: a DuckDB file, or a DuckLake catalog."""
    if is_lake(settings.db):
        return LakeStore(str(settings.db), settings.lake_data, settings.lock_wait)
    return FileStore(settings.db, settings.lock_wait)
