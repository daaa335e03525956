"""The ingest DAG on Airflow's Celery executor with two workers, into DuckLake: a whole
cluster started from scratch on loopback by `cluster_check.py` (about two minutes).
Skipped where PostgreSQL or Redis is not installed; `.ci/run` installs both."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import CHECKOUT
from services import postgres_bin

pytestmark = pytest.mark.slow  # real engines: see pyproject.toml

pytest.importorskip("celery", reason="the cluster dependency group is not installed")


def test_the_ingest_dag_on_celery_records_what_newsmon_run_records():
    if postgres_bin() is None or shutil.which("redis-server") is None:
        pytest.skip("PostgreSQL and Redis are needed (Debian: apt-get install postgresql redis-server)")
    # a process of its own: Airflow reads its configuration once, at import
    done = subprocess.run([sys.executable, str(CHECKOUT / "tests" / "cluster_check.py")],
                          cwd=CHECKOUT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout[-3000:] + done.stderr[-6000:])
    assert "all checks passed" in done.stdout
