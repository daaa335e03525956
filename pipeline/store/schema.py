"""The store's tables and views, created and migrated when a writer opens it (I/O).

The log (`sql/schema.sql`) is created once and never rewritten, but for one old
migration. The read models (`sql/projections/tables.sql`) and the documented views
(`sql/views/`) carry a version, a hash of their definitions: when it changes, they are
dropped, made again and rebuilt from the log (`projections.rebuild`).
"""

from __future__ import annotations

import hashlib

import duckdb

from pipeline.core.resources import data_dir, sql_text
from pipeline.store.duck import roll_back, scalar

VIEWS = ("feed_polls", "feeds", "articles", "mentions", "mentions_as_tagged", "stories",
         "topic_daily", "topic_weekly", "topic_spikes", "topic_outlets", "topic_cooccurrence",
         "matches", "alerted", "alert_latency", "sources", "source_daily", "country_health",
         "revisions")
# Every read model, in the order tables.sql creates them.
TABLES = ("article_state", "mention_state", "match_log", "story_state", "poll_log", "feed_state",
          "feed_daily", "feed_lease", "feed_source", "alert_items", "alert_state", "run_log",
          "day_ingested", "topic_day", "topic_week", "article_pages", "event_keys")
# in the order of their numbers (apply_10 after apply_9)
APPLY = tuple(sorted((p.stem for p in (data_dir("sql") / "projections").glob("apply_*.sql")),
                     key=lambda stem: int(stem.split("_")[1])))


def _version() -> str:
    texts = [sql_text("projections/tables"), *(sql_text(f"projections/{a}") for a in APPLY),
             *(sql_text(f"views/{view}") for view in VIEWS)]
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


VERSION = _version()


def ensure(con: duckdb.DuckDBPyConnection) -> bool:
    """The log, the read models and the views, as this version defines them. Returns
    True when the read models were made anew (empty) and must be rebuilt from the log."""
    try:
        found = con.execute("SELECT version FROM newsmon_projections").fetchone()
    except duckdb.CatalogException:
        found = None
    if found and found[0] == VERSION and _views_present(con):
        return False
    con.execute("BEGIN")
    try:
        _drop_unique_key(con)
        con.execute(sql_text("schema"))
        for view in VIEWS:
            con.execute(f"DROP VIEW IF EXISTS {view}")
        fresh = not found or found[0] != VERSION
        if fresh:
            for table in (*TABLES, "newsmon_projections", "newsmon_schema"):
                con.execute(f"DROP TABLE IF EXISTS {table}")
            con.execute(sql_text("projections/tables"))
            con.execute("INSERT INTO newsmon_projections VALUES ($v, 0)", {"v": VERSION})
        for view in VIEWS:
            con.execute(sql_text(f"views/{view}"))
        con.execute("COMMIT")
    except BaseException:
        roll_back(con)
        raise
    return fresh


def _views_present(con: duckdb.DuckDBPyConnection) -> bool:
    found = scalar(con, "SELECT count(*) FROM duckdb_views() WHERE view_name IN $names",
                        {"names": list(VIEWS)})
    return found == len(VIEWS)  # nobody dropped one


def _drop_unique_key(con: duckdb.DuckDBPyConnection) -> None:
    """Files written before 0.2 kept `event_id` UNIQUE. DuckDB rewrites the whole index
    at every checkpoint, so each commit cost time in proportion to the log; the append's
    anti-join, under the one-writer lock, keeps ids unique instead. Copy the log once
    into a table without the index, in the same order."""
    keyed = scalar(con, "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'events' "
                        "AND constraint_type = 'UNIQUE'")
    if not keyed:
        return
    for view in VIEWS:
        con.execute(f"DROP VIEW IF EXISTS {view}")
    con.execute("ALTER TABLE events RENAME TO events_keyed")
    con.execute(sql_text("schema"))
    con.execute("INSERT INTO events SELECT * FROM events_keyed ORDER BY seq")
    con.execute("DROP TABLE events_keyed")
