"""The read side on a synthetic log of 10 million events (about 2 million articles from
200 feeds over two years, a quarter of them matching one of three topics and saying so
in a sentence of their text), and on one a hundred times smaller: the views, read from
the read models, against one full scan of the events table (payload included) on the
same data in the same run; rebuilding the read models from the log against the time
the views that replayed the log took to compute the same tables once
(tests/reference_views); a commit of 200 articles' events with its read models against
the same append without them; `newsmon search` against the same scan; and whole
commands on the large log against the small one."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from bench.common import CHECKOUT, best_of
from pipeline.core import events as ev
from pipeline.demo.siteserver import SiteServer
from pipeline.store import FileStore, projections
from pipeline.store import base as store_base
from pipeline.store.schema import VIEWS

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
                       'published', strftime(ts, '%Y-%m-%dT%H:%M:%S+00:00'),
                       'poll', 'p' || (i // 50)) AS payload
    FROM a
    UNION ALL
    SELECT i, 1, 'ArticleFetched', article_id, NULL, NULL, ts,
           json_object('attempt', 1, 'status', 200, 'bytes', 50000, 'content_type', 'text/html') FROM a
    UNION ALL
    SELECT i, 2, 'ArticleExtracted', article_id, NULL, NULL, ts,
           json_object('attempt', 1, 'title', 'title ' || i, 'text', CASE WHEN i % 4 = 0 THEN [
                           'Una empresa estatal china compró el puerto de Chancay. ',
                           'Irán y Venezuela firmaron un acuerdo de cooperación militar. ',
                           'Bloqueo de carreteras en Puno por el paro regional. '][i % 3 + 1]
                           ELSE '' END || repeat('palabra ', 40) || 'tema' || (i % 5000),
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

# How each view is read: aggregates whole, the per-article ones counted.
QUERIES = {view: f"SELECT count(*) FROM {view}" for view in VIEWS}
QUERIES.update({v: f"SELECT * FROM {v}" for v in (
    "topic_daily", "topic_weekly", "topic_spikes", "topic_outlets", "topic_cooccurrence", "feeds")})


def make(folder: Path, articles: int) -> FileStore:
    """A log of `articles` articles' events written straight into the events table, as a
    log grown outside newsmon would be: its read models are then built from it."""
    store = FileStore(folder / f"log-{articles}.duckdb")
    with store.writer() as con:
        con.execute(GENERATE, {"n": articles})
    return store


def reference_tables(store: FileStore) -> float:
    """Seconds the views that replayed the log take to compute their tables once."""
    with store.writer() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS ref")
        for view in VIEWS:
            text = (CHECKOUT / "tests" / "reference_views" / f"{view}.sql").read_text()
            con.execute(text.replace(f"VIEW {view} ", f"VIEW ref.{view} "))
        started = time.perf_counter()
        for view in VIEWS:
            con.execute(f"CREATE OR REPLACE TEMP TABLE t AS SELECT * FROM ref.{view}")
        return time.perf_counter() - started


def commit_batch(first: int, at: datetime) -> list[ev.Event]:
    """The events a commit of 200 fetched articles carries: fetched, extracted, a quarter
    matched (their discoveries were committed with their polls, before)."""
    found = []
    for i in range(first, first + 200):
        a = f"new{i}"
        fetched = ev.article_fetched(a, 1, at, url=f"https://e.org/new/{i}", status=200)
        found.append(fetched)
        found.append(ev.article_extracted(a, 1, at, title=f"t{i}", text="palabra " * 400,
                                          language="es", published=at.isoformat(),
                                          date_source="page", site="Site 1"))
        if i % 4 == 0:
            found.append(ev.topic_matched(a, "puno-protests", "v1", at, score=1.0, snippet="s",
                                          terms=[]))
    return found


def discoveries(first: int, at: datetime) -> list[ev.Event]:
    return [ev.article_discovered(f"new{i}", "f1", at, url=f"https://e.org/new/{i}",
                                  title=f"t{i}") for i in range(first, first + 200)]


def commits(store: FileStore, rounds: int = 5) -> tuple[float, float]:
    """Median seconds of a commit of 200 articles' events without its read models (the
    append alone), and with them."""
    at = datetime(2027, 1, 5, tzinfo=timezone.utc)
    alone, whole = [], []
    keep = projections.catch_up
    for r in range(rounds):
        store.append(discoveries(1000 * r, at), "bench")
        store_base.projections.catch_up = lambda con, **kw: 0  # the append alone
        try:
            started = time.perf_counter()
            store.append(commit_batch(1000 * r, at), "bench")
            alone.append(time.perf_counter() - started)
        finally:
            store_base.projections.catch_up = keep
        store.refresh()
        store.append(discoveries(1000 * r + 500, at), "bench")
        started = time.perf_counter()
        store.append(commit_batch(1000 * r + 500, at), "bench")
        whole.append(time.perf_counter() - started)
    return statistics.median(alone), statistics.median(whole)


def command(store: FileStore, *args: str, env: dict[str, str] | None = None) -> float:
    """Seconds a whole `newsmon` command takes on this store (its best of three)."""
    def once():
        done = subprocess.run([sys.executable, "-m", "pipeline", *args, "--db", str(store.path)],
                              capture_output=True, text=True, cwd=store.path.parent,
                              env={**os.environ, **(env or {})})
        if done.returncode:
            raise RuntimeError(f"newsmon {args[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return best_of(3, once)


@contextmanager
def quiet_run(folder: Path) -> Iterator[dict[str, str]]:
    """The settings of a `newsmon run` that finds nothing new on these logs: the log's 200
    feeds, served on loopback with nothing in them, and nobody to alert. Rechecks are
    off: the log never recorded one, so every matched article of its last two weeks would
    be due at once, a backlog no running system has."""
    site = folder / "site"
    site.mkdir()
    (site / "feed.xml").write_text('<?xml version="1.0"?><rss version="2.0"><channel>'
                                   "<title>quiet</title><link>https://e.org/</link>"
                                   "</channel></rss>")
    alerts = folder / "alerts.json"
    alerts.write_text(json.dumps({"from": "bench@example.org", "recipients": []}))
    with SiteServer(site) as server:
        feeds = folder / "feeds.json"
        feeds.write_text(json.dumps({"feeds": [{"id": f"f{i}", "url": f"{server.origin}/feed.xml"}
                                               for i in range(200)]}))
        yield {"NEWSMON_FEEDS": str(feeds), "NEWSMON_ALERTS": str(alerts),
               "NEWSMON_RECHECK": "off", "NEWSMON_OFFLINE": "1",
               "NEWSMON_ALLOW_HOSTS": server.host_port}


def searches(store: FileStore, scan: float, index: Path) -> list[tuple[str, str, str]]:
    """`newsmon search`: the index built once, then queries against one full scan."""
    from pipeline.topics.definitions import load_topics
    from pipeline.topics.search import search
    topics = load_topics()
    started = time.perf_counter()
    search(store, topics, "Puno", index, limit=1)
    built = time.perf_counter() - started
    rows = [("search index, built once after a change", f"{built:.1f} s",
             f"{built / scan:.1f}x a full scan")]
    for query in ("Puno NEAR/s bloque*", "@chinese-buyer NEAR/s1 @acquisition", "Chancay"):
        seconds = best_of(3, lambda query=query: search(store, topics, query, index))
        rows.append((f"search {query!r}", f"{seconds * 1000:.0f} ms",
                     f"{seconds / scan:.3f}x a full scan (target 0.1x)"))
    at, later = datetime(2027, 2, 1, tzinfo=timezone.utc), []
    for r in range(3):  # the index brought up to date with what a commit added
        store.append(discoveries(100_000 + 1000 * r, at), "bench")
        store.append(commit_batch(100_000 + 1000 * r, at), "bench")
        started = time.perf_counter()
        search(store, topics, "Chancay", index)
        later.append(time.perf_counter() - started)
    after = statistics.median(later)
    rows.append(("search 'Chancay' after a commit of 200 articles", f"{after * 1000:.0f} ms",
                 f"{after / scan:.3f}x a full scan"))
    return rows


def run() -> list[tuple[str, str, str]]:
    folder = Path(tempfile.mkdtemp(prefix="newsmon-bench-readside-"))
    stack = ExitStack()
    try:
        big, small = make(folder, ARTICLES), make(folder, ARTICLES // 100)
        rows = []
        replayed = reference_tables(big)
        started = time.perf_counter()
        applied = big.rebuild()
        rebuilt = time.perf_counter() - started
        small.rebuild()
        rows.append(("rebuild of the read models", f"{applied:,} events: {rebuilt:.1f} s",
                     f"{rebuilt / replayed:.2f}x the views that replayed the log computing "
                     f"their tables once ({replayed:.1f} s; target 2x)"))
        with big.reader() as con:
            scan = best_of(3, lambda: con.execute(
                "SELECT count(*), sum(length(CAST(payload AS VARCHAR))) FROM events").fetchall())
            rows.append(("full scan of events", f"{applied:,} events: {scan:.2f} s", "1.0 (the yardstick)"))
            for view, query in QUERIES.items():
                seconds = best_of(3, lambda query=query: con.execute(query).fetchall())
                rows.append((view, f"{seconds * 1000:.0f} ms",
                             f"{seconds / scan:.3f}x a full scan (target 0.2x)"))
        alone, whole = commits(big)
        rows.append(("a commit of 200 articles' events", f"{whole * 1000:.0f} ms, the append "
                     f"alone {alone * 1000:.0f} ms", f"{whole / alone:.2f}x the append alone (target 1.3x)"))
        rows += searches(big, scan, folder / "big.search")
        report = folder / "report.html"
        quiet = stack.enter_context(quiet_run(folder))
        commands = [("newsmon status", ("status",), None), ("newsmon trends", ("trends",), None),
                    ("newsmon report", ("report", "--out", str(report)), None),
                    ("newsmon run, finding nothing new", ("run",), quiet)]
        for name, args, env in commands:
            large, little = command(big, *args, env=env), command(small, *args, env=env)
            rows.append((name, f"{large:.2f} s at {applied:,} events, "
                         f"{little:.2f} s at {applied // 100:,}",
                         f"{large / little:.2f}x (target 1.5x)"))
        return rows
    finally:
        stack.close()
        shutil.rmtree(folder, ignore_errors=True)
