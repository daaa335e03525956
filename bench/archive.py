"""Archive: the fetch stage (plan aside: SSRF-safe GET of each page, the ArticleFetched
event, and nothing done with the page after) over the demo pages served ten times over
on loopback (480 pages), with each page kept as a WARC record and without, in turns
in one process; the pages are served by another process, as a real server is elsewhere
(served from a thread of this one, the server's own work competed with the archive's for
this process, and was counted as the archive's). Ratio: time with the archive over time
without (target at most 1.10), and the process's peak memory after each (no growth)."""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import socket
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bench.pipeline import build_site

COPIES, ROUNDS = 10, 9


def fetch_all(origin: str, site: Path, folder: Path, archive: str) -> float:
    from pipeline.core.settings import Settings
    from pipeline.ingest.articles import ArticlePlan, fetch_articles

    pages = sorted(p.relative_to(site) for p in site.rglob("*.html*"))
    plans = [ArticlePlan(f"a{i}", "f", f"{origin}/{str(p).removesuffix('.gz')}", None, None, 1)
             for i, p in enumerate(pages)]
    settings = Settings(db=folder / "unused.duckdb", allow_hosts=frozenset({origin.removeprefix("http://")}),
                        offline=True, archive=archive)
    kept: list = []

    async def nothing(plan, response, fetched):  # the extraction left out: fetching only
        return []

    started = time.perf_counter()
    asyncio.run(fetch_articles(plans, settings, nothing, lambda: __import__("datetime").datetime.now(
        __import__("datetime").timezone.utc), kept.extend))
    elapsed = time.perf_counter() - started
    assert sum(e.type == "ArticleFetched" for e in kept) == len(plans), "every page fetched"
    return elapsed


def serve(site: Path, port: int) -> None:
    from pipeline.demo.siteserver import SiteServer
    with SiteServer(site, port=port):
        time.sleep(3600)


@contextmanager
def served(site: Path) -> Iterator[str]:
    """The site served on loopback by a process of its own; its origin."""
    from pipeline.demo.mailcatcher import free_port
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(site, port), daemon=True)
    server.start()
    try:
        for _ in range(200):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.join()


def run() -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        site = folder / "site"
        pages = build_site(site, COPIES)
        with served(site) as origin:
            times: dict[str, list[float]] = {"off": [], "on": []}
            memory: dict[str, list[float]] = {"off": [], "on": []}
            for n in range(ROUNDS):
                for mode in (("off", "on") if n % 2 else ("on", "off")):  # in turns, either first
                    where = "off" if mode == "off" else str(folder / f"warc-{n}")
                    times[mode].append(fetch_all(origin, site, folder, where))
                    memory[mode].append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            kept_mb = sum(f.stat().st_size for f in folder.glob("warc-0/*")) / 1e6
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    return [(f"fetch stage, {pages} pages, median of {ROUNDS}",
             f"{on * 1000 / pages:.2f} ms a page with the archive, {off * 1000 / pages:.2f} without",
             f"{on / off:.2f}"),
            ("archive written per run", f"{kept_mb:.1f} MB for {pages} pages", ""),
            ("peak memory of the process after each round (MB)",
             f"{', '.join(f'{m:.0f}' for m in memory['on'])} with; "
             f"{', '.join(f'{m:.0f}' for m in memory['off'])} without", "")]


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row))
