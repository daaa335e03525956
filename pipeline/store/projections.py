"""The read models kept current from the log (I/O, inside the store's transactions).

Every write transaction ends by applying the events recorded since the models' last
applied `seq` (the batch it appended, usually) through `sql/projections/apply_*.sql`,
in the same transaction: no reader sees an event without its effect, and a crash leaves
both or neither. The same statements build the models from an empty state, a batch of
events at a time (`rebuild`), so a model made incrementally and one rebuilt from the log
are the same tables (tests/test_projections.py shows it on random logs).
"""

from __future__ import annotations

import functools
import itertools
import re

import duckdb

from pipeline.core import events as ev
from pipeline.core.resources import sql_text
from pipeline.store.duck import scalar
from pipeline.store.schema import APPLY, TABLES

REBUILD_BATCH = 1_000_000  # events per step of a rebuild: memory stays bounded
# A commit's statements each touch a handful of rows: waking DuckDB's threads for each
# costs more than they give back (a sixth of a small store's commit; no change on a
# 9-million-event store). A rebuild's batches scan millions of rows and keep them all.
ONE_THREAD_BELOW = 100_000

_ARTICLE = {ev.ARTICLE_DISCOVERED, ev.ARTICLE_FETCHED, ev.ARTICLE_FETCH_FAILED,
            ev.ARTICLE_EXTRACTED, ev.ARTICLE_EXTRACTION_FAILED, ev.STORY_CLUSTERED,
            ev.TOPIC_MATCHED, ev.TOPIC_UNMATCHED}
# The events that give each step work: a commit of polls skips the article steps, a
# commit of articles the alert step (each statement costs a millisecond or two even
# when it has nothing to do).
_WORK = {"apply_1_articles": _ARTICLE, "apply_2_mentions": _ARTICLE, "apply_3_stories": _ARTICLE,
         "apply_4_matches": _ARTICLE, "apply_8_counts": _ARTICLE,
         "apply_5_feeds": {ev.FEED_POLLED, ev.FEED_POLL_FAILED, ev.ARTICLE_DISCOVERED},
         "apply_6_alerts": {ev.ALERT_DECIDED, ev.ALERT_CLAIMED, ev.ALERT_SENT, ev.ALERT_FAILED},
         "apply_7_runs": None,  # every event counts in its run
         "apply_9_sources": {ev.FEED_CONFIGURED, ev.FEED_SUBSCRIBED},
         "apply_10_pages": {ev.ARTICLE_FETCHED, ev.ARTICLE_RECHECKED, ev.ARTICLE_REVISED,
                            ev.ARTICLE_REMOVED},
         "apply_11_ids": None}  # every event's id is kept
_WHEN = re.compile(r"--\s*when:\s*(.+)")


def _statements(text: str) -> list[tuple[str | None, str]]:
    """The statements of a step, each with its condition (None: always run), read from
    the comments that lead it."""
    found = []
    for statement in duckdb.extract_statements(text):
        lines = [line.strip() for line in statement.query.strip().splitlines()]
        leading = itertools.takewhile(lambda line: line.startswith("--") or not line, lines)
        when = [m.group(1).strip() for line in leading if (m := _WHEN.fullmatch(line))]
        found.append((" AND ".join(f"({w})" for w in when) or None, statement.query))
    return found


@functools.cache
def _steps() -> list[tuple[str, list]]:
    """The apply statements, read once a process, when it first commits."""
    return [(name, _statements(sql_text(f"projections/{name}"))) for name in APPLY]
assert set(_WORK) == set(APPLY), "every step of sql/projections says what gives it work"


def applied(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """The last seq the read models have applied, and the last seq of the log."""
    applied_seq = scalar(con, "SELECT applied_seq FROM newsmon_projections")
    last = scalar(con, "SELECT coalesce(max(seq), 0) FROM events")
    return applied_seq, last


def catch_up(con: duckdb.DuckDBPyConnection, batch: int = REBUILD_BATCH,
             max_batches: int | None = None) -> int:
    """Apply the events recorded since the read models' last applied seq, `batch` at a
    time (at most `max_batches` of them), in the caller's transaction. Returns how many
    events were applied."""
    done, last = applied(con)
    start, batches = done, 0
    threads = scalar(con, "SELECT current_setting('threads')")
    if last - done < ONE_THREAD_BELOW:
        con.execute("SET threads = 1")
    try:
        while done < last and (max_batches is None or batches < max_batches):
            upto = min(done + batch, last)
            _apply(con, done, upto)
            done, batches = upto, batches + 1
    finally:
        con.execute(f"SET threads = {int(threads)}")
    if done != start:
        con.execute("UPDATE newsmon_projections SET applied_seq = $seq", {"seq": done})
    return done - start


def _apply(con: duckdb.DuckDBPyConnection, after: int, upto: int) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE new_events AS "
                "SELECT * FROM events WHERE seq > $after AND seq <= $upto",
                {"after": after, "upto": upto})
    types = {t for (t,) in con.execute("SELECT DISTINCT type FROM new_events").fetchall()}
    for name, statements in _steps():
        work = _WORK[name]
        if work is None or types & work:
            for when, statement in statements:
                if when is None or scalar(con, f"SELECT {when}"):
                    con.execute(statement)


def reset(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every read model and make it again, empty, to be rebuilt from the log."""
    for table in TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(sql_text("projections/tables"))
    con.execute("UPDATE newsmon_projections SET applied_seq = 0")
