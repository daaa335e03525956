"""Settings: one model (pydantic) for what the environment (`NEWSMON_*`), the command line
and Airflow Variables (`newsmon_*`) say, with the same checks and the same errors
whichever says it. Read once, by the shell; everything below it receives a `Settings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Mapping
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from pipeline.core.errors import ConfigError

Positive = Annotated[int, Field(gt=0)]
PositiveSeconds = Annotated[float, Field(gt=0)]


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    db: Path | str = Path("newsmon.duckdb")  # a file, "ducklake:postgres:<libpq>", "ducklake:<file>"
    lake_data: str | None = None        # DuckLake's data files: a directory or object-store prefix
    feeds: Path | None = None           # None: the bundled config/feeds.yaml
    topics: Path | None = None
    alerts: Path | None = None
    sites: Path | None = None           # per-outlet extraction rules; bundled config/sites.yaml
    staging: Path | None = None         # where Airflow tasks stage events; default beside db
    # host:port origins on private addresses that may be fetched all the same
    allow_hosts: frozenset[str] = frozenset()
    # offline: fetch nothing but `allow_hosts` (the demo, the tests)
    offline: bool = False
    smtp_url: str | None = None
    user_agent: str = "newsmon/0.1 (+https://github.com/newsmon/newsmon)"
    deadline: PositiveSeconds = 30.0    # seconds for a whole request, redirects included
    max_feed_bytes: Positive = 20_000_000
    max_page_bytes: Positive = 10_000_000
    concurrency: Positive = 32          # requests in flight
    per_host: Positive = 4              # requests in flight to one host
    workers: Positive = Field(default_factory=lambda: os.cpu_count() or 1)
    max_fetch_attempts: Positive = 3
    extract_timeout: PositiveSeconds = 30.0  # seconds per page, then the worker is killed
    extract_memory_mb: Annotated[int, Field(ge=0)] = 2048  # a worker's address space; 0: no limit
    lock_wait: PositiveSeconds = 120.0  # seconds to wait for another process's lock: longer
                                        # than an ad-hoc query may run (`newsmon sql`, 30 s)
    max_extract_bytes: Positive = 5_000_000  # bigger pages are not handed to the extractor
    # where fetched pages are kept as WARC files; None: beside the store file; "off": nowhere
    archive: str | None = None
    # when a matched article is fetched again, to see whether it was revised or taken
    # down: after its first fetch, "1d,7d" (units s, m, h, d); "off": never
    recheck: tuple[PositiveSeconds, ...] = (86_400.0, 604_800.0)
    # each feed polled at its own pace (ingest/schedule.py) instead of at every run:
    # `newsmon watch` always; the Airflow DAGs when set, to run them every few minutes
    paced: bool = False
    poll_shortest: PositiveSeconds = 300.0    # seconds: the busiest feed's interval
    poll_longest: PositiveSeconds = 43_200.0  # seconds: the quietest feed's
    poll_budget: PositiveSeconds | None = None  # polls an hour in all; default one a feed
    # how much one mapped Airflow task takes: smaller batches spread over more workers
    poll_batch: Positive = 50           # feeds per poll task
    article_batch: Positive = 100       # articles per process task

    @field_validator("db", mode="before")
    @classmethod
    def _store(cls, value: Any) -> Path | str:
        location = db_location(str(value)) if isinstance(value, (str, Path)) else value
        # a typo in a path must not become a new folder with an empty store in it
        if isinstance(location, Path) and not location.parent.is_dir():
            raise ValueError(f"no folder {location.parent} to hold {location.name}")
        return location

    @field_validator("allow_hosts", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        return parse_allow_hosts(value) if isinstance(value, str) else value

    @field_validator("recheck", mode="before")
    @classmethod
    def _delays(cls, value: Any) -> Any:
        return parse_delays(value) if isinstance(value, str) else value

    @field_validator("smtp_url")
    @classmethod
    def _mail_server(cls, url: str | None) -> str | None:
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
                raise ValueError("must be smtp://host[:port], smtps://user:pass@host[:port] "
                                 "or smtp://host:25?tls=none")
        return url

    def with_(self, **changes) -> "Settings":
        """These settings, with the changes that are not None, checked again."""
        return validated({**dict(self), **{k: v for k, v in changes.items() if v is not None}},
                         "settings")


_BOOL = TypeAdapter(bool)


def truthy(value: Any) -> bool:
    """Whether a setting's value says yes, as the model reads one ("1", "true", "yes",
    "on"; Airflow's connection extras too)."""
    try:
        return _BOOL.validate_python(value) if value not in (None, "") else False
    except ValidationError:
        return False


def db_location(raw: str) -> Path | str:
    """A DuckLake catalog as given; anything else is a file path."""
    return raw if raw.startswith("ducklake:") else Path(raw)


def parse_allow_hosts(text: str) -> frozenset[str]:
    hosts = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"{item!r} is not host:port")
        hosts.add(f"{host.strip('[]').lower()}:{int(port)}")
    return frozenset(hosts)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_delays(text: str) -> tuple[float, ...]:
    """"1d,7d" as seconds, in order; "off" or "" as none."""
    if text.strip().lower() in ("", "off", "none"):
        return ()
    delays = []
    for item in (part.strip().lower() for part in text.split(",")):
        number, unit = item[:-1], item[-1:]
        if unit not in _UNITS or not number.replace(".", "", 1).isdigit():
            raise ValueError(f"{item!r} is not a delay such as 12h or 7d")
        delays.append(float(number) * _UNITS[unit])
    if delays != sorted(delays):
        raise ValueError("the delays must come in increasing order")
    return tuple(delays)


def validated(values: Mapping[str, Any], source: str,
              name: Any = lambda field: field) -> Settings:
    """Settings from `values` (by field name); a bad one is a ConfigError that names
    where it came from (`name(field)`: NEWSMON_WORKERS, the Variable newsmon_workers)."""
    try:
        return Settings.model_validate(dict(values))
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        raw = values.get(field)
        message = first["msg"].removeprefix("Value error, ")
        message = message.replace("Input should be greater than 0", "must be above zero")
        message = message.replace("Input should be greater than or equal to 0",
                                  "must be above zero, or zero for no limit")
        raise ConfigError(source, None, name(field),
                          f"{message} (given {raw!r})" if raw is not None else message) from None


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """The settings the environment gives: NEWSMON_<FIELD> for each field, where set."""
    env = os.environ if env is None else env
    values = {f: env[f"NEWSMON_{f.upper()}"] for f in Settings.model_fields
              if env.get(f"NEWSMON_{f.upper()}")}
    return validated(values, "environment", lambda field: f"NEWSMON_{field.upper()}")
