"""newsmon retag: replay the stored articles through the current topic rules."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import dag, task
from newsmon_common import default_args

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
    default_args=default_args(retries=2),
)
def newsmon_retag():
    @task
    def retag() -> dict:
        from pipeline.runs import tasks
        return tasks.retag()

    retag()


dag = newsmon_retag()
