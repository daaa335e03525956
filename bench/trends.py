"""Trend queries on a synthetic log of 10 million events (about 2 million articles from
200 feeds over two years, a quarter of them matching one of three topics): each view's
time as a multiple of one full scan of the events table (payload included) on the same
data in the same run."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

from bench.common import best_of
from pipeline.store.base import Store

ARTICLES = int(os.environ.get("BENCH_ARTICLES", 2_000_000))

GENERATE = """
INSERT INTO events
WITH a AS (
    SELECT i, 'a' || i AS article_id, 'f' || (i % 200) AS feed_id,
           TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_seconds(CAST(i * 63072000 / $n AS BIGINT)) AS ts
    FROM range($n) AS t(i)
), facts AS (
    SELECT i, 0 AS k, 'ArticleDiscovered' AS type, article_id, feed_id, NULL AS topic, ts,
           json_object('feed_id', feed_id, 'url', 'https://e.org/' || i, 'title', 'title ' || i,
                       'published', strftime(ts, '%Y-%m-%dT%H:%M:%S+00:00'), 'poll', 'p' || (i // 50)) AS payload
    FROM a
    UNION ALL
    SELECT i, 1, 'ArticleFetched', article_id, NULL, NULL, ts,
           json_object('attempt', 1, 'status', 200, 'bytes', 50000, 'content_type', 'text/html') FROM a
    UNION ALL
    SELECT i, 2, 'ArticleExtracted', article_id, NULL, NULL, ts,
           json_object('attempt', 1, 'title', 'title ' || i, 'text', repeat('palabra ', 40),
                       'language', CASE WHEN i % 3 = 0 THEN 'en' ELSE 'es' END,
                       'published', strftime(ts, '%Y-%m-%dT%H:%M:%S+00:00'), 'date_source', 'feed',
                       'site', 'Site ' || (i % 200), 'word_count', 40) FROM a
    UNION ALL
    SELECT i, 3, 'StoryClustered', article_id, NULL, NULL, ts,
           json_object('story_id', 'a' || (i - i % 3), 'method', 'm') FROM a
    UNION ALL
    SELECT i, 4, 'TopicMatched', article_id, NULL,
           ['china-acquisitions', 'iran-ties', 'puno-protests'][i % 3 + 1], ts,
           json_object('topic', ['china-acquisitions', 'iran-ties', 'puno-protests'][i % 3 + 1],
                       'ruleset_version', 'v1', 'score', 2.0, 'snippet', 'una frase', 'terms', [])
    FROM a WHERE i % 4 = 0
    UNION ALL
    SELECT i, 5, 'FeedPolled', NULL, feed_id, NULL, ts,
           json_object('poll_no', i // 200, 'url', 'https://e.org/feed', 'status', 200,
                       'not_modified', false, 'entries', 50)
    FROM a WHERE i % 10 < 4
)
SELECT row_number() OVER (ORDER BY i, k), md5(type || i), type,
       coalesce(article_id, feed_id), ts, ts, 'bench', 1, payload,
       coalesce(feed_id, CASE WHEN type = 'ArticleDiscovered' THEN feed_id END), article_id, topic
FROM facts
"""

QUERIES = {
    "topic_daily (daily volume, shares, rolling means)": "SELECT * FROM topic_daily",
    "topic_weekly": "SELECT * FROM topic_weekly",
    "topic_spikes": "SELECT * FROM topic_spikes",
    "topic_outlets": "SELECT * FROM topic_outlets",
    "topic_cooccurrence": "SELECT * FROM topic_cooccurrence",
    "feeds (health)": "SELECT * FROM feeds",
    "stories (count)": "SELECT count(*) FROM stories",
    "mentions (count)": "SELECT count(*) FROM mentions",
}


def run() -> list[tuple[str, str, str]]:
    folder = Path(tempfile.mkdtemp(prefix="newsmon-bench-trends-"))
    store = Store(folder / "big.duckdb")
    with store.writer() as con:  # schema and views
        con.execute(GENERATE, {"n": ARTICLES})
    con = duckdb.connect(str(store.path), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    events = con.execute("SELECT count(*) FROM events").fetchone()[0]
    scan = best_of(3, lambda: con.execute(
        "SELECT count(*), sum(length(CAST(payload AS VARCHAR))) FROM events").fetchall())
    rows = [("full scan of events", f"{events:,} events: {scan:.2f} s", "1.0 (the yardstick)")]
    for name, query in QUERIES.items():
        seconds = best_of(2, lambda: con.execute(query).fetchall())
        rows.append((name, f"{seconds:.2f} s", f"{seconds / scan:.1f}x a full scan"))
    con.close()
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    return rows
