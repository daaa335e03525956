"""End to end, as a user runs it: `newsmon run` as a whole process (start-up, poll, fetch,
extract, tag, commit, cluster) on an hourly-shaped batch, the demo corpus's pages copied
under distinct URLs into 12 feeds of 30 pages, each feed an outlet of its own (a site
server on its own loopback address, 127.0.0.1 to 127.0.0.12), into a fresh DuckDB file.

The baseline is a bare loop, one core: each page fetched with a plain HTTP client
(urllib) and extracted by trafilatura with newsmon's own settings
(`pipeline.extract.OPTIONS`). Peers, on the same pages in the same run: trafilatura's
command line over the list of URLs with its parallel downloads (`--parallel 4` on 2
cores, a configuration without its 5 s pause between rounds of hosts and with loopback allowed),
and a plain script of feedparser, httpx, trafilatura and DuckDB as a user would write
it (`bench/plain_script.py`, one loop). Per core: pages a second over the cores a run
was pinned to. Per article once started: the whole batch once and twice over (360 and
720 pages) on one core, both sides; the difference over the added pages is the cost per
article. Start-up: from the process's start to its first extracted article committed, on
a feed of one page, on one core and on two. Other commands: CPU (user + system) of the
whole process, on the store of the 360-page run. Every run is a process of its own pinned to its cores; the
site servers, standing for the outlets, run on the cores the run leaves free (on a
2-core machine they share the cores of a 2-core run). Memory: peak RSS of the main
process and of the largest extraction worker of an in-process cycle, the batch once and
four times over."""

from __future__ import annotations

import json
import multiprocessing.forkserver
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import CHECKOUT, DescendantsPeak, peak_mb

PER_FEED = 30
FEEDS = 12           # 360 pages: an hour of a few dozen outlets
ROUNDS = 3
SITE = CHECKOUT / "demo" / "site"
NEWSMON = [sys.executable, "-m", "pipeline"]


def demo_pages() -> list[Path]:
    return sorted(p for p in SITE.rglob("*") if p.name.endswith((".html", ".html.gz")))


def build_sites(folder: Path, feeds: int, per_feed: int = PER_FEED) -> list[Path]:
    """`feeds` folders, each one outlet's site: `per_feed` demo pages (copied under
    distinct paths, cycling through the corpus) and an RSS feed of them at /rss.xml."""
    pages, sites = demo_pages(), []
    for f in range(feeds):
        site, items = folder / f"outlet{f}", []
        for n in range(f * per_feed, (f + 1) * per_feed):
            page = pages[n % len(pages)]
            relative = Path(f"c{n // len(pages)}") / page.relative_to(SITE)
            target = site / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(page, target)
            path = str(relative).removesuffix(".gz")
            items.append(f"<item><title>{path}</title><link>{{{{origin}}}}/{path}</link>"
                         f"<guid>{{{{origin}}}}/{path}</guid></item>")
        (site / "rss.xml").write_text(
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>outlet {f}</title><link>{{{{origin}}}}/</link>{''.join(items)}"
            "</channel></rss>", encoding="utf-8")
        sites.append(site)
    return sites


# -- in the pinned child processes --------------------------------------------------

def serve(folders: list[str]) -> None:
    """Each folder served on a loopback address of its own, until standard input closes;
    prints their origins, one line."""
    from pipeline.demo.siteserver import SiteServer
    with ExitStack() as stack:
        origins = [stack.enter_context(SiteServer(folder, host=f"127.0.0.{k + 1}")).origin
                   for k, folder in enumerate(folders)]
        print(json.dumps(origins), flush=True)
        sys.stdin.read()


def run_bare(urls_file: str) -> dict:
    """The baseline: each page fetched with urllib and extracted, one after another."""
    import trafilatura

    from pipeline.extract.page import OPTIONS, decode
    started = time.perf_counter()
    found = 0
    for url in Path(urls_file).read_text().split():
        with urllib.request.urlopen(url, timeout=30) as response:
            html = decode(response.read(), response.headers.get_content_charset())
        found += trafilatura.bare_extraction(html, url=url, **OPTIONS) is not None
    return {"seconds": time.perf_counter() - started, "extracted": found}


def run_in_process(feeds: str, db: str, workers: int) -> dict:
    """One cycle in this process, for its memory: the main process's and its largest
    extraction worker's peak."""
    from pipeline.core.config import AlertsFile, load_feeds
    from pipeline.core.settings import Settings
    from pipeline.runs.context import Context, run_id, utc_now
    from pipeline.runs.cycle import run_cycle
    from pipeline.store import open_store
    from pipeline.topics.definitions import load_topics

    outlets = load_feeds(Path(feeds))
    settings = Settings(db=Path(db), offline=True, workers=workers,
                        allow_hosts=frozenset(urlsplit(f.url).netloc for f in outlets.feeds))
    ctx = Context(settings=settings, store=open_store(settings), feeds=outlets,
                  topics=load_topics(), alerts=AlertsFile.model_validate({"from": "a@b.c"}),
                  run_id=run_id("bench", utc_now()))
    with DescendantsPeak() as worker_peak:
        report = run_cycle(ctx)
    multiprocessing.forkserver._forkserver._stop()
    return {"extracted": report.appended["ArticleExtracted"], "main_mb": peak_mb(),
            "worker_mb": worker_peak.mb}


# -- in the benchmark process ------------------------------------------------------

def _pin(cores: list[int]):
    return lambda: os.sched_setaffinity(0, cores)


def timed(cores: list[int], args: list[str], env: dict | None = None) -> dict:
    """A whole process pinned to `cores`: its wall time, and its last line of output read
    as JSON when it is JSON."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=CHECKOUT, env=env, preexec_fn=_pin(cores),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode:
        raise RuntimeError(f"{' '.join(args[:4])} failed ({process.returncode}):\n{err[-3000:]}")
    last = (out.strip().splitlines() or [""])[-1]
    try:
        reported = json.loads(last)
    except ValueError:
        reported = {}
    return {"wall": wall, **reported}


def cpu_of(cores: list[int], args: list[str], env: dict | None = None) -> float:
    """CPU (user + system) of a whole process, its children included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed(cores, args, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


@contextmanager
def outlets(sites: list[Path], cores: list[int]):
    """The sites served in a process of their own (they stand for the outlets' servers,
    whose work is not newsmon's), pinned to `cores`; yields their origins."""
    server = subprocess.Popen([sys.executable, "-m", "bench.pipeline", "serve", *map(str, sites)],
                              cwd=CHECKOUT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, preexec_fn=_pin(cores))
    try:
        yield json.loads(server.stdout.readline())
    finally:
        server.stdin.close()
        server.wait(timeout=30)


def urls(sites: list[Path], origins: list[str]) -> list[str]:
    found = []
    for site, origin in zip(sites, origins):
        found += [f"{origin}/{p.relative_to(site)}".removesuffix(".gz") for p in sorted(site.rglob("*"))
                  if p.name.endswith((".html", ".html.gz"))]
    return found


class Batch:
    """One hourly-shaped batch served for the runs measured on it."""

    def __init__(self, work: Path, name: str, sites: list[Path], origins: list[str]):
        self.work, self.name, self.sites, self.origins = work, name, sites, origins
        self.pages = len(urls(sites, origins))
        self.urls_file = work / f"{name}.urls"
        self.urls_file.write_text("\n".join(urls(sites, origins)) + "\n")
        self.feeds = work / f"{name}.feeds.yaml"
        self.feeds.write_text(json.dumps({"feeds": [
            {"id": f"outlet{k}", "url": f"{o}/rss.xml"} for k, o in enumerate(origins)]}))
        self.alerts = work / "alerts.yaml"
        self.alerts.write_text('{"from": "bench@example.org", "recipients": []}')
        self.runs = 0

    def env(self, db: Path, workers: int) -> dict:
        return {**os.environ, "NEWSMON_DB": str(db), "NEWSMON_FEEDS": str(self.feeds),
                "NEWSMON_ALERTS": str(self.alerts), "NEWSMON_OFFLINE": "1", "NEWSMON_WORKERS": str(workers),
                "NEWSMON_ALLOW_HOSTS": ",".join(o.removeprefix("http://") for o in self.origins)}

    def newsmon(self, cores: list[int]) -> dict:
        self.runs += 1
        db = self.work / f"{self.name}-{self.runs}.duckdb"
        found = timed(cores, [*NEWSMON, "run"], self.env(db, len(cores)))
        return {**found, "db": db}

    def bare(self, cores: list[int]) -> dict:
        return timed(cores, [sys.executable, "-m", "bench.pipeline", "bare", str(self.urls_file)])

    def trafilatura_cli(self, cores: list[int]) -> dict:
        config = self.work / "trafilatura.cfg"
        shipped = (Path(__import__("trafilatura").__file__).parent / "settings.cfg").read_text()
        config.write_text(shipped.replace("SLEEP_TIME = 5.0", "SLEEP_TIME = 0")
                          .replace("SSRF_PROTECTION = on", "SSRF_PROTECTION = off"))
        self.runs += 1
        out = self.work / f"trafilatura-{self.runs}"
        return timed(cores, [str(Path(sys.executable).parent / "trafilatura"), "-i", str(self.urls_file),
                             "--parallel", str(2 * len(cores)), "-o", str(out), "--json",
                             "--with-metadata", "--config-file", str(config)])

    def plain_script(self, cores: list[int]) -> dict:
        self.runs += 1
        return timed(cores, [sys.executable, str(CHECKOUT / "bench" / "plain_script.py"),
                             str(self.work / f"plain-{self.runs}.duckdb"), str(self.feeds)])

    def first_extracted(self, cores: list[int]) -> float:
        """Seconds from the start of `newsmon run` to its first extracted article
        committed (recorded_at)."""
        self.runs += 1
        db = self.work / f"{self.name}-{self.runs}.duckdb"
        started = datetime.now(timezone.utc)
        timed(cores, [*NEWSMON, "run"], self.env(db, len(cores)))
        import duckdb
        con = duckdb.connect(str(db), read_only=True)
        first = con.execute("SELECT min(recorded_at) FROM events "
                            "WHERE type = 'ArticleExtracted'").fetchone()[0]
        con.close()
        return (first - started).total_seconds()


def median(values: list[float]) -> float:
    return statistics.median(values)


def run() -> list[tuple[str, str, str]]:
    cores = sorted(os.sched_getaffinity(0))
    one, two = cores[:1], cores[:2]
    free = lambda used: [c for c in cores if c not in used] or used  # noqa: E731
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        hourly_sites = build_sites(work / "hourly", FEEDS)
        double_sites = build_sites(work / "double", 2 * FEEDS)
        single_sites = build_sites(work / "single", 1, per_feed=1)
        four_sites = build_sites(work / "four", 4 * FEEDS)
        batch = Batch(work, "hourly", hourly_sites, stack.enter_context(outlets(hourly_sites, free(one))))
        double = Batch(work, "double", double_sites, stack.enter_context(outlets(double_sites, free(one))))
        single = Batch(work, "single", single_sites, stack.enter_context(outlets(single_sites, free(one))))
        pages = batch.pages

        # Rounds of every run one after another, so that a slow spell of the machine
        # hits them all; medians of the rounds' ratios are reported.
        measured: dict[str, list[float]] = {}

        def note(key: str, value: float) -> None:
            measured.setdefault(key, []).append(value)

        store = None
        for _ in range(ROUNDS):
            bare1, bare2 = batch.bare(one), double.bare(one)
            run1, run2 = batch.newsmon(one), double.newsmon(one)
            both = batch.newsmon(two)
            store = both["db"]
            cli = batch.trafilatura_cli(two)
            plain = batch.plain_script(one)
            note("bare_pps", pages / bare1["wall"])
            note("one_pps", pages / run1["wall"])
            note("two_pps", pages / both["wall"])
            note("cli_pps", pages / cli["wall"])
            note("plain_pps", pages / plain["wall"])
            bare_each = (bare2["wall"] - bare1["wall"]) / pages
            run_each = (run2["wall"] - run1["wall"]) / pages
            note("bare_each", bare_each)
            note("run_each", run_each)
            note("each_ratio", bare_each / run_each)
            note("e2e_ratio", bare1["wall"] / both["wall"])
            note("startup", single.first_extracted(one))
            note("startup2", single.first_extracted(two))
            note("bare_extracted", bare1.get("extracted", 0))
        env = batch.env(store, 1)
        commands = {"newsmon -h": [*NEWSMON, "-h"],
                    "newsmon status": [*NEWSMON, "status"],
                    "newsmon sql": [*NEWSMON, "sql", "SELECT count(*) FROM articles"]}
        cpu = {name: median([cpu_of(one, args, env) for _ in range(ROUNDS)])
               for name, args in commands.items()}

        def memory(feeds: Path, db: str) -> dict:
            return json.loads(subprocess.run(
                [sys.executable, "-m", "bench.pipeline", "memory", str(feeds), str(work / db), "2"],
                cwd=CHECKOUT, capture_output=True, text=True, check=True,
                preexec_fn=_pin(two)).stdout.splitlines()[-1])

        base = memory(batch.feeds, "m1.duckdb")
        with outlets(four_sites, free(two)) as four_origins:
            bigger = memory(Batch(work, "four", four_sites, four_origins).feeds, "m4.duckdb")

    m = {k: median(v) for k, v in measured.items()}
    rows.append((f"bare loop, 1 core: urllib fetch + trafilatura with newsmon's settings ({pages} pages)",
                 f"{m['bare_pps']:.1f} pages/s ({m['bare_extracted']:.0f} with text)", ""))
    rows.append((f"per article once started, 1 core ({pages} -> {2 * pages} pages)",
                 f"{1000 * m['run_each']:.1f} ms against the bare loop's {1000 * m['bare_each']:.1f} ms",
                 f"{m['each_ratio']:.2f} of the bare loop (target at least 0.85)"))
    for cores, key in ((1, "startup"), (2, "startup2")):
        rows.append(("start-up of `newsmon run`, to its first extracted article committed "
                     f"(a feed of 1 page), {cores} core{'s' if cores > 1 else ''}",
                     f"{m[key]:.2f} s", "target at most 1 s"))
    for name, seconds in cpu.items():
        rows.append((f"`{name}`, CPU of the whole process", f"{seconds:.2f} s", "target at most 0.5 s"))
    rows.append((f"end to end, whole process, 2 cores ({pages} pages, {FEEDS} feeds of {PER_FEED})",
                 f"{m['two_pps']:.1f} pages/s against the bare loop's {m['bare_pps']:.1f} on 1 core",
                 f"{m['e2e_ratio']:.2f}x the bare loop's throughput (target at least 1.6x)"))
    per_core = {"newsmon run, 1 core": m["one_pps"], "newsmon run, 2 cores": m["two_pps"] / 2,
                "trafilatura's command line, 2 cores (--parallel 4)": m["cli_pps"] / 2,
                "plain script of the four libraries, 1 core": m["plain_pps"]}
    best_peer = max(per_core["trafilatura's command line, 2 cores (--parallel 4)"],
                    per_core["plain script of the four libraries, 1 core"])
    for name, value in per_core.items():
        ratio = "" if not name.startswith("newsmon") else \
            f"{value / best_peer:.2f} of the better peer per core (target above 1)"
        rows.append((f"per core: {name}", f"{value:.1f} pages/s a core", ratio))
    rows.append((f"peak memory, batch once ({pages} pages)",
                 f"main {base['main_mb']:.0f} MB, worker {base['worker_mb']:.0f} MB", ""))
    rows.append((f"peak memory, batch four times ({4 * pages} pages)",
                 f"main {bigger['main_mb']:.0f} MB, worker {bigger['worker_mb']:.0f} MB",
                 f"{bigger['main_mb'] / base['main_mb']:.2f}x main, "
                 f"{bigger['worker_mb'] / base['worker_mb']:.2f}x worker of once"))
    return rows


if __name__ == "__main__":
    kind, *rest = sys.argv[1:]
    if kind == "bare":
        print(json.dumps(run_bare(rest[0])))
    elif kind == "serve":
        serve(rest)
    elif kind == "memory":
        feeds, db, workers = rest
        print(json.dumps(run_in_process(feeds, db, int(workers))))
    else:
        raise SystemExit(f"unknown part {kind!r}")
