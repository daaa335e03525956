"""newsmon retag: replay the stored articles through the current topic rules."""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import dag, task

DOC = """
### newsmon retag

Run by hand after changing `config/topics.yaml` (check the change first with
`newsmon topics check` and `newsmon topics backtest`). Every stored article goes through
the current rules; differences are appended as `TopicMatched` / `TopicUnmatched` events
stamped with the new ruleset version. Matches found this way in old articles never
trigger immediate alerts. Running it twice adds nothing.
"""


@dag(
    dag_id="newsmon_retag",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["newsmon", "retag"],
    doc_md=DOC,
    # Retries wait 30 s, then twice as long each time. (Set here: a delay left to
    # [core] default_task_retry_delay is lost when the scheduler reads the DAG back.)
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30),
                  "retry_exponential_backoff": 2.0, "max_retry_delay": timedelta(minutes=15)},
)
def newsmon_retag():
    @task
    def retag() -> dict:
        from pipeline.runs import tasks
        return tasks.retag()

    retag()


dag = newsmon_retag()
