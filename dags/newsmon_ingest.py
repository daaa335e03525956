"""newsmon ingest: poll feeds, fetch, extract and tag new articles, commit the events."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow.sdk import dag, task
from newsmon_common import NEW_MATCHES, default_args

DOC = """
### newsmon ingest

Polls the feeds in `config/feeds.yaml` (or the `newsmon_feeds` Variable) in parallel
batches, records what they list, then fetches, extracts and tags the new articles in
parallel batches, and appends every fact to the event store (`NEWSMON_DB` or the
`newsmon_db` Variable).

- On a DuckDB file, mapped tasks never open the database: each stages its events in a
  Parquet file and one `commit_*` task appends them in one transaction. On DuckLake
  (`NEWSMON_DB=ducklake:postgres:...`), which takes many writers, each mapped task
  commits its own events and the `commit_*` task adds up what they did. Commits skip
  events already recorded, so retries and overlapping runs add no duplicates.
- Failed feeds and pages are events (see the `feeds` and `articles` views), not task
  failures; a task fails only when the run itself cannot go on.
- New articles are put into stories (copies of one wire story across outlets count
  once); each assignment is a `StoryClustered` event.
- Matched articles due for it (`NEWSMON_RECHECK`, a day and a week after their first
  fetch) are fetched again: a revision or a removal is recorded (`ArticleRevised`,
  `ArticleRemoved`), and recipients who asked hear of it with the next alerts run.
- When new matches are committed, the Asset `newsmon_new_matches` is updated and the
  alerts DAG sends immediate alerts.
"""


@dag(
    dag_id="newsmon_ingest",
    # hourly: busy feeds drop items off their end between daily polls. With each feed at its
    # own pace (NEWSMON_PACED=1), every few minutes: NEWSMON_INGEST_SCHEDULE="*/5 * * * *";
    # max_active_runs keeps a run from starting while the last goes on.
    schedule=os.environ.get("NEWSMON_INGEST_SCHEDULE") or "@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["newsmon", "ingest"],
    doc_md=DOC,
    # a task that hangs is stopped after an hour, and retried
    default_args=default_args(execution_timeout=timedelta(hours=1)),
)
def newsmon_ingest():
    @task
    def plan_polls() -> list[list[dict]]:
        from pipeline.runs import tasks
        return tasks.plan_polls()

    @task
    def poll(batch: list[dict]) -> dict:
        from pipeline.runs import tasks
        return tasks.poll(batch)

    @task
    def commit_polls(handed) -> dict:
        from pipeline.runs import tasks
        return tasks.commit(handed)

    @task
    def plan_articles() -> list[list[dict]]:
        from pipeline.runs import tasks
        return tasks.plan_articles()

    @task
    def process(batch: list[dict]) -> dict:
        from pipeline.runs import tasks
        return tasks.process(batch)

    @task
    def commit_articles(handed) -> dict:
        from pipeline.runs import tasks
        return tasks.commit(handed)

    @task
    def cluster_stories() -> dict:
        from pipeline.runs import tasks
        return tasks.cluster()

    @task
    def recheck_matched() -> dict:
        from pipeline.runs import tasks
        return tasks.recheck()

    @task(outlets=[NEW_MATCHES])
    def announce_matches(committed: dict) -> dict:
        from pipeline.runs import tasks
        return tasks.announce(committed)

    polls = commit_polls(poll.expand(batch=plan_polls()))
    articles = plan_articles()
    polls >> articles
    committed = commit_articles(process.expand(batch=articles))
    committed >> cluster_stories() >> recheck_matched() >> announce_matches(committed)


dag = newsmon_ingest()
