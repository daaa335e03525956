"""Polling: 1,000 feeds on loopback, polled once (all new), then again with 5% of them
changed, so that most answer 304 Not Modified. newsmon's poll stage (plan from the log,
conditional GETs, content hash, parse what changed, commit) against bare httpx sending
the same conditional GETs with the same concurrency. All feeds are on one loopback
host, so the per-host limit is raised to the global one for both."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import CHECKOUT
from bench.pipeline import site_server

FEEDS = 1000
CHANGED = 50
CONCURRENCY = 32


def write_feed(folder: Path, i: int, version: int) -> None:
    items = "".join(f"<item><title>Nota {i}-{version}-{k}</title>"
                    f"<link>{{{{origin}}}}/n/{i}/{version}/{k}.html</link></item>" for k in range(5))
    (folder / f"f{i}.xml").write_text(
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Feed {i}</title>"
        f"<link>{{{{origin}}}}/</link>{items}</channel></rss>", encoding="utf-8")


# -- in the child process ----------------------------------------------------------

async def bare_polls(origin: str, etags: dict, feeds: int) -> int:
    """Bare httpx: the same conditional GETs with the same concurrency; how many got 304."""
    import httpx

    limit = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=CONCURRENCY)) as client:
        async def one(i: int) -> int:
            async with limit:
                headers = {"If-None-Match": etags[f"f{i}"]} if etags.get(f"f{i}") else {}
                return (await client.get(f"{origin}/f{i}.xml", headers=headers)).status_code
        return sum(s == 304 for s in await asyncio.gather(*(one(i) for i in range(feeds))))


def run_child(origin: str, folder: str, db: str) -> dict:
    from pipeline.core.config import AlertsFile, FeedsFile
    from pipeline.core.settings import Settings
    from pipeline.runs import cycle
    from pipeline.runs.context import Context, Report
    from pipeline.store import open_store
    from pipeline.topics.definitions import load_topics

    settings = Settings(db=Path(db), allow_hosts=frozenset({origin.removeprefix("http://")}),
                        offline=True, concurrency=CONCURRENCY, per_host=CONCURRENCY)
    feeds = FeedsFile.model_validate({"feeds": [
        {"id": f"f{i}", "url": f"{origin}/f{i}.xml"} for i in range(FEEDS)]})
    ctx = Context(settings=settings, store=open_store(settings), feeds=feeds, topics=load_topics(),
                  alerts=AlertsFile.model_validate({"from": "a@b.c"}), run_id="bench")
    cycle.poll_stage(ctx, Report())
    etags = dict(ctx.store.sql("SELECT feed_id, arg_max(payload->>'etag', seq) FROM events "
                               "WHERE type = 'FeedPolled' GROUP BY feed_id")[1])
    for i in range(CHANGED):
        write_feed(Path(folder), i * (FEEDS // CHANGED), 2)
    report = Report()
    started = time.perf_counter()
    cycle.poll_stage(ctx, report)
    ours = time.perf_counter() - started

    started = time.perf_counter()
    unchanged = asyncio.run(bare_polls(origin, etags, FEEDS))
    theirs = time.perf_counter() - started
    return {"ours": ours, "bare": theirs, "unchanged": unchanged,
            "new_items": report.appended["ArticleDiscovered"], "polled": report.feeds_polled}


# -- in the benchmark process ------------------------------------------------------

def on_feeds(module: str, feeds: int, *args: str) -> dict:
    """`module`'s run_child in a process of its own, against `feeds` synthetic feeds
    served on loopback, into a fresh DuckDB file; what it printed, as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "site"
        folder.mkdir()
        for i in range(feeds):
            write_feed(folder, i, 1)
        with site_server(folder, sorted(os.sched_getaffinity(0))) as origin:
            out = subprocess.run([sys.executable, "-m", module, origin, str(folder),
                                  str(Path(tmp) / "feeds.duckdb"), *args], cwd=CHECKOUT,
                                 capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> list[tuple[str, str, str]]:
    results = [on_feeds("bench.polling", FEEDS) for _ in range(3)]
    r = sorted(results, key=lambda r: r["bare"] / r["ours"])[1]
    return [(f"second poll of {FEEDS:,} feeds, {r['unchanged']} answering 304",
             f"ours {1000 * r['ours'] / FEEDS:.2f} ms/feed, bare httpx {1000 * r['bare'] / FEEDS:.2f} "
             f"ms/feed ({r['new_items']} new items committed)",
             f"{r['bare'] / r['ours']:.2f} of bare httpx (median of 3)")]


if __name__ == "__main__":
    print(json.dumps(run_child(*sys.argv[1:])))
