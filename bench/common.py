"""Shared helpers for the benchmarks: the corpus, timing, the machine."""

from __future__ import annotations

import gzip
import os
import platform
import statistics
import threading
import time
from pathlib import Path
from typing import Callable

CHECKOUT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEWSMON_SHARED_CORPUS", CHECKOUT.parent / "shared" / "corpus"))


def pages() -> list[tuple[str, bytes]]:
    """Real news pages: the Zyte benchmark set and the Spanish pages of the shared
    corpus, or the demo's sample of them when the shared corpus is absent."""
    folders = [SHARED / "articles/zyte-aeb/html", SHARED / "articles/es-dev"]
    if not folders[0].is_dir():
        folders = [CHECKOUT / "demo/site/real/zyte", CHECKOUT / "demo/site/real/es"]
    return [(p.name, gzip.decompress(p.read_bytes())) for folder in folders
            for p in sorted(folder.glob("*.html.gz"))]


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """The median of `repeat` timings of `work`, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def machine() -> str:
    from importlib.metadata import version
    libraries = ["duckdb", "trafilatura", "feedparser", "httpx", "pyahocorasick",
                 "pebble", "dateparser", "py3langid"]
    return (f"{platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} cores, {platform.machine()}; "
            + ", ".join(f"{name} {version(name)}" for name in libraries))


def peak_mb(pid: int | str = "self") -> float:
    """A live process's peak resident memory, from /proc. VmHWM belongs to the address
    space and starts afresh at exec, whereas getrusage's ru_maxrss carries the parent's
    over: a spawned worker would report at least its parent's size."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # gone meanwhile
        pass
    return 0.0


def descendants(pid: int | str = "self") -> list[str]:
    """The pids of a process's children, theirs, and so on, from each thread's
    `children` file: a few small reads, not a walk over all of /proc."""
    found = []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = listing.read_text().split()
        except OSError:  # gone meanwhile
            continue
        for child in children:
            found += [child, *descendants(child)]
    return found


class DescendantsPeak:
    """The largest peak memory (VmHWM) among this process's descendants: the fork server
    and the extraction workers, sampled twice a second while they live. Not getrusage's
    RUSAGE_CHILDREN: a child that execs keeps its parent's size at the fork as its
    ru_maxrss, so the fork server would report at least the main process's."""

    def __init__(self, every: float = 0.5):
        self.every, self.mb = every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            for pid in descendants():
                self.mb = max(self.mb, peak_mb(pid))

    def __enter__(self) -> "DescendantsPeak":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
