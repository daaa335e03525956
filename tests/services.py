"""Throwaway PostgreSQL and Redis servers on loopback, for the tests and the CI's Celery
run: Debian's own binaries, data in a temporary folder, stopped and removed afterwards."""

from __future__ import annotations

import getpass
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from pipeline.demo.mailcatcher import free_port


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


class Postgres:
    """`with Postgres() as pg: pg.database("name")` -> a libpq connection string."""

    def __init__(self):
        self.binaries = postgres_bin()
        if self.binaries is None:
            raise FileNotFoundError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self.port = free_port()
        self.base = f"host=127.0.0.1 port={self.port} user=newsmon"

    def _run(self, *args) -> None:
        subprocess.run([*self.as_user, *map(str, args)], check=True, capture_output=True)

    def __enter__(self) -> "Postgres":
        # PostgreSQL refuses to run as root: run it as the `postgres` user then, in a
        # folder that user can reach (pytest's own are private to root).
        self.folder = Path(tempfile.mkdtemp(prefix="newsmon-postgres-"))
        self.as_user = ["runuser", "-u", "postgres", "--"] if getpass.getuser() == "root" else []
        if self.as_user:
            shutil.chown(self.folder, "postgres")
        self._run(self.binaries / "initdb", "-D", self.folder / "data", "-A", "trust", "-U", "newsmon")
        self._run(self.binaries / "pg_ctl", "-D", self.folder / "data", "-l", self.folder / "log",
                  "-w", "start", "-o", f"-p {self.port} -k {self.folder} "
                  "-c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200")
        return self

    def database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"{self.base} dbname=postgres", autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return f"{self.base} dbname={name}"

    def url(self, name: str, driver: str) -> str:
        """The same database as an SQLAlchemy URL (Airflow's metadata, Celery's results)."""
        return f"{driver}://newsmon@127.0.0.1:{self.port}/{name}"

    def __exit__(self, *exc) -> None:
        self._run(self.binaries / "pg_ctl", "-D", self.folder / "data", "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    """`with Redis() as redis: redis.url` -> a broker URL; nothing saved to disk."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise FileNotFoundError("Redis is not installed (Debian: apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> "Redis":
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL)
        import socket

        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
