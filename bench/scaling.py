"""Scaling with the number of feeds: 100, 1,000 and 10,000 synthetic RSS feeds (5 items
each) on loopback, into a fresh DuckDB file. A first poll finds every item new; a second,
with 5% of the feeds changed, is the steady state of an hourly schedule (most answer 304).
Then the articles are planned, which reads the whole log. Each size runs in a process
of its own; CPU is newsmon's process time, wall is the stage's time, both per feed (per
article for planning) so flat rows mean linear growth. Bare httpx sends the same
conditional GETs with the same concurrency. The last rows size a cluster for 100,000
feeds from these figures and the pipeline section's extraction cost (see
docs/production.md, "Sizing")."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from bench.common import peak_mb
from bench.polling import CONCURRENCY, bare_polls, on_feeds, write_feed

SIZES = (100, 1_000, 10_000)
CHANGED = 0.05
# For the sizing: an hourly schedule, and new articles per feed per day (a busy
# national outlet's section feed publishes 20-60 a day, a regional one a few).
POLLS_PER_DAY = 24
ARTICLES_PER_FEED_DAY = 20
TARGET_FEEDS = 100_000


# -- in the child process ----------------------------------------------------------

def run_child(origin: str, folder: str, db: str, feeds: str) -> dict:
    from pipeline.core.config import AlertsFile, FeedsFile
    from pipeline.core.settings import Settings
    from pipeline.ingest.articles import plan_articles
    from pipeline.runs import cycle
    from pipeline.runs.context import Context, Report
    from pipeline.store import open_store
    from pipeline.topics.definitions import load_topics

    n = int(feeds)
    settings = Settings(db=Path(db), allow_hosts=frozenset({origin.removeprefix("http://")}),
                        offline=True, concurrency=CONCURRENCY, per_host=CONCURRENCY)
    feed_file = FeedsFile.model_validate({"feeds": [
        {"id": f"f{i}", "url": f"{origin}/f{i}.xml"} for i in range(n)]})
    ctx = Context(settings=settings, store=open_store(settings), feeds=feed_file,
                  topics=load_topics(), alerts=AlertsFile.model_validate({"from": "a@b.c"}),
                  run_id="bench")

    def timed(work) -> tuple[float, float, object]:
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        return time.perf_counter() - wall, time.process_time() - cpu, result

    first = timed(lambda: cycle.poll_stage(ctx, Report()))
    etags = dict(ctx.store.sql("SELECT feed_id, arg_max(payload->>'etag', seq) FROM events "
                               "WHERE type = 'FeedPolled' GROUP BY feed_id")[1])
    step = max(1, round(1 / CHANGED))
    for i in range(0, n, step):
        write_feed(Path(folder), i, 2)
    report = Report()
    second = timed(lambda: cycle.poll_stage(ctx, report))
    planned = timed(lambda: plan_articles(ctx.store, settings))

    # twice, the faster counted: a first round pays for imports and the client's set-up
    bare_wall, bare_cpu, unchanged = min(timed(lambda: asyncio.run(bare_polls(origin, etags, n)))
                                         for _ in range(2))
    events, size = ctx.store.sql("SELECT count(*), 0 FROM events")[1][0][0], Path(db).stat().st_size
    return {"feeds": n, "first": first[:2], "second": second[:2], "plan": planned[:2],
            "articles": len(planned[2][0]), "bare": (bare_wall, bare_cpu),
            "unchanged": unchanged, "events": events, "db_mb": size / 2**20,
            "rss_mb": peak_mb()}


# -- in the benchmark process ------------------------------------------------------

def ms(seconds: float, per: int) -> str:
    return f"{1000 * seconds / per:.2f}"


def extraction_cpu_per_article() -> float | None:
    """Seconds of CPU per article end to end, from the pipeline section of results.md
    (1 core: articles/s), if it has been run."""
    import re

    results = Path(__file__).resolve().parent / "results.md"
    text = results.read_text(encoding="utf-8") if results.exists() else ""
    found = re.search(r"newsmon run, 1 core \(1 worker\) \| ([\d.]+) articles/s", text)
    return 1 / float(found.group(1)) if found else None


def run() -> list[tuple[str, str, str]]:
    rows, found = [], [on_feeds("bench.scaling", n, str(n)) for n in SIZES]
    for r in found:
        n = r["feeds"]
        rows.append((f"{n:,} feeds, first poll (all {5 * n:,} items new)",
                     f"{ms(r['first'][0], n)} ms/feed wall, {ms(r['first'][1], n)} ms/feed CPU", ""))
        rows.append((f"{n:,} feeds, second poll ({r['unchanged']:,} answer 304)",
                     f"{ms(r['second'][0], n)} ms/feed wall, {ms(r['second'][1], n)} ms/feed CPU; "
                     f"bare httpx {ms(r['bare'][0], n)} wall, {ms(r['bare'][1], n)} CPU",
                     f"{r['bare'][0] / r['second'][0]:.2f} of bare httpx"))
        rows.append((f"{n:,} feeds, plan {r['articles']:,} articles from a log of {r['events']:,} events",
                     f"{ms(r['plan'][0], r['articles'])} ms/article; log {r['db_mb']:.1f} MB; "
                     f"peak RSS {r['rss_mb']:.0f} MB", ""))
    small, big = found[0], found[-1]
    growth = (big["second"][1] / big["feeds"]) / (small["second"][1] / small["feeds"])
    rows.append((f"growth of steady-poll CPU per feed, {small['feeds']:,} to {big['feeds']:,} feeds",
                 "", f"{growth:.2f}x (1.0 = linear)"))
    # Sizing a cluster for TARGET_FEEDS from the steady state of the largest run.
    poll_cpu = big["second"][1] / big["feeds"]
    per_article = extraction_cpu_per_article()
    poll_cores = TARGET_FEEDS * POLLS_PER_DAY * poll_cpu / 86_400
    rows.append((f"{TARGET_FEEDS:,} feeds polled hourly: CPU for polling",
                 f"{TARGET_FEEDS * POLLS_PER_DAY:,} polls a day x {1000 * poll_cpu:.2f} ms",
                 f"{poll_cores:.2f} cores on average"))
    if per_article:
        articles = TARGET_FEEDS * ARTICLES_PER_FEED_DAY
        cores = articles * per_article / 86_400
        rows.append((f"{TARGET_FEEDS:,} feeds x {ARTICLES_PER_FEED_DAY} new articles a day: "
                     "CPU for fetch, extract, tag, commit",
                     f"{articles:,} articles x {1000 * per_article:.1f} ms (pipeline section, 1 core)",
                     f"{cores:.1f} cores on average"))
    return rows


if __name__ == "__main__":
    print(json.dumps(run_child(*sys.argv[1:])))
