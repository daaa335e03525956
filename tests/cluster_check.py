"""The ingest DAG on Airflow's Celery executor with two workers, committing into DuckLake
with a PostgreSQL catalog: everything a production cluster has, started from scratch on
loopback (PostgreSQL for Airflow's metadata and DuckLake's catalog, Redis as the broker,
the demo corpus as the web). tests/test_cluster.py runs it; by hand, with its log:

    .venv/bin/python tests/cluster_check.py

It checks, and exits non-zero with the evidence when one fails:
1. a DAG run on the cluster records exactly the events `newsmon run` records in process
   on the same corpus (alerts aside: this cluster runs the ingest DAG only);
2. clearing the run's `process` tasks, so they and all after them run again (a forced
   retry), adds no event;
3. a DAG run and a `newsmon run` overlapping on a fresh lake record each event once, and
   the same events as in process (polls aside: each run polls);
4. both workers took tasks.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from services import Postgres, Redis  # noqa: E402

from pipeline.core.settings import Settings  # noqa: E402
from pipeline.demo.mailcatcher import free_port  # noqa: E402
from pipeline.demo.siteserver import SiteServer  # noqa: E402
from pipeline.store import open_store  # noqa: E402

CHECKOUT = Path(__file__).resolve().parents[1]
DAG_ID = "newsmon_ingest"
BIN = Path(sys.executable).parent
POLLS = "('FeedPolled', 'FeedPollFailed')"


def say(message: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Cluster:
    """Airflow's API server, scheduler, DAG processor and two Celery workers."""

    def __init__(self, work: Path, pg: Postgres, redis: Redis, newsmon_env: dict):
        self.work, self.port = work, free_port()
        self.metadata = pg.database("airflow")
        home, dags = work / "airflow", work / "dags"
        dags.mkdir(parents=True)
        for name in (f"{DAG_ID}.py", "newsmon_common.py"):  # this DAG and what it shares
            shutil.copy(CHECKOUT / "dags" / name, dags)
        self.env = {
            **os.environ, **newsmon_env,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # only the runs this check triggers: no hourly run of its own
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg.url("airflow", "postgresql+psycopg2"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": pg.url("airflow", "postgresql+asyncpg"),
            "AIRFLOW__CELERY__BROKER_URL": redis.url,
            "AIRFLOW__CELERY__RESULT_BACKEND": pg.url("airflow", "db+postgresql+psycopg2"),
            # Celery's prefork pool runs tasks in daemonic processes, which may not start
            # the extraction pool: one task at a time per worker, as many workers as cores.
            "AIRFLOW__CELERY__POOL": "solo",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def airflow(self, *args: str) -> str:
        done = subprocess.run([str(BIN / "airflow"), *args], env=self.env, capture_output=True,
                              text=True)
        if done.returncode:
            raise RuntimeError(f"airflow {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self) -> None:
        self.airflow("db", "migrate")
        components = {"api-server": ["api-server"], "scheduler": ["scheduler"],
                      "dag-processor": ["dag-processor"]}
        for name in ("w1", "w2"):
            components[f"worker-{name}"] = ["celery", "worker", "-H", f"{name}@%h",
                                            "--skip-serve-logs"]
        for name, args in components.items():
            log = open(self.work / f"{name}.log", "w")
            self.processes[name] = subprocess.Popen([str(BIN / "airflow"), *args], env=self.env,
                                                    stdout=log, stderr=subprocess.STDOUT,
                                                    start_new_session=True)
        self.api = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        self._wait(self._api_ready, 120, "the API server to answer")
        token = self.api.get("/auth/token").json()["access_token"]
        self.api.headers["Authorization"] = f"Bearer {token}"
        self._wait(self._dag_ready, 120, f"the DAG processor to load {DAG_ID}")

    def _api_ready(self) -> bool:
        try:
            return self.api.get("/api/v2/monitor/health").status_code == 200
        except httpx.HTTPError:
            return False

    def _dag_ready(self) -> bool:
        return self.api.get(f"/api/v2/dags/{DAG_ID}").status_code == 200

    def _wait(self, ready, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not ready():
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}) while waiting "
                                       f"for {what}:\n{self.log_tail(name)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gave up waiting for {what} after {seconds:g} s")
            time.sleep(1)

    def log_tail(self, name: str, chars: int = 4000) -> str:
        return (self.work / f"{name}.log").read_text(errors="replace")[-chars:]

    def call(self, method: str, path: str, **kwargs) -> dict:
        response = self.api.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:2000]}")
        return response.json()

    def trigger(self, run_id: str) -> None:
        self.call("POST", f"/api/v2/dags/{DAG_ID}/dagRuns",
                  json={"dag_run_id": run_id, "logical_date": None})

    def wait_for(self, run_id: str, seconds: float = 600) -> None:
        state = {}

        def finished() -> bool:
            state.update(self.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}"))
            return state["state"] in ("success", "failed")

        self._wait(finished, seconds, f"run {run_id}")
        if state["state"] != "success":
            raise RuntimeError(f"run {run_id} ended {state['state']}:\n{self.task_report(run_id)}")

    def tasks(self, run_id: str) -> list[dict]:
        return self.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances",
                         params={"limit": 100})["task_instances"]

    def task_report(self, run_id: str) -> str:
        return "\n".join(f"  {t['task_id']}[{t['map_index']}] {t['state']} try {t['try_number']}"
                         for t in self.tasks(run_id))

    def clear(self, run_id: str, task_id: str) -> None:
        """Run the task again, every try of it, and every task after it."""
        self.call("POST", f"/api/v2/dags/{DAG_ID}/clearTaskInstances",
                  json={"dag_run_id": run_id, "task_ids": [task_id], "include_downstream": True,
                        "only_failed": False, "reset_dag_runs": True, "dry_run": False})

    def set_variable(self, key: str, value: str) -> None:
        self.call("POST", "/api/v2/variables", json={"key": key, "value": value})

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)


def events(settings: Settings, where: str = "TRUE") -> list[tuple[str, str]]:
    return open_store(settings).sql(f"SELECT event_id, type FROM events WHERE {where} "
                                  "AND type NOT LIKE 'Alert%' ORDER BY event_id")[1]


def newsmon_run(env: dict, db: str, lake_data: str | None = None) -> subprocess.Popen:
    """`newsmon run` in a process of its own."""
    return subprocess.Popen([str(BIN / "newsmon"), "run"],
                            env={**env, "NEWSMON_DB": db, "NEWSMON_LAKE_DATA": lake_data or ""},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen) -> None:
    output, _ = process.communicate(timeout=600)
    if process.returncode:
        raise RuntimeError(f"newsmon run failed ({process.returncode}):\n{output[-3000:]}")


def check(condition: bool, what: str, evidence="") -> None:
    if not condition:
        raise AssertionError(f"{what}\n{evidence}")
    say(f"ok: {what}")


def duplicates(settings: Settings) -> list:
    return open_store(settings).sql("SELECT event_id, count(*) FROM events GROUP BY event_id "
                                  "HAVING count(*) > 1 LIMIT 10")[1]


def main() -> int:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="newsmon-cluster-"))
    with ExitStack() as stack:
        pg, redis = stack.enter_context(Postgres()), stack.enter_context(Redis())
        site = stack.enter_context(SiteServer(CHECKOUT / "demo" / "site", port=0))
        say(f"PostgreSQL on {pg.port}, Redis on {redis.port}, the demo site at {site.origin}")
        feeds = work / "feeds.yaml"
        feeds.write_text((CHECKOUT / "demo/feeds.yaml").read_text().replace("{{origin}}", site.origin))
        lake_one = Settings(db=f"ducklake:postgres:{pg.database('lake_one')}",
                            lake_data=str(work / "lake_one"))
        lake_two = Settings(db=f"ducklake:postgres:{pg.database('lake_two')}",
                            lake_data=str(work / "lake_two"))
        newsmon_env = {"NEWSMON_DB": lake_one.db, "NEWSMON_LAKE_DATA": lake_one.lake_data,
                       "NEWSMON_FEEDS": str(feeds), "NEWSMON_ALERTS": str(CHECKOUT / "demo/alerts.yaml"),
                       "NEWSMON_OFFLINE": "1", "NEWSMON_ALLOW_HOSTS": site.host_port,
                       "NEWSMON_WORKERS": "1", "NEWSMON_POLL_BATCH": "4",
                       "NEWSMON_ARTICLE_BATCH": "30"}
        for settings in (lake_one, lake_two):  # tables before the fan-out
            open_store(settings).prepare()

        cluster = Cluster(work, pg, redis, newsmon_env)
        stack.callback(cluster.stop)
        try:
            cluster.start()
            say(f"Airflow is up ({time.monotonic() - started:.0f} s)")

            # 1. the cluster records what `newsmon run` records in process
            cluster.trigger("first")
            in_process = Settings(db=str(work / "in-process.duckdb"))
            finish(newsmon_run({**os.environ, **newsmon_env}, in_process.db))
            cluster.wait_for("first")
            say(f"first run done ({time.monotonic() - started:.0f} s):\n{cluster.task_report('first')}")
            on_cluster, expected = events(lake_one), events(in_process)
            check(len(expected) > 100, f"the in-process run recorded {len(expected)} events")
            check(on_cluster == expected, f"the cluster run recorded the same {len(on_cluster)} events",
                  sorted(set(on_cluster) ^ set(expected))[:20])

            # 2. a forced retry of the process tasks and all after them adds nothing
            cluster.clear("first", "process")
            cluster.wait_for("first")
            tries = {t["try_number"] for t in cluster.tasks("first") if t["task_id"] == "process"}
            check(tries == {2}, f"the cleared process tasks ran again (tries {tries})")
            check(events(lake_one) == expected and not duplicates(lake_one),
                  "and added no event")

            # 3. a DAG run and `newsmon run` at once, on a fresh lake
            cluster.set_variable("newsmon_db", lake_two.db)
            cluster.set_variable("newsmon_lake_data", lake_two.lake_data)
            cluster.trigger("overlapping")
            time.sleep(3)  # let the DAG run start polling first
            finish(newsmon_run({**os.environ, **newsmon_env}, lake_two.db, lake_two.lake_data))
            cluster.wait_for("overlapping")
            check(not duplicates(lake_two), "two overlapping runs recorded each event once",
                  duplicates(lake_two))
            by_run = open_store(lake_two).sql("SELECT run_id, count(*) FROM events GROUP BY ALL "
                                            "ORDER BY ALL")[1]
            say(f"events committed by each run: {by_run}")
            not_polls = f"type NOT IN {POLLS}"
            check(events(lake_two, not_polls) == events(in_process, not_polls),
                  "and the same articles, extractions, matches and stories as in process")

            # 4. both workers worked
            took = {name: cluster.log_tail(name, 10**7).count("execute_workload")
                    for name in ("worker-w1", "worker-w2")}
            check(all(took.values()), f"both workers took tasks {took}")
        except BaseException:
            for name in cluster.processes:
                print(f"----- {name} -----\n{cluster.log_tail(name, 3000)}", file=sys.stderr)
            raise
    shutil.rmtree(work, ignore_errors=True)
    say(f"all checks passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
