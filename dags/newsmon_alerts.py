"""newsmon alerts: send the alert emails that are due."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task
from newsmon_common import NEW_MATCHES, default_args

DOC = """
### newsmon alerts

Sends the alerts that are due to the recipients in `config/alerts.yaml` (or the
`newsmon_alerts` Variable): right after an ingest run commits new matches (the
`newsmon_new_matches` Asset) for recipients in `immediate` mode, and every hour for
digests, which go out at each recipient's `digest_at` in their time zone.

Mail goes through the Airflow connection `smtp_default` (or the one named by the
`newsmon_smtp_conn_id` Variable). An alert is decided into the outbox (`AlertDecided`)
before it is sent, and each send is recorded (`AlertSent`, or `AlertFailed` with its
class) before the next: a retried task resends only what was not recorded as sent, as
the same message. Temporary failures stay in the outbox for the next run; the rest show
in `newsmon status`.
"""


@dag(
    dag_id="newsmon_alerts",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("5 * * * *", timezone="UTC"),
                                 assets=[NEW_MATCHES]),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["newsmon", "alerts"],
    doc_md=DOC,
    default_args=default_args(),
)
def newsmon_alerts():
    @task
    def send_alerts() -> dict:
        from pipeline.runs import tasks
        return tasks.alerts()

    send_alerts()


dag = newsmon_alerts()
