"""Appends: the store's idempotent append (events to Arrow, skip ids already recorded,
one transaction and one connection per batch, so other processes can read between
commits) against a bare DuckDB insert of the same events (the plainest Arrow table of
them, inserted into the same table on one open connection). Batches of the size the
pipeline commits (the events of 200 articles), and one batch of all (an Airflow commit)."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.core import events as ev
from pipeline.core.resources import sql_text
from pipeline.store import FileStore

ARTICLES = 20_000
BATCH = 200  # articles per commit, as pipeline.cycle.COMMIT_EVERY


def article_events(n: int) -> list[list[ev.Event]]:
    """The events of `n` articles in batches: discovered, fetched, extracted (3 kB of
    text), one match; the shape of a real run."""
    at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    text = ("Los pobladores de Azángaro bloquearon la carretera hacia Juliaca. " * 45)[:3000]
    batches, batch = [], []
    for i in range(n):
        article, when = f"a{i:08d}", at + timedelta(seconds=i)
        batch += [
            ev.article_discovered(article, "andina", when, url=f"https://andina.pe/n/{i}",
                                  title=f"Noticia {i}", published=when.isoformat()),
            ev.article_fetched(article, 1, when, url=f"https://andina.pe/n/{i}", status=200,
                               bytes=85_000, content_sha256=f"{i:064x}"),
            ev.article_extracted(article, 1, when, title=f"Noticia {i}", text=text,
                                 language="es", published=when.isoformat(), word_count=450),
            ev.topic_matched(article, "puno-protests", "v1", when, score=2.0,
                             terms=[{"term": "bloquearon", "start": 25, "end": 35}],
                             snippet=text[:200]),
        ]
        if len(batch) >= BATCH * 4:
            batches.append(batch)
            batch = []
    return batches + ([batch] if batch else [])


def ours(batches: list[list[ev.Event]], folder: Path) -> float:
    store = FileStore(folder / "ours.duckdb")
    started = time.perf_counter()
    for batch in batches:
        store.append(batch, "bench")
    return time.perf_counter() - started


def plain_arrow(events: list[ev.Event]) -> pa.Table:
    """The events as an Arrow table, the plainest way."""
    return pa.Table.from_pylist([
        {"ord": i, "event_id": e.event_id, "type": e.type, "stream": e.stream,
         "occurred_at": e.occurred_at, "schema_version": 1,
         "payload": json.dumps(e.payload, ensure_ascii=False, default=str),
         "feed_id": e.feed_id, "article_id": e.article_id, "topic": e.topic}
        for i, e in enumerate(events)])


def bare(batches: list[list[ev.Event]], folder: Path) -> float:
    started = time.perf_counter()
    con = duckdb.connect(str(folder / "bare.duckdb"))
    con.execute(sql_text("schema"))
    seq = 0
    for batch in batches:
        table = plain_arrow(batch)
        con.register("batch", table)
        con.execute("INSERT INTO events SELECT ord + $seq, event_id, type, stream, occurred_at, "
                    "now(), 'bench', schema_version, payload::JSON, feed_id, article_id, topic "
                    "FROM batch", {"seq": seq})
        con.unregister("batch")
        seq += table.num_rows
    con.close()
    return time.perf_counter() - started


def run() -> list[tuple[str, str, str]]:
    batches = article_events(ARTICLES)
    count = sum(len(b) for b in batches)
    whole = [[e for b in batches for e in b]]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label, shape in ((f"one commit of {count:,} events (an Airflow commit task)", whole),
                             (f"{len(batches)} commits of {BATCH} articles (`newsmon run`'s committer)",
                              batches)):
            for _ in range(2):  # the second pair is the one reported: caches warm
                for name in ("ours.duckdb", "bare.duckdb"):
                    (folder / name).unlink(missing_ok=True)
                mine, theirs = ours(shape, folder), bare(shape, folder)
            with duckdb.connect(str(folder / "ours.duckdb"), read_only=True) as con:
                assert con.execute("SELECT count(DISTINCT event_id) FROM events").fetchone()[0] == count
            fixed = 1000 * (mine - theirs) / len(shape)
            rows.append((label, f"ours {count / mine:,.0f} events/s, bare {count / theirs:,.0f}/s"
                         + (f"; {fixed:.0f} ms more per commit" if len(shape) > 1 else ""),
                         f"{theirs / mine:.2f} of bare Arrow insert"))
        again = ours(batches[-5:], folder)  # all already recorded: every id is skipped
    rows.append((f"re-append {BATCH} articles already in a log of {count:,} events",
                 f"{1000 * again / 5:.0f} ms per commit", ""))
    return rows
