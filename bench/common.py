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
    libraries = ["duckdb", "trafilatura", "feedparser", "httpx", "pyahocorasick", "datasketch",
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


class ChildrenPeak:
    """The largest peak memory among this process's descendants (the extraction workers
    and the fork server they come from), sampled every half second while they live:
    they are gone when the run returns."""

    def __init__(self, every: float = 0.5):
        self.every, self.mb = every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _descendants(self) -> list[str]:
        parents: dict[str, str] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parents[stat.parent.name] = stat.read_text().rsplit(")", 1)[1].split()[1]
            except (OSError, IndexError):
                continue
        found, mine = [], {str(os.getpid())}
        while True:  # children, then theirs
            more = [pid for pid, parent in parents.items() if parent in mine and pid not in mine]
            if not more:
                return found
            found += more
            mine.update(more)

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            for pid in self._descendants():
                self.mb = max(self.mb, peak_mb(pid))

    def __enter__(self) -> "ChildrenPeak":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
