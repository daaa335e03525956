"""Shared fixtures: real DuckDB files, a real HTTP server on loopback, the shared corpus."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

from pipeline.core.settings import Settings
from pipeline.demo.siteserver import SiteServer
from pipeline.store import FileStore, Store

CHECKOUT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEWSMON_SHARED_CORPUS", CHECKOUT.parent / "shared" / "corpus"))
DEMO_SITE = CHECKOUT / "demo" / "site"
# the Spanish pages of trafilatura's evaluation, with their snippets (Apache-2.0)
ES_DEV = CHECKOUT / "tests" / "data" / "es-dev"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"the shared development corpus is absent ({SHARED}); "
                    "set NEWSMON_SHARED_CORPUS to run this test")
    return SHARED


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return FileStore(tmp_path / "events.duckdb", lock_wait=5)


@pytest.fixture
def serve():
    """serve(folder) -> a running SiteServer on a free loopback port."""
    servers = []

    def start(root: Path) -> SiteServer:
        server = SiteServer(root, port=0).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def settings_for(site: SiteServer, db: Path, **changes) -> Settings:
    """Settings for a test run against one loopback site, offline, small and quick."""
    base = Settings(db=db, allow_hosts=frozenset({site.host_port}), offline=True, workers=2,
                    deadline=10.0, lock_wait=10.0)
    return base.with_(**changes)


def fixed_clock(when: str = "2026-11-28T12:00:00+00:00"):
    moment = datetime.fromisoformat(when).astimezone(timezone.utc)
    return lambda: moment


@pytest.fixture
def port() -> Iterator[int]:
    """A loopback port nothing listens on, for the whole test: held bound, not listening
    (a connection to it is refused), so that neither another test's server nor a
    client's own ephemeral port (a socket connected to itself) takes it meanwhile."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server on loopback (the catalog of a DuckLake event store);
    `postgres(name)` creates a database and returns its libpq connection string."""
    from services import Postgres

    try:
        server = Postgres()
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    with server:
        yield server.database


# The longest files first: the suite runs on two workers (pytest-xdist, a file each), and
# a long file started last runs alone at the end while the other worker idles. (xdist
# would order files by their number of tests: `--no-loadscope-reorder` keeps this order.)
SLOWEST_FIRST = ("test_dags.py", "test_cluster.py", "test_lake.py", "test_projections.py",
                 "test_faults.py", "test_archive.py", "test_cli.py", "test_demo.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: n for n, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file's order kept
