"""newsmon maintenance: the event store's housekeeping, daily."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task
from newsmon_common import default_args

DOC = """
### newsmon maintenance

Daily housekeeping of the event store. On DuckLake (`NEWSMON_DB=ducklake:postgres:...`)
it merges the small Parquet files that many commits leave, expires snapshots older
than a week and deletes the files no snapshot needs, holding the writers' lock so that
no commit conflicts with it. On a DuckDB file it folds the write-ahead log into the
file. Safe to run at any time, and to run twice.
"""


@dag(
    dag_id="newsmon_maintenance",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["newsmon", "maintenance"],
    doc_md=DOC,
    default_args=default_args(retries=2),
)
def newsmon_maintenance():
    @task
    def maintain() -> dict:
        from pipeline.runs import tasks
        return tasks.maintain()

    maintain()


dag = newsmon_maintenance()
