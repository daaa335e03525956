"""The per-article target's budget: what each part of newsmon's work on a page costs in
newsmon's own code, in one process, on the same pages in the same run, beside the bare
loop it is measured against (urllib fetch + trafilatura with newsmon's settings). The
target (at least 0.85 of the bare loop's pace) leaves newsmon 0.176 of the bare loop's
time a page for everything it adds; the rows below say where that goes. CPU time of the
process (fetching: of the client's thread alone; the site server runs in threads of its
own). Medians of 3 rounds, the parts one after another within each round (the bare
extraction and the worker's page by page in turn)."""

from __future__ import annotations

import asyncio
import gzip
import pickle
import statistics
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import trafilatura

from bench.common import pages
from pipeline.core import events as ev
from pipeline.core.settings import Settings
from pipeline.demo.siteserver import SiteServer
from pipeline.extract.page import OPTIONS, decode
from pipeline.extract.worker import Page, analyse
from pipeline.ingest import archive
from pipeline.ingest.net import Fetcher
from pipeline.runs.cycle import COMMIT_EVERY
from pipeline.store import FileStore
from pipeline.stories.clustering import Clusterer
from pipeline.topics.definitions import load_topics
from pipeline.topics.tagging import Tagger

TARGET = 0.85
ROUNDS = 3
FETCH = "fetch through the SSRF guard (httpx)"
WORKER = "worker: decode, extract, recall, boilerplate, dates, language, MinHash, tagging"
COMMITS = f"commit with the read models (batches of {COMMIT_EVERY}, a new store)"
CLUSTERING = "story clustering (the assignments alone, not their own commit)"


def cpu(work: Callable[[], object], clock: Callable[[], float] = time.process_time) -> float:
    started = clock()
    work()
    return clock() - started


def run() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-budget-") as tmp:
        return measure(Path(tmp))


def measure(folder: Path) -> list[tuple[str, str, str]]:
    raw = pages()
    site = folder / "site"
    site.mkdir()
    for name, body in raw:  # stored compressed: served as the site stores them
        (site / name).write_bytes(gzip.compress(body))
    tagger = Tagger(load_topics())
    at = datetime(2027, 1, 5, tzinfo=timezone.utc)
    with SiteServer(site) as server:
        urls = [f"{server.origin}/{name.removesuffix('.gz')}" for name, _ in raw]
        settings = Settings(db=str(folder / "x.duckdb"), allow_hosts=frozenset({server.host_port}),
                            offline=True)
        bodies: list[bytes] = []

        def bare_fetch() -> None:
            bodies.clear()
            for url in urls:
                with urllib.request.urlopen(url, timeout=30) as response:
                    bodies.append(response.read())

        def newsmon_fetch() -> None:
            async def all_pages() -> None:
                async with Fetcher(settings) as fetcher:
                    await asyncio.gather(*(fetcher.get(u, max_bytes=10_000_000) for u in urls))
            asyncio.run(all_pages())

        bare_fetch()

        def committing(pages_: list[Page], found: list[list[ev.Event]], r: int) -> Callable[[], object]:
            """The pages' commits as a run makes them (their discoveries committed before,
            with the polls), on a new store."""
            store = FileStore(folder / f"commit{r}.duckdb")
            store.append([ev.article_discovered(p.article_id, "f1", at - timedelta(minutes=1), url=p.url,
                                                title=p.article_id) for p in pages_], "bench")
            per_page = [[ev.article_fetched(p.article_id, 1, at, url=p.url, status=200), *events]
                        for p, events in zip(pages_, found)]
            batches = [[e for events in per_page[i:i + COMMIT_EVERY] for e in events]
                       for i in range(0, len(per_page), COMMIT_EVERY)]
            return lambda: [store.append(b, "bench") for b in batches]

        def clustering(found: list[list[ev.Event]]) -> Callable[[], object]:
            extracted = [e for events in found for e in events if e.type == ev.ARTICLE_EXTRACTED]

            def assign() -> None:
                clusterer = Clusterer([], lambda ids: {})
                for e in extracted:
                    clusterer.assign(e.article_id, e.payload["text"], e.payload["minhash"])
            return assign

        def one_round(r: int) -> dict[str, float]:
            pages_ = [Page(f"r{r}-{i}", 1, u, b, None, None, None)  # ids new for each commit
                      for i, (u, b) in enumerate(zip(urls, bodies))]
            found: list[list[ev.Event]] = []
            # the bare extraction and the worker's, page by page in turn: the machine's
            # spells move both alike
            bare_pages = worker_pages = 0.0
            for page in pages_:
                bare_pages += cpu(lambda page=page: trafilatura.bare_extraction(
                    decode(page.body, None), url=page.url, **OPTIONS))
                worker_pages += cpu(lambda page=page: found.append(analyse(page, tagger, at)))
            measured = {
                "bare: urllib fetch": cpu(bare_fetch, time.thread_time),
                "bare: trafilatura": bare_pages,
                FETCH: cpu(newsmon_fetch, time.thread_time),
                WORKER: worker_pages,
                "page to a worker and its events back (pickled, not sent)":
                    cpu(lambda: [pickle.loads(pickle.dumps(p)) and pickle.loads(pickle.dumps(f))
                                 for p, f in zip(pages_, found)]),
                "WARC record": cpu(lambda: [archive.record(p.url, 200, {"content-type": "text/html"},
                                                           p.body, at, f"{i:032x}")
                                            for i, p in enumerate(pages_)]),
            }
            measured[COMMITS] = cpu(committing(pages_, found, r))
            measured[CLUSTERING] = cpu(clustering(found))
            return {name: seconds * 1000 / len(raw) for name, seconds in measured.items()}

        rounds = [one_round(r) for r in range(ROUNDS)]
    ms = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    bare = ms["bare: urllib fetch"] + ms["bare: trafilatura"]
    allowance = bare * (1 / TARGET - 1)
    added = {FETCH: ms[FETCH] - ms["bare: urllib fetch"], WORKER: ms[WORKER] - ms["bare: trafilatura"]}
    beyond = {FETCH: " beyond urllib's", WORKER: " beyond bare trafilatura's"}
    rows = [("bare loop, a page", f"{bare:.2f} ms ({ms['bare: urllib fetch']:.2f} fetch, "
             f"{ms['bare: trafilatura']:.2f} extraction; {len(raw)} pages)", "1.0 (the yardstick)"),
            ("what the target leaves for newsmon's additions", f"{allowance:.2f} ms a page",
             f"{allowance / bare:.3f} of the bare loop")]
    total = 0.0
    for name in (FETCH, WORKER, "page to a worker and its events back (pickled, not sent)",
                 "WARC record", COMMITS, CLUSTERING):
        cost = added.get(name, ms[name])
        total += cost
        rows.append((name, f"{cost:.2f} ms a page{beyond.get(name, '')}",
                     f"{cost / allowance:.2f} of the allowance"))
    rows.append(("all of the above", f"{total:.2f} ms a page",
                 f"{total / allowance:.2f} of the allowance; in one process, at best "
                 f"{bare / (bare + total):.2f} of the bare loop (target {TARGET})"))
    return rows
