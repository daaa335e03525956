"""What the newsmon DAGs share (no DAG here): how their tasks retry, and the Asset the
ingest DAG updates when it commits new matches, which the alerts DAG waits on."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset

NEW_MATCHES = Asset("newsmon_new_matches")


def default_args(retries: int = 3, **more) -> dict:
    """Retries wait 30 s, then twice as long each time, at most 15 minutes. (Set in each
    DAG: a delay left to [core] default_task_retry_delay is lost when the scheduler reads
    the DAG back.)"""
    return {"retries": retries, "retry_delay": timedelta(seconds=30),
            "retry_exponential_backoff": 2.0, "max_retry_delay": timedelta(minutes=15), **more}
