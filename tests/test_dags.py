"""The Airflow DAGs, run for real: `dag.test()` with a throwaway AIRFLOW_HOME and SQLite
metadata, against the demo corpus on a loopback site, a real DuckDB file and a real
SMTP server on loopback."""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from conftest import CHECKOUT, DEMO_SITE

from pipeline.core import events as ev
from pipeline.core.config import load_alerts, load_feeds
from pipeline.core.settings import from_env
from pipeline.demo.mailcatcher import MailCatcher
from pipeline.demo.siteserver import SiteServer
from pipeline.runs.context import Context
from pipeline.runs.cycle import run_cycle
from pipeline.store import FileStore, open_store
from pipeline.topics.definitions import load_topics

pytestmark = pytest.mark.slow  # real engines: see pyproject.toml

DAGS = CHECKOUT / "dags"
sys.path.insert(0, str(DAGS))  # the DAG files share newsmon_common, as Airflow lets them
# Airflow reads its configuration when first imported: set it before any test does.
AIRFLOW_HOME = tempfile.mkdtemp(prefix="newsmon-airflow-")
atexit.register(shutil.rmtree, AIRFLOW_HOME, ignore_errors=True)
AIRFLOW_ENV = {
    "AIRFLOW_HOME": AIRFLOW_HOME,
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME}/airflow.db",
    "AIRFLOW__CORE__PARALLELISM": "4",
}
os.environ.update(AIRFLOW_ENV)

pytest.importorskip("airflow", reason="Airflow is not installed (uv sync --group airflow)")



def migrate(env: dict) -> None:
    result = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"],
                            env={**os.environ, **env}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def load_dag(name: str):
    spec = importlib.util.spec_from_file_location(name, DAGS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


@pytest.fixture(scope="module")
def airflow_ready():
    migrate(AIRFLOW_ENV)


@pytest.fixture(scope="module")
def site():
    with SiteServer(DEMO_SITE, port=0) as server:
        yield server


def newsmon_settings(folder: Path, site: SiteServer) -> dict[str, str]:
    """NEWSMON_* for the tasks (read when they run), pointing at the loopback site."""
    feeds = folder / "feeds.yaml"
    feeds.write_text((CHECKOUT / "demo/feeds.yaml").read_text().replace("{{origin}}", site.origin))
    return {"NEWSMON_DB": str(folder / "airflow.duckdb"), "NEWSMON_FEEDS": str(feeds),
            "NEWSMON_ALERTS": str(CHECKOUT / "demo/alerts.yaml"), "NEWSMON_OFFLINE": "1",
            "NEWSMON_ALLOW_HOSTS": site.host_port, "NEWSMON_WORKERS": "1",
            "NEWSMON_LOCK_WAIT": "30"}


@contextmanager
def newsmon_environment(folder: Path, site: SiteServer) -> Iterator[dict[str, str]]:
    """NEWSMON_* set (as `newsmon_settings` makes them) while the block runs."""
    env = newsmon_settings(folder, site)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        yield env


@pytest.fixture
def newsmon_env(tmp_path, site):
    with newsmon_environment(tmp_path, site) as env:
        yield env


@pytest.fixture(scope="module")
def in_process(site, tmp_path_factory) -> str:
    """The events `newsmon run` records in process from the demo site: what a DAG run must
    record too."""
    folder = tmp_path_factory.mktemp("in-process")
    with newsmon_environment(folder, site) as env:
        run_in_process(folder / "cli.duckdb", Path(env["NEWSMON_FEEDS"]))
    return str(folder / "cli.duckdb")


@pytest.fixture(scope="module")
def ingested(airflow_ready, site, tmp_path_factory):
    """One run of the ingest DAG on the demo site: its task states and its store, which
    each test that goes on from there copies (with the archive beside it)."""
    with newsmon_environment(tmp_path_factory.mktemp("ingested"), site) as env:
        run = load_dag("newsmon_ingest").test()
    assert run.state == "success"
    return {ti.task_id: ti.state for ti in run.get_task_instances()}, env["NEWSMON_DB"]


def copy_store(db: str, to: str) -> None:
    shutil.copy(db, to)
    if Path(db + ".warc").exists():
        shutil.copytree(db + ".warc", to + ".warc")


def event_ids(db: str, where: str = "type NOT LIKE 'Alert%'") -> list[str]:
    return [r[0] for r in FileStore(db).sql(f"SELECT event_id FROM events WHERE {where}")[1]]


def differing(db: str, other: str) -> list[tuple]:
    """The events one store holds and the other lacks, to show when they should agree."""
    mine, theirs = set(event_ids(db)), set(event_ids(other))
    rows = []
    for path, ids in ((db, mine - theirs), (other, theirs - mine)):
        rows += [(Path(path).name, *r) for r in FileStore(path).sql(
            "SELECT type, left(payload::VARCHAR, 300) FROM events WHERE event_id IN "
            f"({', '.join(repr(i) for i in ids) or 'NULL'})")[1]]
    return rows


def run_in_process(db: Path, feeds: Path) -> None:
    """`newsmon run`, the in-process pipeline, on the same input."""
    settings = from_env().with_(db=db, feeds=feeds)
    topics = load_topics()
    run_cycle(Context(settings, FileStore(db), load_feeds(feeds), topics,
                      load_alerts(CHECKOUT / "demo/alerts.yaml", topics.ids), "cli"))


# -- parsing ------------------------------------------------------------------------

DAGBAG_CHECK = textwrap.dedent("""
    import json, sys
    from airflow.dag_processing.dagbag import DagBag
    sys.path.insert(0, sys.argv[1])  # as Airflow puts its DAGs folder on the path
    bag = DagBag(dag_folder=sys.argv[1])
    heavy = sorted(m for m in ("pipeline", "duckdb", "trafilatura", "feedparser", "ahocorasick")
                   if m in sys.modules)
    print(json.dumps({
        "errors": {k: str(v) for k, v in bag.import_errors.items()},
        "heavy": heavy,
        "dags": {d.dag_id: {"tags": sorted(d.tags), "catchup": d.catchup, "doc": bool(d.doc_md),
                            "retries": sorted({t.retries for t in d.tasks})}
                 for d in bag.dags.values()}}))
""")


def test_dags_import_nothing_heavy_and_follow_the_policy(airflow_ready):
    result = subprocess.run([sys.executable, "-c", DAGBAG_CHECK, str(DAGS)],
                            capture_output=True, text=True, env={**os.environ, **AIRFLOW_ENV})
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["errors"] == {}
    assert set(found["dags"]) == {"newsmon_ingest", "newsmon_alerts", "newsmon_retag",
                                  "newsmon_maintenance"}
    # what keeps parsing quick: task code is imported when a task runs, not at parse time
    # (a limit in seconds would fail on a busy machine: 1.1 s for the first file once)
    assert found["heavy"] == []
    for dag_id, dag in found["dags"].items():
        assert "newsmon" in dag["tags"] and dag["doc"] and dag["catchup"] is False, dag_id
        assert min(dag["retries"]) >= 1, dag_id


# -- runs ---------------------------------------------------------------------------

def test_ingest_commits_what_newsmon_run_commits_and_a_rerun_adds_no_article(
        ingested, in_process, newsmon_env):
    states, first_db = ingested
    first = event_ids(first_db)
    assert sorted(first) == sorted(event_ids(in_process)), differing(first_db, in_process)
    assert len(first) == len(set(first))
    assert states["announce_matches"] == "success"  # new matches: the Asset is updated

    db = newsmon_env["NEWSMON_DB"]
    copy_store(first_db, db)
    rerun = load_dag("newsmon_ingest").test()
    assert rerun.state == "success"
    added = FileStore(db).sql("SELECT run_id, type FROM events")[1]
    assert {t for run_id, t in added if run_id == rerun.run_id} == {ev.FEED_POLLED}  # the gone feed waits
    states = {ti.task_id: ti.state for ti in rerun.get_task_instances()}
    assert states["announce_matches"] == "skipped"  # nothing new: no Asset event
    assert not any(Path(db + ".staging").rglob("*.parquet"))  # staged files are cleaned up


def test_a_mapped_task_that_fails_once_leaves_no_duplicate(airflow_ready, newsmon_env,
                                                           in_process, monkeypatch):
    from pipeline.runs import batches as orchestrate
    real, calls = orchestrate.process_batch, []

    def crash_after_staging(*args, **kwargs):
        handed = real(*args, **kwargs)  # the work is done and staged...
        calls.append(handed)
        if len(calls) == 1:
            raise RuntimeError("worker lost")  # ...and then the task dies
        return handed

    monkeypatch.setattr(orchestrate, "process_batch", crash_after_staging)
    dag = load_dag("newsmon_ingest")
    process = dag.get_task("process")
    assert process.retries >= 1 and process.retry_delay >= timedelta(seconds=30)  # as deployed
    process.retry_delay, process.retry_exponential_backoff = timedelta(0), 0  # retried at once here
    run = dag.test()
    assert run.state == "success"
    tries = {(ti.task_id, ti.map_index): ti.try_number for ti in run.get_task_instances()}
    assert 2 in [n for (task, _), n in tries.items() if task == "process"]
    ids = event_ids(newsmon_env["NEWSMON_DB"])
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(event_ids(in_process)), \
        differing(newsmon_env["NEWSMON_DB"], in_process)


OVERLAP = textwrap.dedent("""
    import importlib.util, os, sys
    sys.path.insert(0, os.path.dirname(sys.argv[1]))  # as Airflow puts its DAGs folder on the path
    spec = importlib.util.spec_from_file_location("newsmon_ingest", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print(module.dag.test().state)
""")


def test_two_overlapping_runs_neither_fail_nor_duplicate(airflow_ready, newsmon_env, in_process,
                                                         tmp_path):
    envs = []
    for name in ("a", "b"):  # each its own Airflow (SQLite takes one writer); one DuckDB
        home = tmp_path / f"airflow-{name}"
        home.mkdir()
        envs.append({**os.environ, **AIRFLOW_ENV, "AIRFLOW_HOME": str(home),
                     "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db"})
        shutil.copy(Path(AIRFLOW_HOME) / "airflow.db", home)  # migrated by airflow_ready
    runs = [subprocess.Popen([sys.executable, "-c", OVERLAP, str(DAGS / "newsmon_ingest.py")],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for env in envs]
    outcomes = [run.communicate(timeout=600) for run in runs]
    assert [out.strip().splitlines()[-1] for out, _ in outcomes] == ["success", "success"], \
        [err[-3000:] for _, err in outcomes]
    ids = event_ids(newsmon_env["NEWSMON_DB"])
    assert len(ids) == len(set(ids))
    articles = "type NOT LIKE 'Alert%' AND type NOT LIKE 'FeedPoll%'"
    assert sorted(event_ids(newsmon_env["NEWSMON_DB"], articles)) == \
        sorted(event_ids(in_process, articles))


def test_alerts_dag_delivers_once_through_the_airflow_connection(ingested, newsmon_env,
                                                                 tmp_path, monkeypatch):
    copy_store(ingested[1], newsmon_env["NEWSMON_DB"])
    with MailCatcher(tmp_path / "mail", unknown=frozenset({"buzon-inexistente@example.org"})) as mail:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
            "conn_type": "smtp", "host": mail.host, "port": mail.port,
            "extra": {"disable_ssl": True, "disable_tls": True}}))
        assert load_dag("newsmon_alerts").test().state == "success"
        assert len(mail.received) == 2
        assert load_dag("newsmon_alerts").test().state == "success"
        assert len(mail.received) == 2  # nothing is sent twice
    sent = FileStore(newsmon_env["NEWSMON_DB"]).sql(
        "SELECT count(*) FROM events WHERE type = 'AlertSent'")[1][0][0]
    assert sent == 2


def test_retag_dag_adds_nothing_under_unchanged_rules(ingested, newsmon_env):
    copy_store(ingested[1], newsmon_env["NEWSMON_DB"])
    before = len(event_ids(newsmon_env["NEWSMON_DB"]))
    assert load_dag("newsmon_retag").test().state == "success"
    assert len(event_ids(newsmon_env["NEWSMON_DB"])) == before


def test_ingest_and_maintenance_on_ducklake(airflow_ready, newsmon_env, postgres, tmp_path,
                                            monkeypatch):
    monkeypatch.setenv("NEWSMON_DB", "ducklake:postgres:" + postgres("airflow"))
    monkeypatch.setenv("NEWSMON_LAKE_DATA", str(tmp_path / "lake"))
    settings = from_env()
    assert load_dag("newsmon_ingest").test().state == "success"
    everything = "SELECT event_id, type, payload FROM events ORDER BY seq"
    before = open_store(settings).sql(everything)[1]
    assert len(before) > 100 and len({r[0] for r in before}) == len(before)
    assert not (tmp_path / "lake" / "_staging").exists()  # mapped tasks committed themselves
    assert load_dag("newsmon_maintenance").test().state == "success"
    assert open_store(settings).sql(everything)[1] == before
