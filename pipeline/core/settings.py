"""Settings from the environment (`NEWSMON_*`) and the command line. Read once, by the
shell; everything below it receives a `Settings` value."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from pipeline.core.config import ConfigError


@dataclass(frozen=True)
class Settings:
    db: Path | str = Path("newsmon.duckdb")  # a file, "ducklake:postgres:<libpq>", "ducklake:<file>"
    lake_data: str | None = None         # DuckLake's data files: a directory or object-store prefix
    feeds: Path | None = None           # None: the bundled config/feeds.yaml
    topics: Path | None = None
    alerts: Path | None = None
    sites: Path | None = None            # per-outlet extraction rules; bundled config/sites.yaml
    staging: Path | None = None          # where Airflow tasks stage events; default beside db
    # host:port origins on private addresses that may be fetched all the same
    allow_hosts: frozenset[str] = frozenset()
    # offline: fetch nothing but `allow_hosts` (the demo, the tests)
    offline: bool = False
    smtp_url: str | None = None
    user_agent: str = "newsmon/0.1 (+https://github.com/newsmon/newsmon)"
    deadline: float = 30.0              # seconds for a whole request, redirects included
    max_feed_bytes: int = 20_000_000
    max_page_bytes: int = 10_000_000
    concurrency: int = 32               # requests in flight
    per_host: int = 4                   # requests in flight to one host
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_fetch_attempts: int = 3
    extract_timeout: float = 30.0       # seconds per page, then the worker is killed
    extract_memory_mb: int = 2048       # address space of an extraction worker; 0: no limit
    lock_wait: float = 120.0            # seconds to wait for another process's lock: longer
                                        # than an ad-hoc query may run (`newsmon sql`, 30 s)
    max_extract_bytes: int = 5_000_000  # bigger pages are not handed to the extractor
    # how much one mapped Airflow task takes: smaller batches spread over more workers
    poll_batch: int = 50                # feeds per poll task
    article_batch: int = 100            # articles per process task

    def with_(self, **changes) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    s = Settings()
    changes: dict = {}
    for name, convert in (("db", db_location), ("lake_data", str), ("feeds", Path), ("topics", Path), ("alerts", Path),
                          ("sites", Path), ("staging", Path),
                          ("smtp_url", str), ("user_agent", str), ("deadline", float),
                          ("max_feed_bytes", int), ("max_page_bytes", int),
                          ("concurrency", int), ("per_host", int), ("workers", int),
                          ("max_fetch_attempts", int), ("extract_timeout", float),
                          ("extract_memory_mb", int), ("max_extract_bytes", int),
                          ("poll_batch", int), ("article_batch", int),
                          ("lock_wait", float)):
        raw = env.get(f"NEWSMON_{name.upper()}")
        if raw:
            try:
                changes[name] = convert(raw)
            except ValueError:
                raise ConfigError("environment", None, f"NEWSMON_{name.upper()}",
                                  f"cannot read {raw!r} as {convert.__name__}") from None
            # counts, sizes and seconds: none may be negative, and only a memory limit
            # zero (no limit); a batch of zero would plan nothing, a deadline of zero fail all
            no_limit = name == "extract_memory_mb" and changes[name] == 0
            if convert in (int, float) and changes[name] <= 0 and not no_limit:
                raise ConfigError("environment", None, f"NEWSMON_{name.upper()}",
                                  f"must be above zero, not {raw!r}")
    allow = env.get("NEWSMON_ALLOW_HOSTS", "")
    if allow:
        changes["allow_hosts"] = parse_allow_hosts(allow)
    if env.get("NEWSMON_OFFLINE", "").lower() in ("1", "true", "yes"):
        changes["offline"] = True
    return s.with_(**changes)


def db_location(raw: str) -> Path | str:
    """A DuckLake catalog as given; anything else is a file path."""
    return raw if raw.startswith("ducklake:") else Path(raw)


def parse_allow_hosts(text: str) -> frozenset[str]:
    hosts = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ConfigError("environment", None, "NEWSMON_ALLOW_HOSTS",
                              f"{item!r} is not host:port")
        hosts.add(f"{host.strip('[]').lower()}:{int(port)}")
    return frozenset(hosts)
