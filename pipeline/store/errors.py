"""What can go wrong with an event store that a user can act on, said plainly."""

from __future__ import annotations

import re

import duckdb


class StoreError(Exception):
    """A problem with the event store a user can act on."""


class StoreBusy(StoreError):
    """Another process held the store for longer than we wait."""


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


def is_lock_error(error: Exception) -> bool:
    # a word of its own: "checksum ... in block" is damage, not a lock
    return isinstance(error, (duckdb.IOException, duckdb.ConnectionException)) \
        and re.search(r"\block(ed)?\b", str(error), re.I) is not None
