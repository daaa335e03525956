"""End to end: `newsmon run`'s cycle (poll, fetch, extract, tag, commit, cluster) on the
demo corpus served on loopback, its 48 pages copied under distinct URLs, into a fresh
DuckDB file; against bare trafilatura extraction of the same pages with the same
settings (`pipeline.extract.OPTIONS`), one after another in one process. Every run is a
process of its own pinned to its cores, so "one core" is one core for everything
newsmon does; the site server, standing for the outlets' servers, runs on the cores
left free (on a 2-core machine it shares the cores of the 2-core run). Where the time
goes: CPU of the main process (polling, fetching, committing, clustering) and of the
workers with their fork server (libraries loaded once, extraction, date, language,
MinHash, tagging) during the cycle. Per article once started: the corpus once and twice
over, on one core, both sides; the difference over the added pages is the cost per
article, what is left the start-up. Memory: peak RSS of the run's main process and of
its largest worker, the corpus once and four times over."""

from __future__ import annotations

import gzip
import json
import multiprocessing.forkserver
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bench.common import CHECKOUT, DescendantsPeak, peak_mb

COPIES = 10          # 480 pages
ROUNDS = 3
SITE = CHECKOUT / "demo" / "site"


def demo_pages() -> list[Path]:
    return sorted(p for p in SITE.rglob("*") if p.name.endswith((".html", ".html.gz")))


def build_site(folder: Path, copies: int) -> int:
    """`copies` copies of every demo page under /c<k>/, and a feed for each copy."""
    pages = demo_pages()
    for k in range(copies):
        items = []
        for page in pages:
            relative = page.relative_to(SITE)
            target = folder / f"c{k}" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(page, target)
            path = str(relative).removesuffix(".gz")
            items.append(f"<item><title>{path}</title><link>{{{{origin}}}}/c{k}/{path}</link>"
                         f"<guid>{{{{origin}}}}/c{k}/{path}</guid></item>")
        (folder / f"c{k}" / "rss.xml").write_text(
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>copy {k}</title><link>{{{{origin}}}}/c{k}/</link>{''.join(items)}"
            "</channel></rss>", encoding="utf-8")
    return copies * len(pages)


# -- in the pinned child process ---------------------------------------------------

def serve(site_dir: str) -> None:
    """The site, until standard input closes."""
    from pipeline.demo.siteserver import SiteServer
    with SiteServer(site_dir) as site:
        print(site.origin, flush=True)
        sys.stdin.read()


def run_pipeline(origin: str, db: str, workers: int, copies: int) -> dict:
    from pipeline.core.config import AlertsFile, FeedsFile
    from pipeline.core.settings import Settings
    from pipeline.runs.context import Context, run_id, utc_now
    from pipeline.runs.cycle import run_cycle
    from pipeline.store import open_store
    from pipeline.topics.definitions import load_topics

    settings = Settings(db=Path(db), allow_hosts=frozenset({origin.removeprefix("http://")}),
                        offline=True, workers=workers)
    feeds = FeedsFile.model_validate({"feeds": [
        {"id": f"c{k}", "url": f"{origin}/c{k}/rss.xml"} for k in range(copies)]})
    ctx = Context(settings=settings, store=open_store(settings), feeds=feeds,
                  topics=load_topics(), alerts=AlertsFile.model_validate({"from": "a@b.c"}),
                  run_id=run_id("bench", utc_now()))
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    with DescendantsPeak() as worker_peak:
        report = run_cycle(ctx)
    seconds = time.perf_counter() - started
    # The workers' fork server lives as long as this process; stopped, it and the
    # workers it reaped count in RUSAGE_CHILDREN's CPU time.
    multiprocessing.forkserver._forkserver._stop()
    me, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "extracted": report.appended["ArticleExtracted"],
            "main_cpu": me.ru_utime + me.ru_stime - before.ru_utime - before.ru_stime,
            "worker_cpu": workers.ru_utime + workers.ru_stime,
            "failed": sum(report.errors.values()),
            "main_mb": peak_mb(), "worker_mb": worker_peak.mb}


def run_bare(site_dir: str) -> dict:
    """The pages under `site_dir` read into memory, then extracted one after another."""
    import trafilatura

    from pipeline.extract.page import OPTIONS, decode
    htmls = []
    for page in sorted(Path(site_dir).rglob("*")):
        if page.name.endswith((".html", ".html.gz")):
            body = page.read_bytes()
            htmls.append(decode(gzip.decompress(body) if page.suffix == ".gz" else body, None))
    started = time.perf_counter()
    found = sum(trafilatura.bare_extraction(html, **OPTIONS) is not None for html in htmls)
    return {"seconds": time.perf_counter() - started, "extracted": found, "pages": len(htmls)}


# -- in the benchmark process ------------------------------------------------------

def pinned(cores: list[int], *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.pipeline", *args], cwd=CHECKOUT,
                         preexec_fn=lambda: os.sched_setaffinity(0, cores),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextmanager
def site_server(site: Path, cores: list[int]):
    """The site in a process of its own: it stands for the outlets' servers, whose work
    is not newsmon's. Pinned to `cores`."""
    server = subprocess.Popen([sys.executable, "-m", "bench.pipeline", "serve", str(site)],
                              cwd=CHECKOUT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, preexec_fn=lambda: os.sched_setaffinity(0, cores))
    try:
        yield server.stdout.readline().strip()
    finally:
        server.stdin.close()
        server.wait(timeout=30)


def run() -> list[tuple[str, str, str]]:
    cores = sorted(os.sched_getaffinity(0))
    two = cores[:2]
    with tempfile.TemporaryDirectory() as tmp:
        once, twice, four = Path(tmp) / "once", Path(tmp) / "twice", Path(tmp) / "four"
        pages = build_site(once, COPIES)
        build_site(twice, 2 * COPIES)
        build_site(four, 4 * COPIES)
        runs = iter(range(1000))

        def pipeline(site: Path, cpus: list[int], copies: int) -> dict:
            # the server on the cores the run leaves free, or else on the run's own
            with site_server(site, [c for c in cores if c not in cpus] or cpus) as origin:
                return pinned(cpus, "pipeline", origin, str(Path(tmp) / f"{next(runs)}.duckdb"),
                              str(len(cpus)), str(copies))

        # Rounds of bare, 1 core, 2 cores, one after another, so that a slow spell of
        # the machine hits all three; the median round is reported.
        rounds, marginal = [], []
        for _ in range(ROUNDS):
            bare = pinned(cores[:1], "bare", str(once))
            one = pipeline(once, cores[:1], COPIES)
            both = pipeline(once, two, COPIES) if len(two) == 2 else None
            rounds.append((bare, one, both))
            bare2 = pinned(cores[:1], "bare", str(twice))
            one2 = pipeline(twice, cores[:1], 2 * COPIES)
            marginal.append(((bare2["seconds"] - bare["seconds"]) / pages,
                             (one2["seconds"] - one["seconds"]) / pages, one["seconds"],
                             (one2["main_cpu"] - one["main_cpu"]) / pages,
                             (one2["worker_cpu"] - one["worker_cpu"]) / pages))
        bigger = pipeline(four, two, 4 * COPIES)

    def median_round(key) -> tuple:
        return sorted(rounds, key=key)[len(rounds) // 2]

    bare, one, _ = median_round(lambda r: r[0]["seconds"] / r[1]["seconds"])
    rows = [(f"bare trafilatura, 1 core ({pages} pages)",
             f"{pages / bare['seconds']:.1f} pages/s ({bare['extracted']} with text)", ""),
            ("newsmon run, 1 core (1 worker)",
             f"{pages / one['seconds']:.1f} articles/s ({one['extracted']} extracted)",
             f"{bare['seconds'] / one['seconds']:.2f} of bare per core (target 0.85)"),
            ("where the 1-core run's time goes",
             f"main process {one['main_cpu']:.1f} s CPU, workers and fork server "
             f"{one['worker_cpu']:.1f} s, in {one['seconds']:.1f} s",
             f"{one['worker_cpu'] / bare['seconds']:.2f}x bare in workers, "
             f"{one['main_cpu'] / bare['seconds']:.2f}x in main")]
    bare_each, run_each, run_once, main_each, worker_each = sorted(
        marginal, key=lambda m: m[0] / m[1])[len(marginal) // 2]
    rows.append(("per article once started, 1 core (480 -> 960 pages)",
                 f"{1000 * run_each:.1f} ms against bare {1000 * bare_each:.1f} ms (CPU: main "
                 f"{1000 * main_each:.1f} ms, worker {1000 * worker_each:.1f} ms); "
                 f"start-up {run_once - pages * run_each:.1f} s",
                 f"{bare_each / run_each:.2f} of bare"))
    if len(two) == 2:
        bare2, one2, both = median_round(lambda r: r[0]["seconds"] / r[2]["seconds"])
        rows.append(("newsmon run, 2 cores (2 workers)",
                     f"{pages / both['seconds']:.1f} articles/s",
                     f"{bare2['seconds'] / both['seconds'] / 2:.2f} of bare per core"))
        _, one3, both3 = median_round(lambda r: r[1]["seconds"] / r[2]["seconds"])
        rows.append(("speed-up from 1 core to 2", "",
                     f"{one3['seconds'] / both3['seconds']:.2f} (target 1.7)"))
    base = rounds[-1][2] or rounds[-1][1]
    rows.append((f"peak memory, corpus once ({pages} pages)",
                 f"main {base['main_mb']:.0f} MB, worker {base['worker_mb']:.0f} MB", ""))
    rows.append((f"peak memory, corpus four times ({4 * pages} pages)",
                 f"main {bigger['main_mb']:.0f} MB, worker {bigger['worker_mb']:.0f} MB",
                 f"{bigger['main_mb'] / base['main_mb']:.2f}x main, "
                 f"{bigger['worker_mb'] / base['worker_mb']:.2f}x worker of once"))
    return rows


if __name__ == "__main__":
    kind, *rest = sys.argv[1:]
    if kind == "bare":
        print(json.dumps(run_bare(rest[0])))
    elif kind == "serve":
        serve(rest[0])
    else:
        origin, db, workers, copies = rest
        print(json.dumps(run_pipeline(origin, db, int(workers), int(copies))))
