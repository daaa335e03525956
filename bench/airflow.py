"""Orchestration overhead: the ingest DAG under Airflow (`dag.test()`, SQLite metadata,
tasks in one process) against `newsmon run`'s in-process cycle, on the demo corpus
served on loopback, each into a fresh DuckDB file. dag.test() runs mapped tasks one
after another, so this is the overhead of one Airflow worker: task start-up, XCom,
staging and the metadata database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from bench.common import CHECKOUT

RUN = textwrap.dedent("""
    import importlib.util, json, os, sys, time
    from pathlib import Path
    from pipeline.demo.siteserver import SiteServer
    mode, folder = sys.argv[1], Path(sys.argv[2])
    with SiteServer(Path(sys.argv[3]) / "demo/site", port=0) as site:
        feeds = folder / "feeds.yaml"
        demo_feeds = (Path(sys.argv[3]) / "demo/feeds.yaml").read_text()
        feeds.write_text(demo_feeds.replace("{{origin}}", site.origin))
        os.environ.update(NEWSMON_DB=str(folder / f"{mode}.duckdb"), NEWSMON_FEEDS=str(feeds),
                          NEWSMON_OFFLINE="1", NEWSMON_ALLOW_HOSTS=site.host_port)
        if mode == "airflow":
            sys.path.insert(0, str(Path(sys.argv[3]) / "dags"))  # as Airflow does
            dag_file = Path(sys.argv[3]) / "dags/newsmon_ingest.py"
            spec = importlib.util.spec_from_file_location("ingest", dag_file)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            started = time.perf_counter()
            state = module.dag.test().state
        else:
            from pipeline.core.config import load_alerts, load_feeds
            from pipeline.topics.definitions import load_topics
            from pipeline.runs.context import Context, Report
            from pipeline.runs.cycle import poll_stage, process_stage
            from pipeline.core.settings import from_env
            from pipeline.store import FileStore, Store
            settings = from_env()
            topics = load_topics()
            ctx = Context(settings, FileStore(settings.db), load_feeds(feeds), topics,
                          load_alerts(None, topics.ids), "bench")
            started = time.perf_counter()
            report = Report()
            poll_stage(ctx, report)
            process_stage(ctx, report)
            state = "success"
        print(json.dumps({"seconds": time.perf_counter() - started, "state": str(state)}))
""")


def _run(mode: str, folder: Path, env: dict) -> float:
    result = subprocess.run([sys.executable, "-c", RUN, mode, str(folder), str(CHECKOUT)],
                            capture_output=True, text=True, env=env, cwd=CHECKOUT)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["state"].endswith("success"), out
    return out["seconds"]


def run() -> list[tuple[str, str, str]]:
    home = Path(tempfile.mkdtemp(prefix="newsmon-bench-airflow-"))
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(CHECKOUT / "dags"),
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
           "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                   capture_output=True)
    rows = []
    for _ in range(2):
        folder = Path(tempfile.mkdtemp(prefix="newsmon-bench-"))
        cycle = _run("cycle", folder, env)
        airflow = _run("airflow", folder, env)
        rows.append((cycle, airflow))
    cycle, airflow = min(rows, key=lambda r: r[1] / r[0])
    return [("ingest on the demo corpus (poll, fetch, extract, tag, commit)",
             f"in-process {cycle:.1f} s, Airflow dag.test {airflow:.1f} s",
             f"Airflow takes {airflow / cycle:.1f}x the in-process time (best of 2)")]
